"""ArangoStore beyond the shared contract: round trips, conflicts, failures and what they say.

Most tests run on the in-process stand-in only (they count its requests or inject faults);
the rest also run against a real server when ``OPTCTL_TEST_ARANGO_URL`` is set.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Iterator

import pytest

from optctl.errors import ConflictError, EnvironmentProblem, UsageError
from optctl.stores import arango as backend
from optctl.stores.arango import ArangoStore, parse_url
from optctl.stores.base import Change
from tests.arango_server import aql
from tests.arango_server.harness import FAKE_PASSWORD, Harness, harness_for
from tests.support.network import refusing_port
from tests.support.samples import ai_config

ENABLED = {"cache": {"enabled": True, "min_tokens_to_cache": 1024}, "provider": "anthropic"}


@pytest.fixture
def harness(request) -> Harness:
    return harness_for(request)


@pytest.fixture
def fake(harness) -> Harness:
    if harness.real:
        pytest.skip("counts requests or injects faults: stand-in only")
    return harness


def _snapshot(store: ArangoStore) -> tuple[dict, list]:
    return ({s: (d.revision, d.document) for s, d in store.read_many().items()}, store.history())


def _enable_all_from(store: ArangoStore, documents: dict) -> None:
    store.write([Change(s, d.revision, ENABLED, "enable") for s, d in documents.items()], "alice")


def test_a_stale_revision_is_a_conflict_naming_who_changed_it_last(harness):
    store, other = harness.open(), harness.open()
    store.put_documents([ai_config("query")], "importer")
    stale = store.read("query")
    other.write([Change("query", stale.revision, ENABLED, "enable")], "bob")
    before = _snapshot(store)

    with pytest.raises(ConflictError) as caught:
        store.write([Change("query", stale.revision, None, "disable")], "alice")

    last = store.history("query", limit=1)[0]
    assert str(caught.value) == (f"query in dev changed since it was read (by bob at {last.at}); nothing was written; run again")
    assert _snapshot(store) == before


def test_one_stale_service_in_a_batch_writes_none_of_them(harness):
    store = harness.open()
    store.put_documents([ai_config(f"svc{i}") for i in range(5)], "importer")
    documents = store.read_many()
    harness.open().write([Change("svc3", documents["svc3"].revision, ENABLED, "enable")], "bob")
    before = _snapshot(store)

    with pytest.raises(ConflictError, match="^svc3 in dev changed since it was read"):
        _enable_all_from(store, documents)

    assert _snapshot(store) == before


def test_two_writers_racing_on_one_service_lose_no_update(harness):
    harness.open().put_documents([ai_config("query")], "importer")
    flips, conflicts = 100, []

    def flip(actor: str) -> None:
        store = harness.open()
        for _ in range(flips):
            while True:  # re-read and retry, as an operator running the command again would
                current = store.read("query")
                enabled = not current.optimization["cache"]["enabled"]
                try:
                    store.write(
                        [
                            Change(
                                "query",
                                current.revision,
                                {**current.optimization, "cache": {"enabled": enabled}},
                                "enable" if enabled else "disable",
                            )
                        ],
                        actor,
                    )
                    break
                except ConflictError:
                    conflicts.append(actor)

    writers = [threading.Thread(target=flip, args=(actor,)) for actor in ("alice", "bob")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    store = harness.open()
    entries = store.history("query")[1:]  # after the import
    assert len(entries) == 2 * flips
    assert all(later.before == earlier.after for earlier, later in zip(entries, entries[1:]))
    assert store.read("query").optimization == entries[-1].after
    assert store.read("query").revision == entries[-1].revision


def test_a_write_racing_a_running_transaction_is_a_conflict(harness):
    if harness.server:  # the held lock is never released here: the stand-in need not wait ArangoDB's whole second
        harness.server.state.key_lock_timeout = 0.05
    store = harness.open()
    store.put_documents([ai_config("agent")], "importer")
    current = store.read("agent")
    # Another writer holds an uncommitted change of the same document (a write-write conflict).
    trx = harness.other_writer().begin_transaction(write=["dev_ai_configs"])
    trx.aql.execute(
        backend.SET_OPTIMIZATION,
        bind_vars={
            "@collection": "dev_ai_configs",
            "changes": [{"key": "agent", "revision": current.revision, "optimization": ENABLED}],
        },
    )

    assert store.read("agent") == current  # uncommitted: invisible to everyone else
    with pytest.raises(ConflictError, match="another writer is changing them right now"):
        store.write([Change("agent", current.revision, ENABLED, "enable")], "alice")

    trx.abort_transaction()
    assert store.read("agent") == current


def test_a_change_made_outside_optctl_is_a_conflict_without_a_name(harness):
    store = harness.open()
    store.put_documents([ai_config("agent")], "importer")
    current = store.read("agent")
    harness.other_writer().aql.execute(
        backend.SET_OPTIMIZATION,
        bind_vars={
            "@collection": "dev_ai_configs",
            "changes": [{"key": "agent", "revision": current.revision, "optimization": ENABLED}],
        },
    )

    with pytest.raises(ConflictError, match=r"^agent in dev changed since it was read \(by someone outside optctl\)"):
        store.write([Change("agent", current.revision, None, "disable")], "alice")


def test_last_changes_are_the_newest_entry_of_each_service(harness):
    store = harness.open()
    store.put_documents([ai_config("query"), ai_config("agent")], "importer")
    store.write([Change("query", store.read("query").revision, ENABLED, "enable")], "bob")

    newest = store.last_changes()

    assert {s: (e.actor, e.action) for s, e in newest.items()} == {"query": ("bob", "enable"), "agent": ("importer", "import")}
    assert newest["query"] == store.history("query", limit=1)[0]


def test_removing_the_optimization_removes_the_field_and_keeps_nested_nulls_when_added(harness):
    store = harness.open()
    store.put_documents([ai_config("indexing", enabled=None)], "importer")
    with_null = {"cache": {"enabled": False}, "provider": None}

    store.write([Change("indexing", store.read("indexing").revision, with_null, "apply")], "alice")
    assert store.read("indexing").optimization == with_null

    store.write([Change("indexing", store.read("indexing").revision, None, "rollback")], "alice")
    assert "optimization" not in store.read("indexing").document
    assert store.read("indexing").document == ai_config("indexing", enabled=None)


@pytest.mark.parametrize("services", [500, 1500])
def test_enabling_many_services_takes_at_most_five_requests(fake, services):
    store = fake.connect(fake.environment())
    names = [f"service-{i:04}" for i in range(services)]
    store.put_documents([ai_config(name) for name in names], "importer")
    before = len(fake.server.requests)

    _enable_all_from(store, store.read_many(names))  # as `optctl enable NAMES...` does

    sent = fake.server.requests[before:]
    assert len(sent) <= 5, [(r.method, r.path) for r in sent]
    assert all(d.optimization == ENABLED for d in store.read_many().values())
    assert len(store.history()) == 2 * services


@pytest.mark.parametrize("at", [1, 2, 3])  # begin, update, history: before the commit
def test_a_connection_dropped_during_a_write_leaves_the_store_as_it_was(fake, at):
    store = fake.connect(fake.environment())
    store.put_documents([ai_config(f"svc{i}") for i in range(3)], "importer")
    before = _snapshot(store)
    documents = store.read_many()

    fake.server.drop_reply(at, processed=False)
    with pytest.raises(EnvironmentProblem) as caught:
        _enable_all_from(store, documents)

    message = str(caught.value)
    assert "\n" not in message and "'dev'" in message and backend.__name__ not in message
    assert fake.url in message and "connection lost" in message
    assert _snapshot(store) == before
    assert fake.server.state.running_transactions() == []


def test_a_reply_lost_after_the_update_is_aborted_and_nothing_is_written(fake):
    store = fake.connect(fake.environment())
    store.put_documents([ai_config("svc")], "importer")
    before = _snapshot(store)
    current = store.read("svc")

    fake.server.drop_reply(2)  # begin, then UPDATE: the server ran it, the reply is lost
    with pytest.raises(EnvironmentProblem, match="nothing was written"):
        store.write([Change("svc", current.revision, ENABLED, "enable")], "alice")

    assert _snapshot(store) == before
    assert fake.server.state.running_transactions() == []


def test_a_reply_lost_on_commit_is_settled_by_the_transaction_status(fake):
    store = fake.connect(fake.environment())
    store.put_documents([ai_config("svc")], "importer")
    current = store.read("svc")

    fake.server.drop_reply(4)  # begin, update, history, commit: committed, the reply is lost
    entries = store.write([Change("svc", current.revision, ENABLED, "enable")], "alice")

    assert store.read("svc").revision == entries[0].revision != current.revision
    assert [e.action for e in store.history("svc")] == ["import", "enable"]
    asked = [r for r in fake.server.requests if r.method == "GET" and "/_api/transaction/" in r.path]
    assert len(asked) == 1  # the status said committed: nothing was resent


def _one_line_without_secrets(message: str) -> None:
    assert "\n" not in message
    assert FAKE_PASSWORD not in message and "sk-ant-test" not in message


def test_wrong_credentials_are_one_line_without_the_password(fake, monkeypatch):
    store = fake.open()
    monkeypatch.setenv("OPTCTL_TEST_ARANGO_PASSWORD", "not-the-password")
    wrong = ArangoStore.open(fake.environment())

    with pytest.raises(EnvironmentProblem) as caught:
        wrong.list_services()

    assert str(caught.value) == (
        f"environment 'dev': ArangoDB at {fake.url} refused the login to database 'optctl_test' "
        "as user 'optctl' (HTTP 401, error 11): the password may be wrong, the user may have no "
        "access to 'optctl_test', or no database 'optctl_test' may exist; check the credentials "
        "named by username_env/password_env or username_file/password_file, the user's grants, "
        "and the database in the url"
    )
    assert "not-the-password" not in str(caught.value)
    store.close()


def test_a_missing_database_is_one_line(fake):
    url = fake.url.replace("/optctl_test", "/nosuchdb")
    store = ArangoStore.open(fake.environment(url=url))
    with pytest.raises(
        EnvironmentProblem, match=f"^environment 'dev': ArangoDB at {url} has no database 'nosuchdb'; create it"
    ) as caught:
        store.read_many()
    _one_line_without_secrets(str(caught.value))


def test_a_missing_history_collection_is_named_and_nothing_is_written(fake):
    store = fake.open()
    store.put_documents([ai_config("svc")], "importer")
    before = _snapshot(store)
    broken = ArangoStore.open(fake.environment(history_collection="no_history"))

    with pytest.raises(EnvironmentProblem) as caught:
        broken.write([Change("svc", broken.read("svc").revision, ENABLED, "enable")], "alice")

    assert str(caught.value) == (
        f"environment 'dev': ArangoDB at {fake.url} has no collection "
        "'no_history'; run `optctl store init --env dev`, or fix collection/history_collection in optctl.toml; nothing was written"
    )
    assert _snapshot(store) == before


def test_a_refused_connection_is_one_line(harness, no_backoff):
    with refusing_port() as port:
        store = ArangoStore.open(harness.environment(url=f"arangodb://127.0.0.1:{port}/optctl_test"))
        with pytest.raises(EnvironmentProblem) as caught:
            store.list_services()

    assert str(caught.value) == (
        f"environment 'dev': ArangoDB at arangodb://127.0.0.1:{port}/optctl_test: the connection failed "
        "(connection refused) while trying to list services; check the url in optctl.toml and that "
        "the server is running"
    )


def test_an_unknown_host_is_one_line(harness, no_backoff):
    store = ArangoStore.open(harness.environment(url="arangodb://no-such-host.invalid:8529/optctl_test"))  # RFC 6761

    with pytest.raises(
        EnvironmentProblem,
        match=r"^environment 'dev': ArangoDB at arangodb://no-such-host.invalid:8529/optctl_test: "
        r"the connection failed \(host name not found\) while trying to list services; ",
    ):
        store.list_services()


@contextmanager
def _plain_http_server(answers: int) -> Iterator[int]:
    """A local port where something that is not ArangoDB answers ``answers`` connections in plain HTTP."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer() -> None:
        for _ in range(answers):
            connection, _ = listener.accept()
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n<h1>x</h1>")
            connection.close()

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    try:
        yield listener.getsockname()[1]
    finally:
        server.join(timeout=5)
        listener.close()


def test_a_server_that_does_not_speak_tls_is_a_tls_failure(harness):
    with _plain_http_server(answers=2) as port:  # the first try and urllib3's one retry
        store = ArangoStore.open(harness.environment(url=f"arangodb+https://127.0.0.1:{port}/optctl_test"))
        with pytest.raises(EnvironmentProblem, match=r"\(TLS handshake failed: .*\).*set ca_bundle to the server's CA file"):
            store.list_services()


def test_a_url_that_is_not_arangodb_is_one_line(harness):
    with _plain_http_server(answers=1) as port:
        store = ArangoStore.open(harness.environment(url=f"arangodb://127.0.0.1:{port}/optctl_test"))
        with pytest.raises(EnvironmentProblem) as caught:
            store.list_services()
    assert str(caught.value) == (
        f"environment 'dev': ArangoDB at arangodb://127.0.0.1:{port}/optctl_test: HTTP 404 with a "
        f"body that is not JSON (text/html) from http://127.0.0.1:{port}/_db/optctl_test/_api/cursor "
        "while trying to list services; check that the url points at ArangoDB (host, port, database)"
    )


def test_a_missing_ca_bundle_is_reported_before_connecting(harness, tmp_path):
    with pytest.raises(EnvironmentProblem, match="the CA bundle .*missing.pem does not exist; fix ca_bundle"):
        ArangoStore.open(harness.environment(ca_bundle=str(tmp_path / "missing.pem")))


@pytest.mark.parametrize(
    ("url", "hosts", "database"),
    [
        ("arangodb://db.internal/configs", ["http://db.internal:8529"], "configs"),
        ("arangodb+https://db.internal:8530/configs", ["https://db.internal:8530"], "configs"),
        ("arangodb+https://c1:8529,c2:8529/configs", ["https://c1:8529", "https://c2:8529"], "configs"),
    ],
)
def test_urls_name_hosts_and_database(url, hosts, database):
    assert parse_url(url) == (hosts, database)


@pytest.mark.parametrize("url", ["arangodb://root:hunter2@db:8529/configs", "arangodb://db:8529", "arangodb://db:8529/a/b"])
def test_urls_without_database_or_with_credentials_are_refused(url):
    with pytest.raises(UsageError) as caught:
        parse_url(url)
    assert "hunter2" not in str(caught.value)


def test_the_stand_in_implements_every_query_the_backend_sends():
    from optctl.rollout.records import arango as records  # the rollout records register theirs (tests/support/rollout_aql.py)

    assert set(backend.ALL_QUERIES) == set(aql._HANDLERS) - set(records.ALL_QUERIES)
