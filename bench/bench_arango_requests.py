"""HTTP requests the ArangoDB backend sends for ``optctl enable`` of N services (target: at most 5).

Runs the real command (``optctl enable S1 ... SN --env production -y``, through
``optctl.cli.app.main``) on an ArangoDB environment served by the HTTP stand-in of
``tests/arango_server`` (a test fixture on 127.0.0.1): python-arango, its transport and the
backend run their real code, and every request that reaches the stand-in is counted. The count
is the backend's own and holds for a real server. The wall time is the stand-in's (loopback,
Python server), so it says nothing about a real server's latency.

    python bench/bench_arango_requests.py [--services 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402  (MonkeyPatch: credentials and the transport, undone afterwards)

from optctl.cli.app import main as optctl  # noqa: E402
from tests.arango_server.harness import PASSWORD_VARIABLE, USER_VARIABLE, Harness  # noqa: E402
from tests.support.samples import ai_config  # noqa: E402

PROJECT = """[environments.production]
url = "{url}"
collection = "production_ai_configs"
history_collection = "production_optctl_history"
username_env = "%s"
password_env = "%s"
""" % (USER_VARIABLE, PASSWORD_VARIABLE)


def run_once(services: int, folder: Path, coordinators: int) -> tuple[list[tuple[str, str]], float]:
    """(requests of the enable command, its wall time) on a fresh stand-in holding ``services`` services."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        harness = Harness(monkeypatch, coordinators=coordinators)
        assert harness.server is not None
        harness.open("production")
        monkeypatch.setenv("OPTCTL_ACTOR", "bench")
        names = [f"service-{i:04}" for i in range(services)]
        (folder / "optctl.toml").write_text(PROJECT.format(url=harness.url))
        (folder / "services.jsonl").write_text("".join(json.dumps(ai_config(name)) + "\n" for name in names))
        config = ["--config", str(folder / "optctl.toml")]
        with contextlib.redirect_stdout(io.StringIO()):
            assert optctl(["import", str(folder / "services.jsonl"), "--env", "production", "-y", *config]) == 0
            before = len(harness.server.requests)
            started = time.perf_counter()
            code = optctl(["enable", *names, "--env", "production", "-y", *config])
            elapsed = time.perf_counter() - started
        documents = harness.server.state.documents(harness.database, "production_ai_configs").values()
        sent = [(seen.method, seen.path) for seen in harness.server.requests[before:]]
        harness.close()
        assert code == 0 and all(doc["optimization"]["cache"]["enabled"] for doc in documents)
        return sent, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="50,500,5000", help="comma-separated service counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--coordinators", default="1,3", help="comma-separated coordinator counts")
    args = parser.parse_args()
    from arango.version import __version__ as driver

    print(
        f"optctl enable of N services, ArangoDB backend (python-arango {driver}); "
        f"wall times against the loopback HTTP stand-in, not a real-server figure"
    )
    counts: set[int] = set()
    for coordinators in (int(c) for c in args.coordinators.split(",")):
        for services in (int(n) for n in args.services.split(",")):
            with tempfile.TemporaryDirectory() as folder:
                runs = [run_once(services, Path(folder), coordinators) for _ in range(args.repeat)]
            requests = runs[0][0]
            counts.add(len(requests))
            times = sorted(elapsed * 1000 for _, elapsed in runs)
            which = ", ".join(
                f"{count} x {method} {path.rsplit('/_api/', 1)[-1].split('/')[0]}"
                for (method, path), count in Counter(requests).items()
            )
            print(
                f"  {coordinators} coordinator(s), {services:>5} services: {len(requests)} HTTP requests ({which}); "
                f"min/median/max {times[0]:.0f}/{times[len(times) // 2]:.0f}/{times[-1]:.0f} ms over {args.repeat} runs"
            )
    constant = len(counts) == 1 and max(counts) <= 5
    print(
        f"  requests per write: {'constant' if len(counts) == 1 else 'NOT constant'} ({sorted(counts)}); "
        f"target <= 5: {'met' if constant else 'MISSED'}"
    )
    return 0 if constant else 1


if __name__ == "__main__":
    raise SystemExit(main())
