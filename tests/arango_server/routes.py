"""TEST FIXTURE: the stand-in's HTTP API subset, one function per endpoint, run under the state lock.

Each behaviour names its source in ArangoDB's 3.12 HTTP API documentation (arangodb/docs-hugo,
``site/content/arangodb/3.12/develop/http-api/``) or the server's source (arangodb/arangodb).
Anything else answers 501, so a backend that starts using a new endpoint fails loudly here.
"""

from __future__ import annotations

import re
from typing import Any

from tests.arango_server import aql
from tests.arango_server.state import ArangoError, Collection, Index, State, Statement, collection_not_found

Reply = tuple[int, Any]


def route(
    state: State, short_id: int, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any, user: str
) -> Reply:
    database, endpoint = re.fullmatch(r"/_db/([^/]+)(/.*)", path).groups()  # type: ignore[union-attr]
    request = _Request(state, short_id, database, user, query, headers, body)
    for verb, pattern, handler in _ROUTES:
        if verb == method and (match := re.fullmatch(pattern, endpoint)):
            return handler(request, *match.groups())
    raise ArangoError(501, 9, f"the ArangoDB stand-in does not implement {method} {endpoint}")


class _Request:
    def __init__(
        self, state: State, short_id: int, database: str, user: str, query: dict[str, str], headers: dict[str, str], body: Any
    ):
        self.state, self.short_id, self.database, self.user = state, short_id, database, user
        self.query, self.headers, self.body = query, headers, body if body is not None else {}

    def statement(self) -> Statement:
        trx_id = self.headers.get("x-arango-trx-id")
        trx = self.state.lease(trx_id, self.database) if trx_id else self.state.implicit(self.database, self.user)
        return Statement(self.state, trx)

    def finish(self, statement: Statement) -> None:
        """A request's writes join its transaction; a standalone request commits at once."""
        statement.apply()
        if statement.trx.id == "0":
            self.state.commit_implicit(statement.trx)
        else:
            self.state.touch(statement.trx)

    def require(self, collection: str, write: bool) -> None:
        """403/11 for a write without rw, a read with none (docs operations/administration/user-management)."""
        level = self.state.users[self.user].collection_level(self.database, collection)
        if level == "none" or (write and level != "rw"):
            raise ArangoError(403, 11, "forbidden")


# Server facts (develop/http-api/administration.md, databases.md).


def _version(req: _Request) -> Reply:
    return 200, {"server": "arango", "version": req.state.version, "license": "community"}


def _role(req: _Request) -> Reply:
    return 200, {"error": False, "code": 200, "role": req.state.role, "mode": "default"}


def _current_database(req: _Request) -> Reply:
    info: dict[str, Any] = {"name": req.database, "id": "1", "isSystem": req.database == "_system", "path": ""}
    if req.state.role == "COORDINATOR":  # `sharding` is "" or "single" (OneShard) on a cluster
        info.update(sharding=req.state.sharding.get(req.database, ""), replicationFactor=1, writeConcern=1)
    return 200, {"error": False, "code": 200, "result": info}


def _permission(req: _Request, username: str, database: str, collection: str | None = None) -> Reply:
    """develop/http-api/users.md: a user may read their own access levels."""
    if username != req.user and req.state.users[req.user].database_level("_system") != "rw":
        raise ArangoError(403, 11, "forbidden")
    target = req.state.users.get(username)
    if target is None:
        raise ArangoError(404, 1703, "user not found")
    level = target.collection_level(database, collection) if collection else target.database_level(database)
    return 200, {"error": False, "code": 200, "result": level}


# Collections and indexes (develop/http-api/collections.md, indexes/persistent.md).


def _describe(collection: Collection) -> dict[str, Any]:
    """A document collection's entry in ``GET /_api/collection`` (type 2: document, status 3: loaded)."""
    return {
        "id": collection.id,
        "name": collection.name,
        "type": 2,
        "status": 3,
        "isSystem": collection.name.startswith("_"),
        "globallyUniqueId": f"c{collection.id}",
    }


def _list_collections(req: _Request) -> Reply:
    collections = sorted(req.state.databases[req.database].values(), key=lambda c: c.name)
    return 200, {"error": False, "code": 200, "result": [_describe(c) for c in collections]}


def _create_collection(req: _Request) -> Reply:
    name = req.body.get("name")
    if req.state.users[req.user].database_level(req.database) != "rw":
        raise ArangoError(403, 11, "forbidden")
    if name in req.state.databases[req.database]:
        raise ArangoError(409, 1207, "duplicate name")
    return 200, {"error": False, "code": 200, **_describe(req.state.create_collection(req.database, name))}


def _collection(req: _Request, name: str) -> Reply:
    if name not in req.state.databases[req.database]:
        raise collection_not_found(name)
    return 200, {"error": False, "code": 200, **_describe(req.state.databases[req.database][name])}


def _indexes(req: _Request) -> Reply:
    collection = _named_collection(req)
    return 200, {"error": False, "code": 200, "indexes": [i.describe(collection.name) for i in collection.indexes]}


def _create_index(req: _Request) -> Reply:
    """An index with the same definition is returned as it is (200, isNewlyCreated false); else 201."""
    collection = _named_collection(req)
    if req.state.users[req.user].database_level(req.database) != "rw":
        raise ArangoError(403, 11, "forbidden")
    if req.body.get("type") != "persistent":
        raise ArangoError(400, 10, "the stand-in creates persistent indexes only")
    fields, unique, sparse = list(req.body["fields"]), bool(req.body.get("unique")), bool(req.body.get("sparse"))
    for index in collection.indexes:
        if (index.fields, index.unique, index.sparse) == (fields, unique, sparse):
            return 200, {**index.describe(collection.name), "isNewlyCreated": False, "error": False, "code": 200}
    index = Index(req.state.new_key(), req.body.get("name") or f"idx_{req.state.new_key()}", fields, unique, sparse)
    collection.indexes.append(index)
    return 201, {**index.describe(collection.name), "isNewlyCreated": True, "error": False, "code": 201}


def _named_collection(req: _Request) -> Collection:
    name = req.query.get("collection", "")
    found = req.state.databases[req.database].get(name)
    if found is None:
        raise collection_not_found(name)
    return found


# Documents (develop/http-api/documents.md).


def _document(req: _Request, collection: str, key: str) -> Reply:
    """GET a document; ``If-Match`` with another revision is 412 with errorNum 1200 and the current _rev."""
    req.require(collection, write=False)
    statement = req.statement()
    found = statement.get(statement.collection(collection), key)
    req.finish(statement)
    if found is None:
        raise ArangoError(404, 1202, "document not found")
    wanted = req.headers.get("if-match")
    if wanted is not None and wanted.strip('"') != found["_rev"]:
        raise ArangoError(
            412, 1200, "conflict, _rev values do not match", _key=found["_key"], _id=found["_id"], _rev=found["_rev"]
        )
    return 200, found


# Cursors (develop/http-api/queries/aql-queries.md).


def _cursor(req: _Request) -> Reply:
    query, bind = req.body.get("query", ""), req.body.get("bindVars") or {}
    aql.check_bind_parameters(query, bind)
    for name, write in aql.collections_used(query, bind):
        req.require(name, write)
    statement = req.statement()
    rows = aql.run(statement, query, bind)
    req.finish(statement)
    options = req.body.get("options") or {}
    ttl = float(req.body.get("ttl") or options.get("ttl") or 30)
    return 201, req.state.batch(rows, int(req.body.get("batchSize") or 1000), ttl, 201, req.short_id)


def _next_batch(req: _Request, cursor_id: str) -> Reply:
    return 200, req.state.next_batch(cursor_id, req.short_id)


def _delete_cursor(req: _Request, cursor_id: str) -> Reply:
    return 202, req.state.delete_cursor(cursor_id)


def _explain(req: _Request) -> Reply:
    """develop/http-api/queries/aql-queries.md "Explain an AQL query": the plan's nodes name the index used."""
    query, bind = req.body.get("query", ""), req.body.get("bindVars") or {}
    aql.check_bind_parameters(query, bind)
    return 200, {
        "error": False,
        "code": 200,
        "plan": aql.plan(req.state, req.database, query, bind),
        "cacheable": False,
        "warnings": [],
    }


# Stream transactions (develop/http-api/transactions/stream-transactions.md).


def _begin(req: _Request) -> Reply:
    declared = req.body.get("collections") or {}
    for kind in ("write", "exclusive"):
        names = declared.get(kind) or []
        for name in [names] if isinstance(names, str) else names:
            req.require(name, write=True)
    trx = req.state.begin(req.database, req.user, req.body, req.short_id)
    return 201, {"error": False, "code": 201, "result": {"id": trx.id, "status": "running"}}


def _status(req: _Request, trx_id: str) -> Reply:
    return 200, {"error": False, "code": 200, "result": {"id": trx_id, "status": req.state.status(trx_id, req.database)}}


def _commit(req: _Request, trx_id: str) -> Reply:
    trx = req.state.finish(trx_id, req.database, "committed")
    return 200, {"error": False, "code": 200, "result": {"id": trx.id, "status": "committed"}}


def _abort(req: _Request, trx_id: str) -> Reply:
    trx = req.state.finish(trx_id, req.database, "aborted")
    return 200, {"error": False, "code": 200, "result": {"id": trx.id, "status": "aborted"}}


_ROUTES = (
    ("GET", r"/_api/version", _version),
    ("GET", r"/_admin/server/role", _role),
    ("GET", r"/_api/database/current", _current_database),
    ("GET", r"/_api/user/([^/]+)/database/([^/]+)", _permission),
    ("GET", r"/_api/user/([^/]+)/database/([^/]+)/([^/]+)", _permission),
    ("GET", r"/_api/collection", _list_collections),
    ("POST", r"/_api/collection", _create_collection),
    ("GET", r"/_api/collection/([^/]+)", _collection),
    ("GET", r"/_api/index", _indexes),
    ("POST", r"/_api/index", _create_index),
    ("GET", r"/_api/document/([^/]+)/(.+)", _document),
    ("POST", r"/_api/cursor", _cursor),
    ("POST", r"/_api/cursor/(\d+)", _next_batch),
    ("PUT", r"/_api/cursor/(\d+)", _next_batch),
    ("DELETE", r"/_api/cursor/(\d+)", _delete_cursor),
    ("POST", r"/_api/explain", _explain),
    ("POST", r"/_api/transaction/begin", _begin),
    ("GET", r"/_api/transaction/(\d+)", _status),
    ("PUT", r"/_api/transaction/(\d+)", _commit),
    ("DELETE", r"/_api/transaction/(\d+)", _abort),
)
