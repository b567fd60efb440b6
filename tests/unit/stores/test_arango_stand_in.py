"""The HTTP stand-in behaves as the ArangoDB documentation and source say (each case cites its source
in ``tests/arango_server``), seen through python-arango's real transport."""

from __future__ import annotations

import threading

import pytest
import requests
from arango import ArangoClient
from arango.exceptions import ArangoServerError
from arango.http import DefaultHTTPClient

from tests.arango_server import ArangoStandIn, User, tls
from tests.arango_server.state import State

DB, USER, PASSWORD = "configs", "alice", "pw-alice"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock):
    users = {
        USER: User(PASSWORD, {DB: "rw"}),
        "reader": User("pw-reader", {DB: "ro"}),
        "stranger": User("pw-stranger", {"other": "rw"}),
        "root": User("", {"*": "rw"}),
    }
    stand_in = ArangoStandIn(users, coordinators=2, clock=clock)
    stand_in.state.create_database(DB)
    for name in ("docs", "log"):
        stand_in.state.create_collection(DB, name)
    yield stand_in
    stand_in.close()


def _db(server: ArangoStandIn, user: str = USER, password: str = PASSWORD, database: str = DB, host: int = 0, **options):
    return ArangoClient(hosts=server.urls[host], resolver_max_tries=1).db(database, username=user, password=password, **options)


def _error(call) -> tuple[int, int]:
    with pytest.raises(ArangoServerError) as caught:
        call()
    return caught.value.http_code, caught.value.error_code


INSERT = 'FOR d IN @documents INSERT d INTO @@collection OPTIONS {overwriteMode: "replace"} RETURN {key: NEW._key, revision: NEW._rev, before: OLD.optimization, after: NEW.optimization}'


def _insert(db, *keys: str, collection: str = "docs") -> list:
    from optctl.stores.arango import PUT_DOCUMENTS

    return list(
        db.aql.execute(
            PUT_DOCUMENTS, bind_vars={"@collection": collection, "documents": [{"_key": k, "model": "m"} for k in keys]}
        )
    )


# Coordinators, ids, forwarding, lost replies.


def test_a_transaction_id_names_its_coordinator_and_another_coordinator_forwards_to_it(server):
    trx = _db(server, host=0).begin_transaction(write=["docs"])
    assert State.owner_of(trx.transaction_id) == 1

    elsewhere = _db(server, host=1).fetch_transaction(trx.transaction_id)
    _insert(elsewhere, "a")
    elsewhere.commit_transaction()

    forwarded = [seen for seen in server.requests if seen.coordinator == 2]
    assert forwarded and all(seen.forwarded_to == 1 for seen in forwarded)
    assert set(server.state.documents(DB, "docs")) == {"a"}


def test_a_reply_dropped_after_processing_leaves_the_work_done(server):
    db = _db(server)
    server.drop_reply(1)
    with pytest.raises(ConnectionAbortedError):  # python-arango's words for "no reply from any host"
        _insert(db, "a")
    assert set(server.state.documents(DB, "docs")) == {"a"}


def test_a_coordinator_that_goes_away_aborts_its_transactions(server):
    trx = _db(server, host=0).begin_transaction(write=["docs"])
    _insert(trx, "a")
    server.coordinators[1].stop()
    assert _error(lambda: _db(server, host=1).fetch_transaction(trx.transaction_id)) == (404, 1655)
    assert server.state.documents(DB, "docs") == {}


# Authentication and permissions, in the server's order.


@pytest.mark.parametrize(
    ("user", "password", "database", "expected"),
    [
        (USER, "wrong", DB, (401, 11)),  # wrong password
        ("stranger", "pw-stranger", DB, (401, 11)),  # valid credentials, no access to the database
        (USER, PASSWORD, "nosuchdb", (401, 11)),  # no such database, and no access to that name
        ("root", "", "nosuchdb", (404, 1228)),  # only a user with access to the name learns it is missing
    ],
)
def test_authentication_answers(server, user, password, database, expected):
    assert _error(lambda: _db(server, user, password, database).collections()) == expected


def test_a_read_only_user_reads_but_cannot_write(server):
    _insert(_db(server), "a")
    reader = _db(server, "reader", "pw-reader")
    assert reader.collection("docs").get("a")["_key"] == "a"
    assert _error(lambda: _insert(reader, "b")) == (403, 11)
    assert _error(lambda: reader.begin_transaction(write=["docs"])) == (403, 11)


def test_jwt_authentication_through_open_auth(server):
    db = _db(server, auth_method="jwt")
    _insert(db, "a")
    assert db.collection("docs").get("a")["_key"] == "a"
    assert any(seen.path == "/_open/auth" for seen in server.requests)


# Stream transactions.


def test_commit_and_abort_are_idempotent_and_exclusive(server):
    db = _db(server)
    committed = db.begin_transaction(write=["docs"])
    committed.commit_transaction()
    committed.commit_transaction()
    assert committed.transaction_status() == "committed"
    assert _error(committed.abort_transaction) == (400, 1653)

    aborted = db.begin_transaction(write=["docs"])
    aborted.abort_transaction()
    aborted.abort_transaction()
    assert _error(aborted.commit_transaction) == (400, 1653)
    assert _error(lambda: db.fetch_transaction(str((1 << 40) | (999_999 << 2)))) == (404, 1655)


def test_an_idle_transaction_expires(server, clock):
    db = _db(server)
    trx = db.begin_transaction(write=["docs"])
    _insert(trx, "a")
    clock.now += 61
    assert _error(lambda: _insert(trx, "b")) == (404, 1655)  # leaseManagedTrx: expired is not found
    assert trx.transaction_status() == "aborted"

    late = db.begin_transaction(write=["docs"])
    clock.now += 61
    server.state.transactions[late.transaction_id].status = "running"  # not yet collected
    with server.state.lock:
        assert _error_direct(lambda: server.state.finish(late.transaction_id, DB, "committed")) == (410, 1654)
    assert server.state.documents(DB, "docs") == {}


def _error_direct(call) -> tuple[int, int]:
    from tests.arango_server.state import ArangoError

    with pytest.raises(ArangoError) as caught:
        call()
    return caught.value.status, caught.value.error_num


def test_allow_implicit_false_refuses_undeclared_reads(server):
    db = _db(server)
    strict = db.begin_transaction(write=["docs"], allow_implicit=False)
    assert _error(lambda: list(strict.aql.execute("FOR d IN @@collection RETURN d", bind_vars={"@collection": "log"}))) == (
        400,
        1652,
    )
    lenient = db.begin_transaction(write=["docs"])
    assert list(lenient.aql.execute("FOR d IN @@collection RETURN d", bind_vars={"@collection": "log"})) == []
    assert _error(lambda: _insert(lenient, "x", collection="log")) == (400, 1652)  # writes must be declared


def test_the_transaction_size_limit(server):
    trx = _db(server).begin_transaction(write=["docs"], max_size=200)
    _insert(trx, "a")
    assert _error(lambda: _insert(trx, *[f"k{i}" for i in range(10)])) == (400, 32)


@pytest.mark.parametrize("holder_ends", ["abort", "commit", "never"])
def test_a_writer_waits_for_a_key_lock(server, holder_ends):
    _insert(_db(server), "a")
    holder = _db(server).begin_transaction(write=["docs"])
    _insert(holder, "a")
    server.state.key_lock_timeout = 0.2 if holder_ends == "never" else 10
    waiter = _db(server, host=1).begin_transaction(write=["docs"])
    outcome: list = []

    def write() -> None:
        try:
            outcome.append(_insert(waiter, "a"))
        except ArangoServerError as err:
            outcome.append((err.http_code, err.error_code))

    thread = threading.Thread(target=write)
    thread.start()
    if holder_ends != "never":
        assert server.state.waiting.wait(5)
        holder.abort_transaction() if holder_ends == "abort" else holder.commit_transaction()
    thread.join(10)
    if holder_ends == "abort":
        assert outcome[0][0]["key"] == "a"  # the competitor went away in time: the write succeeds
    else:
        assert outcome == [(409, 1200)]  # changed after our snapshot, or the lock wait timed out


# Validation.


def test_illegal_keys_are_refused(server):
    assert _error(lambda: _insert(_db(server), "has space")) == (400, 1221)
    assert _error(lambda: _insert(_db(server), "x" * 255)) == (400, 1221)


def test_bind_parameters_must_match_the_query(server):
    db = _db(server)
    query = "FOR d IN @@collection RETURN d"
    assert _error(lambda: db.aql.execute(query, bind_vars={"@collection": "docs", "extra": 1})) == (400, 1552)
    assert _error(lambda: db.aql.execute(query, bind_vars={})) == (400, 1551)


def test_if_match_with_another_revision_is_412(server):
    db = _db(server)
    _insert(db, "a")
    assert _error(lambda: db.collection("docs").get("a", rev="_stale", check_rev=True)) == (412, 1200)


def test_cursors_expire_and_can_be_deleted(server, clock):
    db = _db(server)
    _insert(db, *[f"k{i}" for i in range(5)])
    cursor = db.aql.execute("FOR d IN @@collection RETURN d", bind_vars={"@collection": "docs"}, batch_size=2, ttl=5)
    assert cursor.has_more()
    clock.now += 6
    assert _error(cursor.fetch) == (404, 1600)
    again = db.aql.execute("FOR d IN @@collection RETURN d", bind_vars={"@collection": "docs"}, batch_size=2)
    assert again.close() is True
    assert _error(again.fetch) == (404, 1600)


# TLS.


@pytest.mark.skipif(not tls.available(), reason="needs the openssl binary")
def test_tls_listener_is_trusted_only_through_its_ca_file(tmp_path, monkeypatch):
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests would let these override verify_override
        monkeypatch.delenv(variable, raising=False)
    cert, key = tls.self_signed(tmp_path)
    stand_in = ArangoStandIn({"root": User("")}, tls=tls.server_context(cert, key))
    stand_in.state.create_database(DB)
    try:
        trusted = ArangoClient(hosts=stand_in.urls, verify_override=str(cert)).db(DB, username="root", password="")
        assert trusted.collections() == []
        untrusting = ArangoClient(hosts=stand_in.urls, resolver_max_tries=1, http_client=DefaultHTTPClient(retry_attempts=0))
        with pytest.raises(ConnectionAbortedError):
            untrusting.db(DB, username="root", password="").collections()
    finally:
        stand_in.close()


def test_requests_for_an_unknown_endpoint_are_501(server):
    response = requests.get(f"{server.urls[0]}/_db/{DB}/_api/nothing-here", auth=(USER, PASSWORD), timeout=5)
    assert response.status_code == 501 and response.json()["errorNum"] == 9


# The stand-in's own health: quiet about clients that go away, loud about its own failures.


def test_a_client_gone_before_its_reply_is_not_a_server_error(server, capsys):
    listener = server.coordinators[1].httpd
    for gone in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "Connection reset by peer")):
        try:
            raise gone
        except ConnectionError:
            listener.handle_error(None, ("127.0.0.1", 40000))
    assert capsys.readouterr().err == "" and server.errors == []


def test_a_failure_of_the_stand_in_itself_is_printed_and_fails_the_test_at_close(monkeypatch, capfd):
    from tests.arango_server import routes

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a route")

    stand_in = ArangoStandIn({USER: User(PASSWORD, {DB: "rw"})})
    stand_in.state.create_database(DB)
    monkeypatch.setattr(routes, "route", broken)
    with pytest.raises(requests.ConnectionError):  # the handler died: the connection closes without a reply
        requests.get(f"{stand_in.urls[0]}/_db/{DB}/_api/version", auth=(USER, PASSWORD), timeout=5)
    with pytest.raises(AssertionError, match="(?s)the ArangoDB stand-in failed while serving.*RuntimeError: a bug in a route"):
        stand_in.close()
    assert "RuntimeError: a bug in a route" in capfd.readouterr().err
