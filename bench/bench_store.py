"""Embedded-store speed: `optctl enable` of 500 services in one command, `optctl status` over 500 x 3.

Each figure is the wall time of the real command in a fresh process (`python -m optctl ...`),
startup included, as an operator would see it; the best and the median of several runs are
printed. Targets (from issue 3): status under 0.5 s.

    python bench/bench_store.py [--services 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from optctl.settings.project import embedded_project
from optctl.services.actions import opened

ENVIRONMENTS = ("dev", "staging", "production")


def _document(key: str) -> dict:
    return {
        "_key": key,
        "provider": "anthropic",
        "isDefault": False,
        "configuration": {"model": "claude-sonnet-4-5-20250929", "apiKey": f"sk-ant-bench-{key}", "temperature": 0.2},
        "optimization": {"cache": {"enabled": False, "min_tokens_to_cache": 1024, "default_ttl_seconds": 300},
                         "fallback": {"enabled": True}, "provider": "anthropic"},
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
    args = parser.parse_args()

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

        print(f"embedded SQLite store, {args.services} services x {len(ENVIRONMENTS)} environments, {args.runs} runs each"
              f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
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
    from optctl.commands.inspect import status
    from optctl.render.services import status_text
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


if __name__ == "__main__":
    main()
