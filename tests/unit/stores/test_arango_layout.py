"""``optctl store init`` / ``store check``: collections and indexes for every query, checked with the explain API."""

from __future__ import annotations

import json

import pytest

from optctl.cli.app import main
from optctl.stores.arango_connection import ArangoConnection
from optctl.stores.arango_layout import check, documents_layout, ensure
from tests.arango_server import User
from tests.arango_server.harness import DATABASE, PASSWORD_VARIABLE, USER_VARIABLE, Harness


@pytest.fixture
def fresh(monkeypatch):
    """A stand-in whose database has nothing in it yet."""
    harness = Harness(monkeypatch)
    yield harness
    harness.close()


def _connection(harness: Harness) -> ArangoConnection:
    return ArangoConnection.open(harness.environment())


def _failed(lines) -> list[str]:
    return [f"{line.what}: {line.detail}" for line in lines if not line.ok]


def test_init_creates_the_collections_and_indexes_and_a_second_run_changes_nothing(fresh):
    layout = documents_layout(fresh.environment())
    first = ensure(_connection(fresh), layout)
    assert [line.what for line in first if line.changed] == [
        "collection dev_ai_configs",
        "collection dev_optctl_history",
        "index optctl_history_by_service on dev_optctl_history",
        "index optctl_history_by_time on dev_optctl_history",
        "index optctl_history_by_operation on dev_optctl_history",
    ]
    assert not [line for line in ensure(_connection(fresh), layout) if line.changed]
    history = fresh.server.state.databases[DATABASE]["dev_optctl_history"]
    assert [(i.fields, i.unique) for i in history.indexes[1:]] == [
        (["service", "at", "seq"], False),
        (["at", "seq"], False),
        (["operation", "seq"], True),
    ]


def test_check_fails_each_query_that_would_scan_until_init_made_its_index(fresh):
    env = fresh.environment()
    fresh.server.state.create_collection(DATABASE, env.collection)
    fresh.server.state.create_collection(DATABASE, env.history_collection)  # collections by hand, no indexes

    before = _failed(check(_connection(fresh), documents_layout(env)))
    assert "query plan: a service's history: scans dev_optctl_history: no index on [service, at, seq]" in before
    assert sum(line.startswith("query plan") for line in before) == 6  # every history query
    assert sum(line.startswith("index") for line in before) == 3

    ensure(_connection(fresh), documents_layout(env))
    lines = check(_connection(fresh), documents_layout(env))
    assert _failed(lines) == []
    plans = [line.detail for line in lines if line.what.startswith("query plan")]
    assert plans.count("uses index primary") == 2 and plans.count("uses index optctl_history_by_service") == 3


def test_every_query_the_backend_sends_is_in_the_layout():
    from optctl.settings.project import EnvironmentConfig
    from optctl.stores import arango as backend

    layout = documents_layout(EnvironmentConfig("e", "arangodb://h/db"))
    writes = {backend.SET_OPTIMIZATION, backend.REMOVE_OPTIMIZATION, backend.PUT_DOCUMENTS, backend.INSERT_HISTORY}
    assert {q.text for q in layout.queries} == set(backend.ALL_QUERIES) - writes  # writes go by _key, or insert


@pytest.mark.parametrize(
    ("role", "sharding", "ok"), [("SINGLE", None, True), ("COORDINATOR", "single", True), ("COORDINATOR", "", False)]
)
def test_check_says_whether_documents_and_history_commit_atomically(fresh, role, sharding, ok):
    ensure(_connection(fresh), documents_layout(fresh.environment()))
    fresh.server.state.role = role
    if sharding is not None:
        fresh.server.state.sharding[DATABASE] = sharding
    atomic = [line for line in check(_connection(fresh), documents_layout(fresh.environment())) if line.what == "atomic commits"]
    assert [line.ok for line in atomic] == [ok]
    if not ok:
        assert "may commit a write on some DB-Servers and not others" in atomic[0].detail


def test_check_names_missing_write_permission_and_an_old_server(fresh, monkeypatch):
    ensure(_connection(fresh), documents_layout(fresh.environment()))
    fresh.server.state.users["viewer"] = User("pw-viewer", {DATABASE: "ro"})
    fresh.server.state.version = "3.10.9"
    monkeypatch.setenv(USER_VARIABLE, "viewer")
    monkeypatch.setenv(PASSWORD_VARIABLE, "pw-viewer")
    failed = _failed(check(_connection(fresh), documents_layout(fresh.environment())))
    assert "version: ArangoDB 3.10.9; optctl needs 3.11 or later" in failed
    assert "user 'viewer' on database 'optctl_test': ro: optctl needs rw (read/write) to write documents and history" in failed


def test_check_on_an_unreachable_server_is_one_failed_line(monkeypatch, no_backoff):
    harness = Harness(monkeypatch)
    env = harness.environment()
    harness.close()
    lines = check(ArangoConnection.open(env), documents_layout(env))
    assert [(line.what, line.ok) for line in lines] == [("reachable", False)]
    assert "connection refused" in lines[0].detail


def test_the_store_commands_on_the_cli(fresh, tmp_path, monkeypatch, capsys):
    (tmp_path / "optctl.toml").write_text(
        f'[environments.production]\nurl = "{fresh.url}"\nusername_env = "{USER_VARIABLE}"\npassword_env = "{PASSWORD_VARIABLE}"\n'
        '[environments.dev]\nurl = "sqlite:///optctl.db"\n'
    )
    monkeypatch.chdir(tmp_path)

    assert main(["store", "check", "--env", "production"]) == 1
    assert "FAIL  collection ai_configs: missing: run `optctl store init --env production`" in capsys.readouterr().out
    assert main(["store", "init", "--env", "production"]) == 0
    assert "pass  index optctl_history_by_operation on optctl_history: created" in capsys.readouterr().out
    assert main(["store", "check", "--env", "production", "--output", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["schema_version"] == 1 and all(line["ok"] for line in report["lines"])
    assert main(["store", "init", "--env", "dev"]) == 0
    assert "optctl creates its tables when it opens it" in capsys.readouterr().out

    assert main(["import", str(_services(tmp_path)), "--env", "production", "-y"]) == 0
    capsys.readouterr()
    operation = fresh.server.state.documents(DATABASE, "optctl_history").popitem()[1]["operation"]
    assert main(["store", "verify", operation, "--env", "production"]) == 0
    assert f"operation {operation} in production: written (1 history entries: query)" in capsys.readouterr().out
    assert main(["store", "verify", "0" * 32, "--env", "production"]) == 1


def _services(folder) -> object:
    from tests.support.samples import ai_config

    path = folder / "services.jsonl"
    path.write_text(json.dumps(ai_config("query")) + "\n")
    return path


def test_init_with_rollouts_also_makes_the_rollout_records_collections(fresh, tmp_path, monkeypatch, capsys):
    (tmp_path / "optctl.toml").write_text(
        f'[environments.production]\nurl = "{fresh.url}"\nusername_env = "{USER_VARIABLE}"\npassword_env = "{PASSWORD_VARIABLE}"\n'
    )
    monkeypatch.chdir(tmp_path)
    # production is where [rollouts] defaults to, so init makes the records' layout without --rollouts
    assert main(["store", "init", "--env", "production"]) == 0
    journal = fresh.server.state.databases[DATABASE]["optctl_rollout_journal"]
    assert [(i.fields, i.unique) for i in journal.indexes[1:]] == [(["rollout", "version", "seq"], False)]
    rollouts = fresh.server.state.databases[DATABASE]["optctl_rollouts"]
    assert not any(i.unique for i in rollouts.indexes[1:])  # a record and its claims share one operation id
    capsys.readouterr()
    assert main(["store", "check", "--env", "production", "--rollouts"]) == 0
    out = capsys.readouterr().out
    assert "pass  index optctl_rollouts_by_state on optctl_rollouts" in out
    assert "pass  query plan: a rollout's events" in out
