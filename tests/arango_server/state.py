"""TEST FIXTURE: what every coordinator of the stand-in shares: databases, users, stream transactions, cursors.

One ``State`` sits behind all coordinator endpoints (``http.py``), as a cluster's shared
storage does. Documents keep every committed version with the commit tick that made it, so a
transaction reads the snapshot it began at. Requests run under one condition lock; a writer
waiting for another transaction's key lock releases it while it waits.

Sources (ArangoDB 3.12 docs = arangodb/docs-hugo ``site/content/arangodb/3.12/``; server =
arangodb/arangodb):
- error numbers and texts: docs ``site/data/3.12/errors.yaml``; their HTTP statuses:
  server ``lib/Rest/GeneralResponse.cpp`` ``responseCode(ErrorCode)``.
- stream transactions: docs ``develop/http-api/transactions/stream-transactions.md`` and
  ``develop/transactions/stream-transactions.md``; server ``arangod/Transaction/Manager.cpp``
  (``leaseManagedTrx``, ``updateTransaction``, ``getManagedTrxStatus``, ``garbageCollect``).
- ids that carry the coordinator: server ``TRI_NewServerSpecificTick`` /
  ``TRI_ExtractServerIdFromTick`` (short id in bits 40-63, ``lib/Basics`` ticks).
- keys: docs ``concepts/data-structure/documents/_index.md`` "User-specified keys".
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

Document = dict[str, Any]
Payload = dict[str, Any]

# docs concepts/data-structure/documents/_index.md: 1..254 bytes of these characters.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_\-.@()+,=;$!*'%:]{1,254}")
IDLE_TIMEOUT = 60.0  # --transaction.streaming-idle-timeout default (develop/transactions/stream-transactions.md)
TOMBSTONE_TTL = 10 * 60.0  # Manager::tombstoneTTL: how long a finished transaction's status is remembered
CURSOR_TTL = 30.0  # develop/http-api/queries/aql-queries.md: `ttl` default 30 s
MAX_TRANSACTION_SIZE = 512 * 1024 * 1024  # 3.12.4+ default (128 MiB before)
KEY_LOCK_TIMEOUT = 1.0  # RocksDB key-lock wait: fixed inside the server in 3.12; settable here


class ArangoError(Exception):
    """An error the stand-in answers in ArangoDB's body format."""

    def __init__(self, status: int, error_num: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.error_num, self.message, self.extra = status, error_num, message, extra

    def body(self) -> Payload:
        return {"error": True, "code": self.status, "errorNum": self.error_num, "errorMessage": self.message, **self.extra}


def conflict(message: str = "conflict, _rev values do not match", **extra: Any) -> ArangoError:
    return ArangoError(409, 1200, message, **extra)


def collection_not_found(name: str) -> ArangoError:
    return ArangoError(404, 1203, f"collection or view not found: {name}")


def trx_not_found(trx_id: str) -> ArangoError:
    return ArangoError(404, 1655, f"transaction '{trx_id}' not found")


def check_key(key: Any) -> None:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ArangoError(400, 1221, "illegal document key")


@dataclass
class Index:
    id: str
    name: str
    fields: list[str]
    unique: bool = False
    sparse: bool = False
    type: str = "persistent"

    def describe(self, collection: str) -> Payload:
        return {
            "id": f"{collection}/{self.id}",
            "name": self.name,
            "type": self.type,
            "fields": self.fields,
            "unique": self.unique,
            "sparse": self.sparse,
        }


@dataclass
class Collection:
    name: str
    id: str = "0"
    versions: dict[str, list[tuple[int, Document | None]]] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=lambda: [Index("0", "primary", ["_key"], unique=True, type="primary")])


@dataclass
class User:
    password: str
    databases: dict[str, str] = field(default_factory=lambda: {"*": "rw"})  # database (or "*") -> rw | ro | none
    collections: dict[tuple[str, str], str] = field(default_factory=dict)  # (database, collection or "*") -> level

    def database_level(self, database: str) -> str:
        return self.databases.get(database, self.databases.get("*", "none"))

    def collection_level(self, database: str, collection: str) -> str:
        """docs operations/administration/user-management: collection grant, then the database's "*" default."""
        for key in ((database, collection), (database, "*"), ("*", "*")):
            if key in self.collections:
                return self.collections[key]
        return self.database_level(database)


@dataclass
class Transaction:
    """A stream transaction (``id`` set by begin) or the implicit one a standalone request runs in."""

    id: str
    database: str
    user: str
    writable: set[str]
    readable: set[str]
    allow_implicit: bool
    snapshot: int
    expires: float
    max_size: int = MAX_TRANSACTION_SIZE
    writes: dict[tuple[str, str], Document | None] = field(default_factory=dict)
    size: int = 0
    status: str = "running"  # running | committed | aborted
    expired: bool = False
    tombstone_until: float | None = None


@dataclass
class Cursor:
    rows: list[Any]
    batch_size: int
    ttl: float
    expires: float


class State:
    """The shared server side; tests seed and inspect it directly (what an operator does with arangosh)."""

    def __init__(self, users: dict[str, User] | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.users = users if users is not None else {"root": User("")}
        self.databases: dict[str, dict[str, Collection]] = {"_system": {}}
        self.transactions: dict[str, Transaction] = {}
        self.cursors: dict[str, Cursor] = {}
        self.clock = clock
        self.idle_timeout = IDLE_TIMEOUT
        self.key_lock_timeout = KEY_LOCK_TIMEOUT
        self.jwt_secret = secrets.token_hex(16)
        self.version = "3.12.4"
        self.role = "SINGLE"  # SINGLE | COORDINATOR (GET /_admin/server/role)
        self.sharding: dict[str, str] = {}  # database -> "single" for OneShard (GET /_api/database/current)
        self.lock = threading.Condition()
        self.waiting = threading.Event()  # set while a writer waits for a key lock (for tests)
        self._tick = 0
        self._ids = itertools.count(1)

    # Setup and inspection.

    def create_database(self, name: str, sharding: str | None = None) -> None:
        self.databases.setdefault(name, {})
        if sharding:
            self.sharding[name] = sharding

    def create_collection(self, database: str, name: str) -> Collection:
        return self.databases[database].setdefault(name, Collection(name, self.new_key()))

    def documents(self, database: str, collection: str) -> dict[str, Document]:
        """The committed state of one collection."""
        versions = self.databases[database][collection].versions
        return {key: doc for key, history in versions.items() if (doc := history[-1][1]) is not None}

    def running_transactions(self) -> list[str]:
        return [t.id for t in self.transactions.values() if t.status == "running" and not self._expired(t)]

    # Ids: server-specific ticks, so any coordinator can tell which one owns an id.

    def new_id(self, short_id: int) -> str:
        return str((short_id << 40) | (next(self._ids) << 2))

    @staticmethod
    def owner_of(some_id: str) -> int:
        return (int(some_id) >> 40) & 0xFFFFFF if some_id.isdigit() else 0

    def new_revision(self) -> str:
        return f"_{next(self._ids):x}{secrets.token_hex(4)}"

    def new_key(self) -> str:
        return str(next(self._ids))

    # Transactions (Manager.cpp).

    def begin(self, database: str, user: str, body: Payload, short_id: int) -> Transaction:
        declared = body.get("collections")
        if not isinstance(declared, dict):
            raise ArangoError(400, 10, "missing 'collections'")
        names = {kind: _names(declared.get(kind)) for kind in ("read", "write", "exclusive")}
        for name in set().union(*names.values()):
            if name not in self.databases[database]:
                raise collection_not_found(name)
        writable = names["write"] | names["exclusive"]
        trx = Transaction(
            self.new_id(short_id),
            database,
            user,
            writable,
            writable | names["read"],
            body.get("allowImplicit", True),
            self._tick,
            self.clock() + self.idle_timeout,
            int(body.get("maxTransactionSize") or MAX_TRANSACTION_SIZE),
        )
        self.transactions[trx.id] = trx
        return trx

    def implicit(self, database: str, user: str) -> Transaction:
        everything = set(self.databases[database])
        return Transaction("0", database, user, everything, everything, True, self._tick, float("inf"))

    def lease(self, trx_id: str, database: str) -> Transaction:
        """An operation in a stream transaction: unknown, finished or idle past its timeout is 404/1655."""
        trx = self.transactions.get(trx_id)
        if trx is None or trx.database != database or trx.status != "running" or self._expired(trx):
            raise trx_not_found(trx_id)
        return trx

    def touch(self, trx: Transaction) -> None:
        """returnManagedTrx: each finished operation restarts the idle timeout."""
        if trx.id != "0":
            trx.expires = self.clock() + self.idle_timeout

    def status(self, trx_id: str, database: str) -> str:
        trx = self._known(trx_id, database)
        return "aborted" if trx.status == "running" and self._expired(trx) else trx.status

    def finish(self, trx_id: str, database: str, status: str) -> Transaction:
        """updateTransaction: idempotent repeats are fine; the other verb after an end is 400/1653;
        ending an expired transaction aborts it and answers 410/1654."""
        trx = self._known(trx_id, database)
        if trx.status != "running":
            if trx.status == status:
                return trx
            was = "expired" if trx.expired else trx.status
            raise ArangoError(400, 1653, f"transaction was already {was}")
        if self._expired(trx):
            self._end(trx, "aborted", expired=True)
            raise ArangoError(410, 1654, "transaction aborted")
        if status == "committed":
            self._commit(trx)
        self._end(trx, status)
        return trx

    def collect_garbage(self) -> None:
        """garbageCollect: expired transactions are aborted; old tombstones forgotten."""
        now = self.clock()
        for trx in list(self.transactions.values()):
            if trx.status == "running" and self._expired(trx):
                self._end(trx, "aborted", expired=True)
            elif trx.tombstone_until is not None and trx.tombstone_until < now:
                del self.transactions[trx.id]

    def commit_implicit(self, trx: Transaction) -> None:
        self._commit(trx)
        self.lock.notify_all()

    def _known(self, trx_id: str, database: str) -> Transaction:
        trx = self.transactions.get(trx_id)
        if trx is None or trx.database != database:
            raise trx_not_found(trx_id)
        return trx

    def _expired(self, trx: Transaction) -> bool:
        return trx.expires < self.clock()

    def _end(self, trx: Transaction, status: str, expired: bool = False) -> None:
        trx.status, trx.expired = status, expired
        trx.tombstone_until = self.clock() + TOMBSTONE_TTL
        self.lock.notify_all()  # key locks are released

    def _commit(self, trx: Transaction) -> None:
        if not trx.writes:
            return
        self._tick += 1
        for (collection, key), doc in trx.writes.items():
            self.databases[trx.database][collection].versions.setdefault(key, []).append((self._tick, doc))

    # Cursors (develop/http-api/queries/aql-queries.md).

    def batch(self, rows: list[Any], size: int, ttl: float, code: int, short_id: int, cursor_id: str | None = None) -> Payload:
        batch, rest = rows[:size], rows[size:]
        payload: Payload = {
            "error": False,
            "code": code,
            "result": batch,
            "hasMore": bool(rest),
            "cached": False,
            "extra": {"warnings": [], "stats": {"writesExecuted": 0}},
        }
        if rest:
            cursor_id = cursor_id or self.new_id(short_id)
            self.cursors[cursor_id] = Cursor(rest, size, ttl, self.clock() + ttl)
            payload["id"] = cursor_id
        elif cursor_id:
            self.cursors.pop(cursor_id, None)  # a drained cursor is deleted by the server
        return payload

    def next_batch(self, cursor_id: str, short_id: int) -> Payload:
        cursor = self.cursors.pop(cursor_id, None)
        if cursor is None or cursor.expires < self.clock():
            raise ArangoError(404, 1600, "cursor not found")
        return self.batch(cursor.rows, cursor.batch_size, cursor.ttl, 200, short_id, cursor_id)

    def delete_cursor(self, cursor_id: str) -> Payload:
        cursor = self.cursors.pop(cursor_id, None)
        if cursor is None or cursor.expires < self.clock():
            raise ArangoError(404, 1600, "cursor not found")
        return {"id": cursor_id, "error": False, "code": 202}


class Statement:
    """One request's view and writes inside a transaction: applied only if the request succeeds."""

    def __init__(self, state: State, trx: Transaction):
        self.state, self.trx = state, trx
        self._writes: dict[tuple[str, str], Document | None] = {}
        self._unique: dict[tuple[str, str], dict[tuple[str, ...], str]] = {}

    def collection(self, name: str, *, write: bool = False) -> Collection:
        """A collection the transaction may use: undeclared writes, and undeclared reads without
        allowImplicit, are 400/1652 (stream-transactions.md)."""
        found = self.state.databases[self.trx.database].get(name)
        if found is None:
            raise collection_not_found(name)
        allowed = name in (self.trx.writable if write else self.trx.readable) or (not write and self.trx.allow_implicit)
        if not allowed:
            raise ArangoError(
                400, 1652, f"collection '{name}' is not registered in the transaction for {'write' if write else 'read'} access"
            )
        return found

    def get(self, collection: Collection, key: str) -> Document | None:
        for writes in (self._writes, self.trx.writes):
            if (collection.name, key) in writes:
                return writes[(collection.name, key)]
        for tick, doc in reversed(collection.versions.get(key, [])):
            if tick <= self.trx.snapshot:
                return doc
        return None

    def all(self, collection: Collection) -> list[Document]:
        keys = set(collection.versions) | {k for c, k in (*self.trx.writes, *self._writes) if c == collection.name}
        return [doc for key in sorted(keys) if (doc := self.get(collection, key)) is not None]

    def put(self, collection: Collection, key: str, doc: Document) -> Document:
        """Store a new version with a fresh ``_rev``, after the key lock (RocksDB pessimistic locking)."""
        check_key(key)
        self._lock_key(collection, key)
        committed = collection.versions.get(key)
        if committed and committed[-1][0] > self.trx.snapshot:
            raise conflict("write-write conflict", _key=key)
        stored = {
            "_key": key,
            "_id": f"{collection.name}/{key}",
            "_rev": self.state.new_revision(),
            **{k: v for k, v in doc.items() if k not in ("_key", "_id", "_rev")},
        }
        self._check_unique(collection, stored)
        self.trx.size += len(json.dumps(stored))
        if self.trx.size > self.trx.max_size:
            # RocksDBTransactionState: the size limit is TRI_ERROR_RESOURCE_LIMIT
            raise ArangoError(
                400, 32, f"aborting transaction because maximal transaction size limit of {self.trx.max_size} bytes is reached"
            )
        self._writes[(collection.name, key)] = stored
        return stored

    def apply(self) -> None:
        self.trx.writes.update(self._writes)

    def _lock_key(self, collection: Collection, key: str) -> None:
        """Wait for another running transaction's lock on the key: it aborts (go on), commits
        (a write-write conflict, below) or holds it past the lock timeout (1200 as well)."""
        deadline = time.monotonic() + self.state.key_lock_timeout
        while self._locked_by_another(collection.name, key):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise conflict(
                    f"timeout waiting to lock key - in index primary of type primary over '_key'; conflicting key: {key}",
                    _key=key,
                )
            self.state.waiting.set()
            try:
                self.state.lock.wait(remaining)
            finally:
                self.state.waiting.clear()

    def _locked_by_another(self, collection: str, key: str) -> bool:
        return any(
            other is not self.trx and other.status == "running" and (collection, key) in other.writes
            for other in self.state.transactions.values()
        )

    def _check_unique(self, collection: Collection, doc: Document) -> None:
        """Unique persistent indexes over what this transaction sees (committed snapshot plus its own writes)."""
        for index in collection.indexes:
            if not index.unique or index.type == "primary":
                continue
            values = tuple(json.dumps(doc.get(f), sort_keys=True) for f in index.fields)
            if index.sparse and any(doc.get(f) is None for f in index.fields):
                continue
            seen = self._unique.get((collection.name, index.id))
            if seen is None:
                seen = {
                    tuple(json.dumps(d.get(f), sort_keys=True) for f in index.fields): d["_key"] for d in self.all(collection)
                }
                self._unique[(collection.name, index.id)] = seen
            if seen.get(values, doc["_key"]) != doc["_key"]:
                raise ArangoError(
                    409,
                    1210,
                    f"unique constraint violated - in index {index.name} of type persistent "
                    f"over {index.fields!r}; conflicting key: {seen[values]}",
                )
            seen[values] = doc["_key"]


def _names(value: Any) -> set[str]:
    if value is None:
        return set()
    return {value} if isinstance(value, str) else set(value)
