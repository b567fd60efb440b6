"""HTTP requests of one ``optctl rollout advance`` on ArangoDB, over N services (target: the same
number for every N).

The real command (through ``optctl.cli.app.main``) advances a rollout whose records live in the
production environment's ArangoDB database, served by the HTTP stand-in of ``tests/arango_server``
(a test fixture on 127.0.0.1): python-arango, its transport, the documents backend and the
rollout record store run their real code, and every request reaching the stand-in is counted.
The advance measured passes stage 1 (dev, N services) and applies stage 2 (staging, N services).
The count is the backends' own and holds for a real server; wall times are the loopback
stand-in's and say nothing about a real server.

    python bench/bench_rollout_requests.py [--services 5,50,500]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402  (MonkeyPatch: credentials, undone afterwards)

import tests.support.rollout_aql  # noqa: E402,F401  (the stand-in learns the records' queries)
from optctl.cli.app import main as optctl  # noqa: E402
from optctl.settings.project import RolloutsConfig  # noqa: E402
from tests.arango_server.harness import PASSWORD_VARIABLE, USER_VARIABLE, Harness  # noqa: E402
from tests.support.samples import ai_config  # noqa: E402

ENVIRONMENTS = ("dev", "staging", "production")
TABLE = """[environments.{env}]
url = "{url}"
collection = "{env}_ai_configs"
history_collection = "{env}_optctl_history"
username_env = "%s"
password_env = "%s"
""" % (USER_VARIABLE, PASSWORD_VARIABLE)


def advance_requests(services: int, folder: Path) -> list[tuple[str, str]]:
    """(method, path) of every request one ``rollout advance`` sends, ``services`` services per stage."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        harness = Harness(monkeypatch)
        assert harness.server is not None
        try:
            for env in ENVIRONMENTS:
                harness.open(env).close()
            where = RolloutsConfig("production")
            for name in (where.collection, where.journal_collection):
                harness.server.state.create_collection(harness.database, name)
            names = [f"service-{i:04}" for i in range(services)]
            (folder / "optctl.toml").write_text("".join(TABLE.format(env=env, url=harness.url) for env in ENVIRONMENTS))
            (folder / "services.jsonl").write_text("".join(json.dumps(ai_config(name)) + "\n" for name in names))
            (folder / "plan.yaml").write_text(
                f"name: bench\nstages:\n- {{environment: dev, services: [{', '.join(names)}]}}\n"
                f"- {{environment: staging, services: [{', '.join(names)}]}}\n"
            )
            config = ["--config", str(folder / "optctl.toml")]
            with contextlib.redirect_stdout(io.StringIO()):
                for env in ENVIRONMENTS:
                    assert optctl(["import", str(folder / "services.jsonl"), "--env", env, "-y", *config]) == 0
                assert optctl(["rollout", "start", str(folder / "plan.yaml"), "--yes", *config]) == 0
                before = len(harness.server.requests)
                assert optctl(["rollout", "advance", "--yes", *config]) == 0
            sent = [(seen.method, seen.path) for seen in harness.server.requests[before:]]
            staging = harness.server.state.documents(harness.database, "staging_ai_configs").values()
            assert all(doc["optimization"]["cache"]["enabled"] for doc in staging)
            return sent
        finally:
            harness.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="5,50,500", help="comma-separated service counts")
    args = parser.parse_args()
    counts = {}
    for services in (int(n) for n in args.services.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            sent = advance_requests(services, Path(folder))
        counts[services] = len(sent)
        kinds = Counter(f"{method} {path.split('/_api/', 1)[-1].split('/')[0]}" for method, path in sent)
        print(
            f"{services:>5} services per stage: {len(sent)} HTTP requests ({', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))})"
        )
    constant = len(set(counts.values())) == 1
    print("constant in the number of services" if constant else "NOT constant in the number of services")
    return 0 if constant else 1


if __name__ == "__main__":
    sys.exit(main())
