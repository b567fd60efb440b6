"""HTTP requests the ArangoDB backend sends for ``optctl enable`` of N services (target: at most 5).

Runs the same functions ``optctl enable`` runs (``control.plan_flip``, then ``control.commit``)
on ``ArangoStore`` through python-arango, against the in-process ArangoDB stand-in of
``tests/arango_server`` (a test fixture), and counts the requests that reach it. The count is
the backend's own and holds for a real server; the wall time is the stand-in's, which answers
in-process with no network, so it says nothing about a real server's latency.

    python bench/bench_arango_requests.py [--services 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402  (the harness sets credentials through MonkeyPatch)

from optctl import control  # noqa: E402
from tests.arango_server.harness import Harness  # noqa: E402
from tests.stores.samples import ai_config  # noqa: E402


def run_once(services: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]], float]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        harness = Harness(monkeypatch)
        store, client = harness.connect(harness.environment("production"))
        names = [f"service-{i:04}" for i in range(services)]
        store.put_documents([ai_config(name) for name in names], "bench")
        client.requests.clear()
        started = time.perf_counter()
        plan = control.plan_flip(store, names, True)
        reads = list(client.requests)
        entries = control.commit(store, plan, "bench", reason="bench")
        elapsed = time.perf_counter() - started
        writes = client.requests[len(reads):]
        assert len(entries) == services and all(d.optimization["cache"]["enabled"] for d in store.read_many().values())
        store.close()
        return reads, writes, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = [run_once(args.services) for _ in range(args.repeat)]
    reads, writes, _ = runs[0]
    total = len(reads) + len(writes)
    print(f"optctl enable of {args.services} services, ArangoDB backend (python-arango {_driver_version()})")
    print(f"  HTTP requests: {total} (read {len(reads)}, write {len(writes)}); target <= 5: {'met' if total <= 5 else 'MISSED'}")
    for (method, path), count in Counter(reads + writes).items():
        print(f"    {count} x {method} {path}")
    best = min(elapsed for _, _, elapsed in runs)
    print(f"  wall time against the in-process stand-in (no network; not a real-server figure): "
          f"best of {args.repeat} {best * 1000:.1f} ms")
    return 0 if total <= 5 else 1


def _driver_version() -> str:
    from arango.version import __version__

    return __version__


if __name__ == "__main__":
    raise SystemExit(main())
