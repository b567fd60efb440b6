"""What an ArangoDB deployment must hold for optctl, created by ``store init`` and verified by ``store check``.

A ``Layout`` is collections plus persistent indexes (``develop/http-api/indexes/persistent.md``;
creating an index that exists with the same definition returns it, so ``ensure`` is
idempotent), plus the queries that run on them, each with the index its plan must use. The
plans are read with the explain API (``POST /_api/explain``): a query whose plan has no
``IndexNode`` on the expected collection scans it, and ``check`` says so.

Atomicity (``develop/transactions/limitations.md``, "In clusters"; ``deploy/oneshard.md``): a
single server and a OneShard database commit a stream transaction atomically; a cluster
database whose collections are sharded across several DB-Servers may commit it on some and not
others, so documents and history could disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from arango.exceptions import ArangoServerError

from optctl.errors import EnvironmentProblem, OptctlError
from optctl.settings.project import EnvironmentConfig
from optctl.stores import arango as documents
from optctl.stores.arango_connection import ArangoConnection, answered

OLDEST_SUPPORTED = (3, 11)
DUPLICATE_NAME = 1207


@dataclass(frozen=True)
class Index:
    collection: str
    fields: tuple[str, ...]
    name: str
    unique: bool = False
    sparse: bool = False


@dataclass(frozen=True)
class Query:
    """A query text, bind values to explain it with, and the leading index fields its plan must use
    on ``collection`` (``None``: it reads every document by design)."""

    name: str
    text: str
    bind: dict[str, Any]
    collection: str
    fields: tuple[str, ...] | None


@dataclass(frozen=True)
class Layout:
    collections: tuple[str, ...]
    indexes: tuple[Index, ...] = ()
    queries: tuple[Query, ...] = ()

    def __add__(self, other: Layout) -> Layout:
        return Layout(self.collections + other.collections, self.indexes + other.indexes, self.queries + other.queries)


@dataclass(frozen=True)
class Line:
    """One line of ``store init`` / ``store check``: what, whether it passed, and the detail."""

    what: str
    ok: bool
    detail: str
    changed: bool = False


def documents_layout(env: EnvironmentConfig) -> Layout:
    """The documents store's collections, history indexes and queries."""
    docs, history = env.collection, env.history_collection
    window = {"@history": history, "since": None, "until": None}
    queries = (
        Query("documents by key", documents.READ_DOCUMENTS, {"@collection": docs, "keys": ["a"]}, docs, ("_key",)),
        Query("revisions by key", documents.READ_REVISIONS, {"@collection": docs, "keys": ["a"]}, docs, ("_key",)),
        Query("all documents", documents.READ_ALL_DOCUMENTS, {"@collection": docs}, docs, None),
        Query("all service names", documents.LIST_KEYS, {"@collection": docs}, docs, None),
        Query(
            "a service's history",
            documents.READ_SERVICE_HISTORY,
            {**window, "service": "a", "limit": 1},
            history,
            ("service", "at", "seq"),
        ),
        Query("the history", documents.READ_HISTORY, {**window, "limit": 1}, history, ("at", "seq")),
        Query(
            "a service's history, streamed",
            documents.STREAM_SERVICE_HISTORY,
            {**window, "service": "a"},
            history,
            ("service", "at", "seq"),
        ),
        Query("the history, streamed", documents.STREAM_HISTORY, window, history, ("at", "seq")),
        Query(
            "newest change of each service",
            documents.LAST_CHANGES,
            {"@history": history, "services": ["a"]},
            history,
            ("service", "at", "seq"),
        ),
        Query(
            "entries of an operation",
            documents.READ_OPERATION,
            {"@history": history, "operation": "x"},
            history,
            ("operation", "seq"),
        ),
    )
    indexes = (
        Index(history, ("service", "at", "seq"), "optctl_history_by_service"),
        Index(history, ("at", "seq"), "optctl_history_by_time"),
        # sparse: entries written before operation ids existed have none, and are left out
        Index(history, ("operation", "seq"), "optctl_history_by_operation", unique=True, sparse=True),
    )
    return Layout((docs, history), indexes, queries)


def ensure(connection: ArangoConnection, layout: Layout) -> list[Line]:
    """Create what is missing; what exists is left as it is."""
    lines = []
    with connection.failures("list the collections"):
        existing = _collection_names(connection)
    for name in dict.fromkeys(layout.collections):
        if name in existing:
            lines.append(Line(f"collection {name}", True, "exists"))
            continue
        with connection.failures(f"create the collection {name!r}"):
            try:
                connection.db.create_collection(name)
            except ArangoServerError as err:
                if err.error_code != DUPLICATE_NAME:  # another operator's init got there first: fine
                    raise
                lines.append(Line(f"collection {name}", True, "exists"))
                continue
        lines.append(Line(f"collection {name}", True, "created", changed=True))
    for index in layout.indexes:
        with connection.failures(f"create the index {index.name!r}"):
            made = answered(
                connection.db.collection(index.collection).add_index(
                    {
                        "type": "persistent",
                        "fields": list(index.fields),
                        "unique": index.unique,
                        "sparse": index.sparse,
                        "name": index.name,
                    }
                ),
                dict,
            )
        created = bool(made.get("new", made.get("isNewlyCreated", False)))
        lines.append(Line(f"index {index.name} on {index.collection}", True, "created" if created else "exists", changed=created))
    return lines


def check(connection: ArangoConnection, layout: Layout) -> list[Line]:
    """Reachability, version, permissions, collections, indexes, query plans, atomicity: one line each."""
    lines = [_reachable(connection)]
    if not lines[0].ok:
        return lines
    lines.append(_version(connection, lines[0].detail))
    lines += _permissions(connection, layout)
    existing = _try(connection, "list the collections", lambda: _collection_names(connection))
    for name in dict.fromkeys(layout.collections):
        present = isinstance(existing, set) and name in existing
        lines.append(
            Line(
                f"collection {name}",
                present,
                "exists" if present else f"missing: run `optctl store init --env {connection.env_name}`",
            )
        )
    for index in layout.indexes:
        lines.append(_index(connection, index, existing))
    for query in layout.queries:
        lines.append(_plan(connection, query, existing))
    lines.append(_atomicity(connection))
    return lines


def _collection_names(connection: ArangoConnection) -> set[str]:
    return {c["name"] for c in answered(connection.db.collections(), list)}


def _reachable(connection: ArangoConnection) -> Line:
    try:
        with connection.failures("ask for the server version"):
            version = connection.db.version()
    except OptctlError as err:
        return Line("reachable", False, str(err))
    return Line("reachable", True, str(version))


def _version(connection: ArangoConnection, version: str) -> Line:
    numbers = tuple(int(part) for part in version.split("-")[0].split(".")[:2] if part.isdigit())
    ok = numbers >= OLDEST_SUPPORTED
    return Line("version", ok, f"ArangoDB {version}" + ("" if ok else "; optctl needs 3.11 or later"))


def _permissions(connection: ArangoConnection, layout: Layout) -> list[Line]:
    user, database = connection.username, connection.database
    level = _try(connection, "read the user's permissions", lambda: connection.db.permission(user, database))
    if not isinstance(level, str):
        return [Line(f"permissions of {user!r}", False, f"cannot read them ({level})")]
    lines = [
        Line(
            f"user {user!r} on database {database!r}",
            level == "rw",
            level if level == "rw" else f"{level}: optctl needs rw (read/write) to write documents and history",
        )
    ]
    for name in dict.fromkeys(layout.collections):
        grant = _try(connection, "read the user's permissions", partial(connection.db.permission, user, database, name))
        lines.append(
            Line(
                f"user {user!r} on collection {name}",
                grant == "rw",
                str(grant) if grant == "rw" else f"{grant}: optctl needs rw on {name}",
            )
        )
    return lines


def _index(connection: ArangoConnection, index: Index, existing: Any) -> Line:
    what = f"index {index.name} on {index.collection}"
    if not isinstance(existing, set) or index.collection not in existing:
        return Line(what, False, "its collection is missing")
    found = _try(connection, "list the indexes", lambda: connection.db.collection(index.collection).indexes())
    if not isinstance(found, list):
        return Line(what, False, str(found))
    ok = any(tuple(i.get("fields", ())) == index.fields and bool(i.get("unique")) == index.unique for i in found)
    return Line(
        what,
        ok,
        f"persistent on [{', '.join(index.fields)}]" if ok else f"missing: run `optctl store init --env {connection.env_name}`",
    )


def _plan(connection: ArangoConnection, query: Query, existing: Any) -> Line:
    what = f"query plan: {query.name}"
    if query.fields is None:
        return Line(what, True, f"reads every document of {query.collection} by design")
    if not isinstance(existing, set) or query.collection not in existing:
        return Line(what, False, "its collection is missing")
    plan = _try(connection, "explain a query", lambda: connection.db.aql.explain(query.text, bind_vars=query.bind))
    if not isinstance(plan, dict):
        return Line(what, False, str(plan))
    used = [
        index
        for node in plan.get("nodes", [])
        if node.get("type") == "IndexNode" and node.get("collection") == query.collection
        for index in node.get("indexes", [])
        if tuple(index.get("fields", ()))[: len(query.fields)] == query.fields
    ]
    return Line(
        what,
        bool(used),
        f"uses index {used[0].get('name')}" if used else f"scans {query.collection}: no index on [{', '.join(query.fields)}]",
    )


def _atomicity(connection: ArangoConnection) -> Line:
    role = _try(connection, "ask for the server role", connection.db.role)
    if role == "SINGLE":
        return Line("atomic commits", True, "single server: documents and history commit together")
    info = _try(connection, "read the database properties", connection.db.properties)
    if role == "COORDINATOR" and isinstance(info, dict) and info.get("sharding") == "single":
        return Line("atomic commits", True, "OneShard database: documents and history commit together")
    return Line(
        "atomic commits",
        False,
        f"role {role}: a cluster database that is not OneShard may commit a write on some "
        'DB-Servers and not others; create the database with sharding "single" (OneShard)',
    )


def _try(connection: ArangoConnection, doing: str, call: Callable[[], Any]) -> Any:
    """The value, or the one-line problem as text (check goes on after a failed line)."""
    try:
        with connection.failures(doing):
            return call()
    except EnvironmentProblem as err:
        return str(err)
    except ArangoServerError as err:  # pragma: no cover - failures() converts these
        return str(err)
