"""TEST FIXTURE: the stand-in's state (databases, documents with revisions, stream transactions) and routing.

Documents keep every committed version with the commit tick that made it, so a transaction
reads the snapshot it began at. Each request runs under one lock: the stand-in is a
serialisation point, which is all the isolation tests need.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

Document = dict[str, Any]
Payload = dict[str, Any]


class ArangoError(Exception):
    """An error the stand-in answers in ArangoDB's format."""

    def __init__(self, status: int, error_num: int, message: str):
        super().__init__(message)
        self.status, self.error_num, self.message = status, error_num, message

    def body(self) -> Payload:
        return {"error": True, "code": self.status, "errorNum": self.error_num, "errorMessage": self.message}


def conflict(message: str = "conflict, _rev values do not match") -> ArangoError:
    return ArangoError(409, 1200, message)


def collection_not_found(name: str) -> ArangoError:
    return ArangoError(404, 1203, f"collection or view not found: {name}")


@dataclass
class Transaction:
    """A stream transaction, or the implicit one each standalone query runs in."""

    id: str
    database: str
    writable: set[str]
    readable: set[str]
    snapshot: int
    writes: dict[tuple[str, str], Document | None] = field(default_factory=dict)
    status: str = "running"


class FakeArangoServer:
    """The server side; ``FakeHTTPClient`` is the wire. Tests seed and inspect it directly."""

    def __init__(self, users: dict[str, str] | None = None):
        self.users = {"root": ""} if users is None else users
        self.databases: dict[str, dict[str, dict[str, list[tuple[int, Document | None]]]]] = {}
        self.transactions: dict[str, Transaction] = {}
        self._cursors: dict[str, list[Any]] = {}
        self._tick = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # Setup and inspection for tests (what an operator would do with arangosh).

    def create_database(self, name: str) -> None:
        self.databases.setdefault(name, {})

    def create_collection(self, database: str, name: str) -> None:
        self.databases[database].setdefault(name, {})

    def documents(self, database: str, collection: str) -> dict[str, Document]:
        """The committed state of one collection."""
        versions = self.databases[database][collection]
        return {key: doc for key, history in versions.items() if (doc := history[-1][1]) is not None}

    def running_transactions(self) -> list[str]:
        return [t.id for t in self.transactions.values() if t.status == "running"]

    # The wire.

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any,
               auth: tuple[str, str] | None) -> tuple[int, Payload]:
        with self._lock:
            try:
                return self._route(method.upper(), path, {k.lower(): v for k, v in headers.items()}, body, auth)
            except ArangoError as err:
                return err.status, err.body()

    def _route(self, method: str, path: str, headers: dict[str, str], body: Any,
               auth: tuple[str, str] | None) -> tuple[int, Payload]:
        if auth is None or self.users.get(auth[0]) != auth[1]:
            raise ArangoError(401, 401, "not authorized to execute this request")
        match = re.fullmatch(r"/_db/([^/]+)(/_api/.*)", path)
        if not match:
            raise ArangoError(404, 404, f"unknown path '{path}'")
        database, endpoint = match.groups()
        if database not in self.databases:
            raise ArangoError(404, 1228, "database not found")
        trx = self._transaction(headers.get("x-arango-trx-id"))
        if (method, endpoint) == ("POST", "/_api/cursor"):
            return 201, self._cursor(database, body, trx)
        if method == "POST" and (cursor := re.fullmatch(r"/_api/cursor/(\w+)", endpoint)):
            return 200, self._next_batch(cursor.group(1))
        if method == "GET" and (document := re.fullmatch(r"/_api/document/([^/]+)/([^/]+)", endpoint)):
            return self._document(database, *document.groups(), trx)
        if (method, endpoint) == ("POST", "/_api/transaction/begin"):
            return 201, self._begin(database, body)
        if method in ("PUT", "DELETE") and (ended := re.fullmatch(r"/_api/transaction/(\w+)", endpoint)):
            return 200, self._end(ended.group(1), "committed" if method == "PUT" else "aborted")
        raise ArangoError(501, 9, f"the in-process ArangoDB stand-in does not implement {method} {endpoint}")

    # Documents.

    def _document(self, database: str, collection: str, key: str, trx: Transaction | None) -> tuple[int, Payload]:
        statement = Statement(self, trx or self._implicit(database))
        found = statement.get(statement.collection(collection), key)
        if found is None:
            raise ArangoError(404, 1202, "document not found")
        return 200, found

    # Cursors.

    def _cursor(self, database: str, body: Payload, trx: Transaction | None) -> Payload:
        from tests.arango_server.aql import run  # aql builds on Statement below: import at use

        statement = Statement(self, trx or self._implicit(database))
        result = run(statement, body.get("query", ""), body.get("bindVars") or {})
        statement.apply()
        if trx is None:
            self._commit(statement.trx)
        return self._batch(result, int(body.get("batchSize") or 1000), 201)

    def _batch(self, rows: list[Any], size: int, code: int) -> Payload:
        batch, rest = rows[:size], rows[size:]
        payload: Payload = {"error": False, "code": code, "result": batch, "hasMore": bool(rest), "cached": False,
                            "extra": {"warnings": [], "stats": {}}}
        if rest:
            cursor_id = str(next(self._ids))
            self._cursors[cursor_id] = [size, rest]
            payload["id"] = cursor_id
        return payload

    def _next_batch(self, cursor_id: str) -> Payload:
        if cursor_id not in self._cursors:
            raise ArangoError(404, 1600, "cursor not found")
        size, rows = self._cursors.pop(cursor_id)
        return self._batch(rows, size, 200)

    # Transactions.

    def _implicit(self, database: str) -> Transaction:
        """What a request without ``x-arango-trx-id`` runs in: its own transaction, over everything."""
        everything = set(self.databases[database])
        return Transaction("implicit", database, everything, everything, self._tick)

    def _transaction(self, trx_id: str | None) -> Transaction | None:
        if trx_id is None:
            return None
        trx = self.transactions.get(trx_id)
        if trx is None or trx.status != "running":
            raise ArangoError(404, 1655, f"transaction '{trx_id}' not found")
        return trx

    def _begin(self, database: str, body: Payload) -> Payload:
        declared = body.get("collections", {})
        names = {kind: _names(declared.get(kind)) for kind in ("read", "write", "exclusive")}
        for name in set().union(*names.values()):
            if name not in self.databases[database]:
                raise collection_not_found(name)
        writable = names["write"] | names["exclusive"]
        trx = Transaction(str(next(self._ids)), database, writable, writable | names["read"], self._tick)
        self.transactions[trx.id] = trx
        return {"error": False, "code": 201, "result": {"id": trx.id, "status": "running"}}

    def _end(self, trx_id: str, status: str) -> Payload:
        trx = self.transactions.get(trx_id)
        if trx is None:
            raise ArangoError(404, 1655, f"transaction '{trx_id}' not found")
        if trx.status != "running" and trx.status != status:
            raise ArangoError(409, 1653, f"transaction '{trx_id}' is already {trx.status}")
        if trx.status == "running":
            if status == "committed":
                self._commit(trx)
            trx.status = status
        return {"error": False, "code": 200, "result": {"id": trx.id, "status": status}}

    def _commit(self, trx: Transaction) -> None:
        if not trx.writes:
            return
        self._tick += 1
        for (collection, key), doc in trx.writes.items():
            self.databases[trx.database][collection].setdefault(key, []).append((self._tick, doc))

    def new_revision(self) -> str:
        return f"_{next(self._ids):x}{secrets.token_hex(4)}"

    def new_key(self) -> str:
        return str(next(self._ids))


class Statement:
    """One AQL query's view and writes: applied to its transaction only if the query succeeds."""

    def __init__(self, server: FakeArangoServer, trx: Transaction):
        self.server, self.trx = server, trx
        self._writes: dict[tuple[str, str], Document | None] = {}

    def collection(self, name: str, *, write: bool = False) -> str:
        if name not in self.server.databases[self.trx.database]:
            raise collection_not_found(name)
        allowed = self.trx.writable if write else self.trx.readable
        if name not in allowed:
            raise ArangoError(400, 1652, f"collection '{name}' is not registered in the transaction for {'write' if write else 'read'} access")
        return name

    def get(self, collection: str, key: str) -> Document | None:
        for writes in (self._writes, self.trx.writes):
            if (collection, key) in writes:
                return writes[(collection, key)]
        for tick, doc in reversed(self.server.databases[self.trx.database][collection].get(key, [])):
            if tick <= self.trx.snapshot:
                return doc
        return None

    def all(self, collection: str) -> list[Document]:
        keys = set(self.server.databases[self.trx.database][collection])
        keys |= {k for c, k in (*self.trx.writes, *self._writes) if c == collection}
        return [doc for key in sorted(keys) if (doc := self.get(collection, key)) is not None]

    def put(self, collection: str, key: str, doc: Document) -> Document:
        """Store a new version of ``doc`` with a fresh ``_rev``, or fail on a write-write conflict."""
        for other in self.server.transactions.values():
            if other is not self.trx and other.status == "running" and (collection, key) in other.writes:
                raise conflict("write-write conflict")
        committed = self.server.databases[self.trx.database][collection].get(key)
        if committed and committed[-1][0] > self.trx.snapshot:
            raise conflict("write-write conflict")
        stored = {"_key": key, "_id": f"{collection}/{key}", "_rev": self.server.new_revision(),
                  **{k: v for k, v in doc.items() if k not in ("_key", "_id", "_rev")}}
        self._writes[(collection, key)] = stored
        return stored

    def apply(self) -> None:
        self.trx.writes.update(self._writes)


def _names(value: Any) -> set[str]:
    if value is None:
        return set()
    return {value} if isinstance(value, str) else set(value)
