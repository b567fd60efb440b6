"""Embedded-store speed: `optctl enable` of 500 services in one command, `optctl status` over 500 x 3;
start-up against the interpreter's own; `history --all` of a long history against a floor.

Each figure is the wall time of the real command in a fresh process (`python -m optctl ...`),
startup included, as an operator would see it; the best and the median of several runs are
printed. Targets (issue 3): status under 0.5 s. The paired rows (issue 12) run two commands in
turn (A B A B ...) and print median (min..max) of CPU seconds and of the A/B ratios:

- `optctl --version` against `python -c pass` (target under 5x), `optctl status` on an empty
  store against `python -c pass` (target under 8x), and, for comparison, `optctl status` of one
  service (a table, so rich is imported) against `python -c pass`;
- `optctl history --all -o json` of a 100,000-entry history (target under 3 s and 100 MiB)
  against a floor: a few lines of Python that read the same rows with sqlite3 and print one
  JSON object a line, with no parsing, redaction or CLI. The history is 1,000 services in dev,
  imported, then enabled and disabled in turn 99 times (the same two optimization objects
  throughout, as flips give); a second history is 5,000 services flipped 19 times, each with
  objects of its own (its min_tokens_to_cache differs): 10,000 distinct objects, each seen 10
  times, 5,000 entries apart;
- `optctl status` over 1,000 services with 100 history entries each against the same services
  with one entry each: near 1 when status reads only the last change per service.

Before timing, the optctl package is byte-compiled (as ``pip install`` does): a source checkout
run with PYTHONDONTWRITEBYTECODE=1 recompiles optctl's modules on every run, which adds about 10 ms.

    python bench/bench_store.py [--services 500] [--runs 5] [--history-rows 100000]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import paired, spread

from optctl import __file__ as package_init
from optctl.services.actions import commit, opened, plan_flip
from optctl.settings.project import embedded_project

ENVIRONMENTS = ("dev", "staging", "production")


def _document(key: str) -> dict:
    return {
        "_key": key,
        "provider": "anthropic",
        "isDefault": False,
        "configuration": {"model": "claude-sonnet-4-5-20250929", "apiKey": f"sk-ant-bench-{key}", "temperature": 0.2},
        "optimization": {
            "cache": {"enabled": False, "min_tokens_to_cache": 1024, "default_ttl_seconds": 300},
            "fallback": {"enabled": True},
            "provider": "anthropic",
        },
    }


def _seed(home: Path, count: int) -> list[str]:
    services = [f"service-{i:04d}" for i in range(count)]
    project = embedded_project({"OPTCTL_HOME": str(home)})
    for env in project.select(None):
        with opened(env) as store:
            store.put_documents([_document(s) for s in services], actor="bench")
    return services


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "optctl", *argv], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"optctl {' '.join(argv[:3])} ... failed: {done.stderr.strip()}")
    return elapsed


def _report(label: str, times: list[float], target: float | None = None) -> None:
    verdict = "" if target is None else f"  (target < {target:.1f} s: {'met' if min(times) < target else 'MISSED'})"
    print(f"{label:<52} best {min(times):6.3f} s   median {statistics.median(times):6.3f} s{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--history-rows", type=int, default=100_000)
    args = parser.parse_args()
    _paired_rows(args.runs, args.history_rows)

    with tempfile.TemporaryDirectory(prefix="optctl-bench-") as folder:
        home = Path(folder) / "home"
        services = _seed(home, args.services)
        env = {**os.environ, "OPTCTL_HOME": str(home), "OPTCTL_ACTOR": "bench", "COLUMNS": "120"}
        env.pop("OPTCTL_CONFIG", None)
        os.chdir(folder)  # no optctl.toml up from here: the embedded store

        baseline = [_timed(["--version"], env) for _ in range(args.runs)]
        flips = []
        for run in range(args.runs):
            verb = "enable" if run % 2 == 0 else "disable"
            flips.append(_timed([verb, *services, "--env", "dev", "--yes"], env))
        status_text = [_timed(["status"], env) for _ in range(args.runs)]
        status_json = [_timed(["status", "--output", "json"], env) for _ in range(args.runs)]

        library_status, library_flip = _in_process(home, services, args.runs)

        print(
            f"embedded SQLite store, {args.services} services x {len(ENVIRONMENTS)} environments, {args.runs} runs each"
            f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        _report("optctl --version (interpreter + CLI startup)", baseline)
        _report(f"optctl enable/disable of {args.services} services, one command", flips)
        _report(f"optctl status ({args.services} x {len(ENVIRONMENTS)}, table)", status_text, 0.5)
        _report(f"optctl status ({args.services} x {len(ENVIRONMENTS)}, --output json)", status_json, 0.5)
        _report("  in process: status rows + table (no startup)", library_status)
        _report(f"  in process: plan + commit of {args.services} flips (no startup)", library_flip)


def _in_process(home: Path, services: list[str], runs: int) -> tuple[list[float], list[float]]:
    """The library's own share, without the interpreter and CLI startup."""
    import io

    from rich.console import Console

    from optctl.commands.edges import Edges
    from optctl.commands.status import status
    from optctl.render.status import status_text
    from optctl.services import actions as control

    project = embedded_project({"OPTCTL_HOME": str(home)})
    status_times, flip_times = [], []
    for run in range(runs):
        start = time.perf_counter()
        status_text(status(edges=Edges(load_project=lambda _: project)), Console(file=io.StringIO()))
        status_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        with opened(project.env("staging")) as store:
            control.commit(store, control.plan_flip(store, services, run % 2 == 0), "bench")
        flip_times.append(time.perf_counter() - start)
    return status_times, flip_times


_FLOOR = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
columns = ("revision", "at", "actor", "action", "service", "env", "before", "after", "reason", "rollout")
for row in conn.execute("SELECT " + ", ".join(columns) + " FROM history WHERE env = 'dev' ORDER BY id"):
    sys.stdout.write(json.dumps(dict(zip(columns, row))) + "\\n")
"""


def _long_history(home: Path, services: int, rounds: int, distinct: bool = False) -> None:
    """``services`` services in dev, then ``rounds - 1`` flips of all of them: services x rounds entries.

    ``distinct``: each service's optimization object differs from every other's (its
    min_tokens_to_cache), so the history holds 2 x ``services`` distinct objects, not 2.
    """
    names = [f"service-{i:04d}" for i in range(services)]
    documents = [_document(s) for s in names]
    if distinct:
        for i, document in enumerate(documents):
            document["optimization"]["cache"]["min_tokens_to_cache"] = 1024 + i
    with opened(embedded_project({"OPTCTL_HOME": str(home)}).env("dev")) as store:
        store.put_documents(documents, actor="bench")
        for run in range(rounds - 1):
            commit(store, plan_flip(store, names, run % 2 == 0), "bench", reason="bench")


def _paired(
    label: str,
    a: list[str],
    b: list[str],
    runs: int,
    env: dict[str, str],
    target: float | None = None,
    seconds: float | None = None,
    mib: int | None = None,
) -> None:
    """``target``: for the CPU ratio; ``seconds`` and ``mib``: for A's own CPU time and peak memory."""
    os.environ.update(env)
    pair = paired(a, b, runs)
    assert set(pair.a.codes) == set(pair.b.codes) == {0}, f"{label}: exit codes {pair.a.codes} {pair.b.codes}"
    ratio = pair.ratios("cpu")
    verdict = "" if target is None else f"  target < {target:g}: {'met' if statistics.median(ratio) < target else 'MISSED'}"
    if seconds is not None and mib is not None:
        met = statistics.median(pair.a.cpu) < seconds and max(pair.a.peak) < mib
        verdict += f"  target < {seconds:g} s CPU and < {mib} MiB: {'met' if met else 'MISSED'}"
    print(
        f"{label:<58} A wall {spread(pair.a.wall)} s, cpu {spread(pair.a.cpu)} s, peak {max(pair.a.peak)} MiB | B cpu {spread(pair.b.cpu)} s"
        f" | A/B cpu {spread(ratio)}, wall {spread(pair.ratios())}{verdict}",
        flush=True,
    )


def _paired_rows(runs: int, history_rows: int) -> None:
    script = Path(sys.executable).parent / "optctl"
    optctl = [str(script)] if script.exists() else [sys.executable, "-m", "optctl"]
    bare = [sys.executable, "-c", "pass"]
    compileall.compile_dir(Path(package_init).parent, quiet=1)  # as installed: bytecode cached
    print(f"paired rows (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: other work shares the machine)")
    with tempfile.TemporaryDirectory(prefix="optctl-bench-") as folder:
        os.chdir(folder)  # no optctl.toml up from here: the embedded store
        base = {"OPTCTL_ACTOR": "bench", "COLUMNS": "120"}
        empty, one, long, short, varied = (Path(folder) / name for name in ("empty", "one", "long", "short", "varied"))
        _paired("optctl --version / python -c pass", optctl + ["--version"], bare, runs, base, 5)
        _paired(
            "optctl status, empty store / python -c pass", optctl + ["status"], bare, runs, {**base, "OPTCTL_HOME": str(empty)}, 8
        )
        _long_history(one, 1, 1)
        _paired(
            "optctl status, one service (a table) / python -c pass",
            optctl + ["status", "-e", "dev"],
            bare,
            runs,
            {**base, "OPTCTL_HOME": str(one)},
        )
        _long_history(long, 1000, history_rows // 1000)
        _long_history(short, 1000, 1)
        _long_history(varied, 5000, history_rows // 5000, distinct=True)
        for home, objects in ((long, "2 distinct objects"), (varied, "10,000 distinct objects")):
            _paired(
                f"optctl history --all -o json, {history_rows:,} entries, {objects} / floor",
                optctl + ["history", "--all", "-o", "json", "-e", "dev"],
                [sys.executable, "-c", _FLOOR, str(home / "optctl.db")],
                runs,
                {**base, "OPTCTL_HOME": str(home)},
                seconds=3,
                mib=100,
            )
        _paired(
            f"optctl status, 1,000 services: {history_rows // 1000} entries each / 1 each",
            ["env", f"OPTCTL_HOME={long}", *optctl, "status", "-e", "dev"],
            ["env", f"OPTCTL_HOME={short}", *optctl, "status", "-e", "dev"],
            runs,
            base,
        )


if __name__ == "__main__":
    main()
