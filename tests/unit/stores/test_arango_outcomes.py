"""Issue 10's failures, each reproduced on the HTTP stand-in: lost replies with one host and with three,
commit outcomes, 401 diagnoses, key rules, transport (TLS trust, 503, non-JSON, waits).

Every test here failed before the fix it names; the matrix at the end drops the reply of every
request of enable, import, rollback and a rollout step and checks that the store is old or
new, never doubled, and that what the user is told is true.
"""

from __future__ import annotations

import threading
import warnings

import pytest
from urllib3.exceptions import InsecureRequestWarning

from optctl.errors import EnvironmentProblem, UsageError
from optctl.stores import arango as backend
from optctl.stores.arango import ArangoStore
from optctl.stores.arango_connection import ArangoConnection, OutcomeUnknown
from optctl.stores.base import Change
from tests.arango_server import Seen, User, tls
from tests.arango_server.harness import DATABASE, Harness
from tests.support.samples import ai_config

ENABLED = {"cache": {"enabled": True, "min_tokens_to_cache": 1024}, "provider": "anthropic"}
SERVICES = ("agent", "indexing", "query")


def _query(text: str):
    return lambda seen: seen.method == "POST" and seen.path.endswith("/_api/cursor") and (seen.body or {}).get("query") == text


def _commit(seen: Seen) -> bool:
    return seen.method == "PUT" and "/_api/transaction/" in seen.path


def _status(seen: Seen) -> bool:
    return seen.method == "GET" and "/_api/transaction/" in seen.path


# urllib3 waits between retries; the retries are what these tests count, not the waits.
pytestmark = pytest.mark.usefixtures("no_backoff")


@pytest.fixture(params=[1, 3], ids=["one-host", "three-hosts"])
def cluster(request, monkeypatch):
    harness = Harness(monkeypatch, coordinators=request.param)
    yield harness
    harness.close()


def _seeded(harness: Harness, env: str = "dev") -> ArangoStore:
    store = harness.open(env)
    store.put_documents([ai_config(s) for s in SERVICES], "importer")
    return store


def _state(harness: Harness, env: str = "dev") -> tuple[dict, list]:
    assert harness.server
    documents = harness.server.state.documents(DATABASE, f"{env}_ai_configs")
    history = sorted(
        harness.server.state.documents(DATABASE, f"{env}_optctl_history").values(), key=lambda h: (h["at"], h["seq"])
    )
    return (
        {k: d.get("optimization") for k, d in documents.items()},
        [(h["service"], h["action"], h.get("before"), h.get("after")) for h in history],
    )


# 1. A lost reply is never resent, and never misreported.


def test_a_lost_reply_to_the_history_insert_is_not_resent_to_the_next_coordinator(cluster):
    store = _seeded(cluster)
    before = _state(cluster)
    current = store.read("query")
    cluster.server.drop_reply(where=_query(backend.INSERT_HISTORY))

    with pytest.raises(EnvironmentProblem, match="nothing was written"):
        store.write([Change("query", current.revision, ENABLED, "enable")], "alice")

    assert _state(cluster) == before  # before the fix, with three hosts: committed, two identical entries
    assert sum(_query(backend.INSERT_HISTORY)(seen) for seen in cluster.server.requests) == 2  # the import's, and this one, once


def test_a_lost_reply_to_an_import_does_not_record_before_as_after(cluster):
    store = cluster.open()
    cluster.server.drop_reply(where=_query(backend.PUT_DOCUMENTS))
    with pytest.raises(EnvironmentProblem, match="nothing was written"):
        store.put_documents([ai_config("query")], "importer")
    assert _state(cluster) == ({}, [])

    entries = store.put_documents([ai_config("query")], "importer")
    assert entries[0].before is None  # a fresh import, not a replay over itself


def test_a_lost_reply_to_the_update_is_not_called_another_writer(cluster):
    store = _seeded(cluster)
    current = store.read("query")
    cluster.server.drop_reply(where=_query(backend.SET_OPTIMIZATION))
    with pytest.raises(EnvironmentProblem) as caught:
        store.write([Change("query", current.revision, ENABLED, "enable")], "alice")
    assert "another writer" not in str(caught.value) and "nothing was written" in str(caught.value)


def test_every_write_stores_its_operation_id_with_each_entry(cluster):
    store = _seeded(cluster)
    documents = store.read_many()
    entries = store.write([Change(s, d.revision, ENABLED, "enable") for s, d in documents.items()], "alice")
    operation = entries[0].extra["operation"]
    assert {e.extra["operation"] for e in entries} == {operation}
    assert store.find_operation(operation) == entries
    stored = [
        h for h in cluster.server.state.documents(DATABASE, "dev_optctl_history").values() if h.get("operation") == operation
    ]
    assert sorted(h["seq"] for h in stored) == [0, 1, 2]


def test_the_operation_index_refuses_a_second_copy_of_a_write(cluster):
    from optctl.stores.arango_layout import documents_layout, ensure

    store = _seeded(cluster)
    ensure(store.connection, documents_layout(cluster.environment()))
    entry = store.history(limit=1)[0]
    row = dict(entry.to_json(), seq=2, operation=entry.extra["operation"])
    with pytest.raises(Exception, match="unique constraint violated"):
        list(
            cluster.other_writer().aql.execute(
                backend.INSERT_HISTORY, bind_vars={"@history": "dev_optctl_history", "entries": [row]}
            )
        )


# 2. Commit outcomes.


def test_a_server_error_after_the_commit_landed_is_reported_as_written(cluster):
    store = _seeded(cluster)
    current = store.read("query")
    cluster.server.answer(
        500, '{"error":true,"code":500,"errorNum":4,"errorMessage":"internal error"}', where=_commit, processed=True
    )

    entries = store.write([Change("query", current.revision, ENABLED, "enable")], "alice")

    assert store.read("query").optimization == ENABLED and entries[0].after == ENABLED  # before: "nothing was written"


def test_a_commit_answered_503_before_it_ran_is_committed_once(cluster):
    store = _seeded(cluster)
    current = store.read("query")
    cluster.server.answer(503, '{"error":true,"code":503,"errorNum":503,"errorMessage":"service unavailable"}', where=_commit)
    store.write([Change("query", current.revision, ENABLED, "enable")], "alice")
    assert [h[1] for h in _state(cluster)[1]].count("enable") == 1


def test_a_commit_nobody_can_settle_is_unknown_and_names_the_operation(cluster):
    store = _seeded(cluster)
    current = store.read("query")
    cluster.server.drop_reply(where=_commit)  # committed, reply lost
    cluster.server.drop_reply(where=_status, processed=False, times=100)
    cluster.server.drop_reply(where=_query(backend.READ_OPERATION), processed=False, times=100)

    with pytest.raises(OutcomeUnknown) as caught:
        store.write([Change("query", current.revision, ENABLED, "enable")], "alice")

    message, operation = str(caught.value), caught.value.operation
    cluster.server.clear_faults()
    assert operation and f"optctl store verify --env dev {operation}" in message and "\n" not in message
    assert [e.action for e in store.find_operation(operation)] == ["enable"]  # it was, in fact, written


def test_a_commit_that_landed_only_in_part_is_reported_as_such(cluster):
    """As on a cluster whose collections span DB-Servers: some history entries committed, not all."""
    store = _seeded(cluster)
    documents = store.read_many()
    cluster.server.drop_reply(where=_commit)
    cluster.server.drop_reply(where=_status, processed=False, times=100)
    history = cluster.server.state.databases[DATABASE]["dev_optctl_history"]

    def lose_one_entry(seen: Seen) -> bool:
        if _query(backend.READ_OPERATION)(seen):
            key = next(
                k
                for k, v in history.versions.items()
                if v[-1][1] and v[-1][1].get("operation") == seen.body["bindVars"]["operation"]
            )
            history.versions[key].append((history.versions[key][-1][0], None))
        return False

    cluster.server.drop_reply(where=lose_one_entry)
    with pytest.raises(OutcomeUnknown, match=r"stored 2 of its 3 history entries: this deployment does not commit atomically"):
        store.write([Change(s, d.revision, ENABLED, "enable") for s, d in documents.items()], "alice")


def test_a_transaction_whose_coordinator_went_away_is_not_written(monkeypatch):
    harness = Harness(monkeypatch, coordinators=3)
    try:
        store = _seeded(harness)
        current = store.read("query")
        owner: list[int] = []

        def commit_on_owner(seen: Seen) -> bool:
            if _commit(seen) and not owner:
                owner.append(seen.forwarded_to or seen.coordinator)
                harness.server.coordinators[owner[0]].stop()  # before the commit is processed
                return True
            return False

        harness.server.drop_reply(where=commit_on_owner, processed=False)
        with pytest.raises(EnvironmentProblem, match="nothing was written") as caught:
            store.write([Change("query", current.revision, ENABLED, "enable")], "alice")
        assert not isinstance(caught.value, OutcomeUnknown)
        assert harness.server.state.documents(DATABASE, "dev_ai_configs")["query"].get("optimization") != ENABLED
    finally:
        harness.close()


# 3. 401 says what it may be, and names the database.


@pytest.mark.parametrize("case", ["wrong password", "no access", "no such database"])
def test_401_names_the_database_and_what_it_may_be(monkeypatch, case):
    harness = Harness(monkeypatch)
    try:
        assert harness.server
        harness.server.state.users["stranger"] = User("pw", {"elsewhere": "rw"})
        env = harness.environment()
        if case == "wrong password":
            monkeypatch.setenv("OPTCTL_TEST_ARANGO_PASSWORD", "wrong")
        elif case == "no access":
            monkeypatch.setenv("OPTCTL_TEST_ARANGO_USER", "stranger")
            monkeypatch.setenv("OPTCTL_TEST_ARANGO_PASSWORD", "pw")
        else:
            monkeypatch.setenv("OPTCTL_TEST_ARANGO_USER", "stranger")
            monkeypatch.setenv("OPTCTL_TEST_ARANGO_PASSWORD", "pw")
            env = harness.environment(url=harness.url.replace(DATABASE, "missing_db"))
        database = "missing_db" if case == "no such database" else DATABASE
        with pytest.raises(EnvironmentProblem) as caught:
            ArangoStore.open(env).list_services()
        message = str(caught.value)
        assert f"refused the login to database {database!r}" in message
        assert "the password may be wrong" in message and f"no access to {database!r}" in message
        assert (
            f"no database {database!r} may exist" in message and "\n" not in message and "pw" not in message.split("password")[0]
        )
    finally:
        harness.close()


# 4. Keys are checked before any request.


def test_a_service_name_with_a_slash_is_one_line_before_any_request(cluster):
    store = _seeded(cluster)
    sent = len(cluster.server.requests)
    with pytest.raises(UsageError, match=r"^service 'team/query' in dev: its document key is not a valid ArangoDB key \(1-254"):
        store.read("team/query")
    with pytest.raises(UsageError, match=r"\[environments.dev.keys\]"):
        store.write([Change("team/query", "_x", ENABLED, "enable")], "alice")
    assert len(cluster.server.requests) == sent


@pytest.mark.parametrize("key", ["has space", "a/b", "ü", "x" * 255])
def test_an_import_with_a_key_arangodb_refuses_names_the_document(cluster, key):
    store = cluster.open()
    sent = len(cluster.server.requests)
    with pytest.raises(UsageError, match=r"^document 1 \(_key .*\): not a valid ArangoDB key"):
        store.put_documents([ai_config("fine"), {**ai_config("bad"), "_key": key}], "importer")
    assert len(cluster.server.requests) == sent and _state(cluster) == ({}, [])


# 6. Transport: TLS trust, 503, non-JSON, waiting.


@pytest.mark.skipif(not tls.available(), reason="needs the openssl binary")
def test_ca_bundle_is_trusted_whatever_requests_ca_bundle_says(tmp_path, monkeypatch):
    cert, key = tls.self_signed(tmp_path)
    harness = Harness(monkeypatch, tls=tls.server_context(cert, key))
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "elsewhere.pem"))
        (tmp_path / "elsewhere.pem").write_text("")
        store = harness.connect(harness.environment(ca_bundle=str(cert)))
        assert store.list_services() == []
        untrusted = harness.connect(harness.environment(name="dev"))  # certifi does not know the stand-in's CA
        with pytest.raises(EnvironmentProblem, match="TLS handshake failed.*set ca_bundle"):
            untrusted.list_services()
    finally:
        harness.close()


@pytest.mark.skipif(not tls.available(), reason="needs the openssl binary")
def test_verify_tls_false_prints_no_warning(tmp_path, monkeypatch, capsys):
    cert, key = tls.self_signed(tmp_path)
    harness = Harness(monkeypatch, tls=tls.server_context(cert, key))
    try:
        store = harness.connect(harness.environment(verify_tls=False))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert store.list_services() == []
        assert not [w for w in caught if issubclass(w.category, InsecureRequestWarning)]
        assert "Unverified HTTPS" not in capsys.readouterr().err
    finally:
        harness.close()


def test_a_503_retried_twice_is_reported_as_a_503(cluster):
    store = _seeded(cluster)
    cluster.server.answer(
        503,
        '{"error":true,"code":503,"errorNum":503,"errorMessage":"unavailable"}',
        where=lambda seen: seen.method == "GET",
        times=100,
    )
    with pytest.raises(EnvironmentProblem) as caught:
        store.read("query")
    assert "HTTP 503 Service Unavailable, 3 tries" in str(caught.value) and "connection lost" not in str(caught.value)


def test_a_200_that_is_not_json_is_one_line_naming_the_endpoint(cluster):
    store = _seeded(cluster)
    cluster.server.answer(
        200,
        "<html>login portal</html>",
        content_type="text/html",
        where=_query(backend.LIST_KEYS),
        times=len(cluster.server.urls),
    )
    with pytest.raises(EnvironmentProblem) as caught:
        store.list_services()
    message = str(caught.value)
    assert "HTTP 200 with a body that is not JSON (text/html) from http://127.0.0.1:" in message
    assert "/_db/optctl_test/_api/cursor while trying to list services" in message and "\n" not in message


def test_a_hanging_endpoint_says_what_optctl_waits_for(cluster):
    _seeded(cluster)
    release, notices = threading.Event(), []

    def notice(line: str) -> None:
        notices.append(line)
        release.set()

    store = ArangoStore(cluster.environment(), ArangoConnection.open(cluster.environment(), notice=notice))
    store.connection.transport.notice_after = 0.05
    cluster.server.hold(release, where=_query(backend.LIST_KEYS))
    assert store.list_services() == sorted(SERVICES)
    assert notices == [
        f"optctl: waiting for ArangoDB at {cluster.server.urls[0]}/_db/optctl_test/_api/cursor to list services "
        "(gives up after 30 s: request_timeout in optctl.toml, or OPTCTL_REQUEST_TIMEOUT)"
    ]


def test_fast_requests_start_no_thread_and_say_nothing(cluster, monkeypatch):
    store = _seeded(cluster)
    notices: list[str] = []
    store.connection.transport.notice = notices.append
    store.connection.transport.notice_after = 60  # fast is well under it, however loaded the machine
    store.list_services()  # the process's watcher thread exists from here on
    started: list[threading.Thread] = []
    start = threading.Thread.start
    here = threading.current_thread()
    # the stand-in's server threads start their own threads; count those started by the client
    monkeypatch.setattr(
        threading.Thread,
        "start",
        lambda thread: (threading.current_thread() is here and started.append(thread), start(thread))[1],
    )
    sent = len(cluster.server.requests)
    for _ in range(50):
        assert store.list_services() == sorted(SERVICES)
    assert len(cluster.server.requests) - sent >= 50
    assert started == [] and notices == []


def test_the_request_timeout_comes_from_the_variable_then_the_project_file(cluster, monkeypatch):
    _seeded(cluster)
    assert ArangoConnection.open(cluster.environment(request_timeout=7)).transport.request_timeout == 7
    monkeypatch.setenv("OPTCTL_REQUEST_TIMEOUT", "0.2")
    store = ArangoStore.open(cluster.environment(request_timeout=7))
    release = threading.Event()
    cluster.server.hold(release, where=_query(backend.LIST_KEYS))
    try:
        with pytest.raises(EnvironmentProblem, match=r"no answer within 0.2 s \(request_timeout\)"):
            store.list_services()
    finally:
        release.set()


def test_request_timeout_in_optctl_toml_is_checked(tmp_path):
    from optctl.settings.project import parse_project

    parsed = parse_project(
        {"environments": {"p": {"url": "arangodb://h:8529/db", "request_timeout": 12.5}}}, tmp_path / "optctl.toml"
    )
    assert parsed.environments["p"].request_timeout == 12.5
    with pytest.raises(UsageError, match="request_timeout must be a number of seconds"):
        parse_project(
            {"environments": {"p": {"url": "arangodb://h:8529/db", "request_timeout": "soon"}}}, tmp_path / "optctl.toml"
        )


# The matrix: a reply dropped at each request of enable, import, rollback and a rollout step.


def _enable(store: ArangoStore) -> list:
    return store.write([Change(s, d.revision, ENABLED, "enable") for s, d in store.read_many(list(SERVICES)).items()], "alice")


def _import(store: ArangoStore) -> list:
    return store.put_documents([ai_config(s, enabled=True) for s in SERVICES], "importer", "refresh")


def _rollback(store: ArangoStore) -> list:
    return store.write([Change(s, d.revision, None, "rollback") for s, d in store.read_many(["query"]).items()], "alice")


def _rollout_step(store: ArangoStore) -> list:
    documents = store.read_many(["agent", "indexing"])
    return store.write(
        [Change(s, d.revision, ENABLED, "enable", "stage 2", "r-20261201") for s, d in documents.items()], "rollout"
    )


OPERATIONS = {"enable": _enable, "import": _import, "rollback": _rollback, "rollout-step": _rollout_step}


def _requests_of(operation: str, monkeypatch: pytest.MonkeyPatch, hosts: int) -> int:
    harness = Harness(monkeypatch, coordinators=hosts)
    try:
        store = _seeded(harness)
        sent = len(harness.server.requests)  # type: ignore[union-attr]
        OPERATIONS[operation](store)
        return len(harness.server.requests) - sent  # type: ignore[union-attr]
    finally:
        harness.close()


@pytest.mark.parametrize("hosts", [1, 3])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_reply_dropped_at_any_request_leaves_the_store_old_or_new_and_the_report_true(monkeypatch, operation, hosts):
    count = _requests_of(operation, monkeypatch, hosts)
    for at in range(1, count + 1):
        for processed in (False, True):
            harness = Harness(monkeypatch, coordinators=hosts)
            try:
                store = _seeded(harness)
                old = _state(harness)
                harness.server.drop_reply(at, processed=processed)  # type: ignore[union-attr]
                try:
                    entries = OPERATIONS[operation](store)
                except OutcomeUnknown as unknown:
                    written = bool(store.find_operation(unknown.operation or ""))
                    assert _state(harness) != old if written else _state(harness) == old
                    continue
                except EnvironmentProblem as problem:  # a read before the write, or the write itself
                    assert "nothing was written" in str(problem) or "while trying to read" in str(problem), (
                        at,
                        processed,
                        str(problem),
                    )
                    assert _state(harness) == old, (at, processed)
                    continue
                documents, history = _state(harness)
                assert len(history) == len(old[1]) + len(entries), (at, processed)  # recorded once
                assert history[: len(old[1])] == old[1]
                assert [(e.service, e.action, e.before, e.after) for e in entries] == history[len(old[1]) :]
                assert all(documents[e.service] == e.after for e in entries)
            finally:
                harness.close()
