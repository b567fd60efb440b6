"""TEST FIXTURE: the AQL subset of the stand-in, one handler per query text the backends send.

Matching exact texts keeps the subset honest: a new or edited query fails here with error
1501 until its semantics are written down below, from ArangoDB's documentation of ``UPDATE`` /
``INSERT`` options (``aql/high-level-operations/update.md``, ``insert.md``: ignoreRevs,
mergeObjects, keepNull, overwriteMode) and the server's ``mergeObjectsForUpdate``.

Each handler also records the plan ArangoDB's optimizer makes for its text
(``aql/execution-and-performance/query-optimization.md``: an equality FILTER plus a SORT on
the leading fields of a persistent index becomes an ``IndexNode``; ``_key`` lookups use the
primary index); ``POST /_api/explain`` answers with it, using the index only if the
collection has one with those leading fields, as the real optimizer would.

Other modules' queries (the rollout records) register their handlers with ``register``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable

from optctl.stores import arango as backend
from tests.arango_server.state import ArangoError, Document, State, Statement, conflict

Bind = dict[str, Any]
Handler = Callable[[Statement, Bind], list[Any]]


@dataclass(frozen=True)
class Uses:
    """The index the optimizer picks for a query: on the collection bound to ``bind``, whose
    leading fields are ``fields`` (``("_key",)`` is the primary index). ``None`` fields: a
    full scan by design (the query reads every document)."""

    bind: str
    fields: tuple[str, ...] | None
    write: bool = False


def run(statement: Statement, query: str, bind: Bind) -> list[Any]:
    handler = _HANDLERS.get(query)
    if handler is None:
        raise ArangoError(400, 1501, f"the ArangoDB stand-in implements only optctl's queries; got: {query[:80]}")
    return handler(statement, bind)


def register(handlers: dict[str, Handler], uses: dict[str, tuple[Uses, ...]] | None = None) -> None:
    """Add another module's query texts (and the plans they get) to the subset."""
    _HANDLERS.update(handlers)
    _USES.update(uses or {})


def check_bind_parameters(query: str, bind: Bind) -> None:
    """aql/fundamentals/bind-parameters.md: every declared parameter needs a value (1551), and a
    value for a parameter the query does not declare is an error too (1552)."""
    declared = set(re.findall(r"@(@?\w+)", query))  # "@@c" declares the parameter "@c", "@k" declares "k"
    for name in sorted(set(bind) - declared):
        raise ArangoError(400, 1552, f"bind parameter '{name}' was not declared in the query")
    for name in sorted(declared - set(bind)):
        raise ArangoError(400, 1551, f"no value specified for declared bind parameter '{name}'")


def collections_used(query: str, bind: Bind) -> list[tuple[str, bool]]:
    return [(bind[use.bind], use.write) for use in _USES.get(query, ()) if isinstance(bind.get(use.bind), str)]


def plan(state: State, database: str, query: str, bind: Bind) -> dict[str, Any]:
    """The execution plan's nodes: an IndexNode where an index with the needed fields exists."""
    nodes: list[dict[str, Any]] = [{"type": "SingletonNode", "id": 1}]
    for use in _USES.get(query, ()):
        collection = state.databases[database].get(bind.get(use.bind, ""))
        if collection is None:
            raise ArangoError(404, 1203, f"collection or view not found: {bind.get(use.bind)}")
        if use.fields is None or use.write and use.fields == ():
            nodes.append(
                {
                    "type": "EnumerateCollectionNode" if use.fields is None else "InsertNode",
                    "id": len(nodes) + 1,
                    "collection": collection.name,
                }
            )
            continue
        index = next((i for i in collection.indexes if tuple(i.fields[: len(use.fields)]) == use.fields), None)
        if index is None:
            nodes.append({"type": "EnumerateCollectionNode", "id": len(nodes) + 1, "collection": collection.name})
        else:
            nodes.append(
                {
                    "type": "IndexNode",
                    "id": len(nodes) + 1,
                    "collection": collection.name,
                    "indexes": [index.describe(collection.name)],
                }
            )
    return {"nodes": nodes, "rules": [], "collections": [], "variables": [], "estimatedCost": 1, "estimatedNrItems": 1}


# The backend's queries.


def _read_documents(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@collection"])
    return [doc for key in dict.fromkeys(bind["keys"]) if isinstance(key, str) and (doc := st.get(collection, key))]


def _read_all_documents(st: Statement, bind: Bind) -> list[Any]:
    return st.all(st.collection(bind["@collection"]))


def _list_keys(st: Statement, bind: Bind) -> list[Any]:
    return [doc["_key"] for doc in st.all(st.collection(bind["@collection"]))]


def _read_revisions(st: Statement, bind: Bind) -> list[Any]:
    return [{"key": doc["_key"], "revision": doc["_rev"]} for doc in _read_documents(st, bind)]


def _update(merge_objects: bool, keep_null: bool, patch_of: Callable[[Bind], Document]) -> Handler:
    """``FOR c IN @changes UPDATE {_key, _rev} WITH patch IN @@collection OPTIONS {ignoreRevs: false, ...}``."""

    def handler(st: Statement, bind: Bind) -> list[Any]:
        collection = st.collection(bind["@collection"], write=True)
        rows = []
        for change in bind["changes"]:
            old = st.get(collection, change["key"])
            if old is None:
                raise ArangoError(404, 1202, "document not found")
            if old["_rev"] != change["revision"]:
                raise conflict(_key=old["_key"], _id=old["_id"], _rev=old["_rev"])
            new = st.put(collection, change["key"], merge_for_update(old, patch_of(change), merge_objects, keep_null))
            rows.append(
                {"key": new["_key"], "revision": new["_rev"], "before": old.get("optimization"), "after": new.get("optimization")}
            )
        return rows

    return handler


def merge_for_update(old: Document, patch: Document, merge_objects: bool, keep_null: bool) -> Document:
    """arangod's ``mergeObjectsForUpdate``: old attributes in order, then the new ones."""
    merged = dict(old)
    for key, value in patch.items():
        if key in merged and merge_objects and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = _merge(merged[key], value, keep_null)
        elif value is None and not keep_null:
            merged.pop(key, None)
        elif key not in old and not keep_null and isinstance(value, dict):
            merged[key] = _merge({}, value, keep_null)  # a new object is merged into {}: its nulls go too
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _merge(left: Document, right: Document, keep_null: bool) -> Document:
    """VPackCollection::merge(left, right, mergeValues=true, nullMeansRemove=not keep_null)."""
    merged = dict(left)
    for key, value in right.items():
        if value is None and not keep_null:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value, keep_null)
        elif isinstance(value, dict):
            merged[key] = _merge({}, value, keep_null)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _put_documents(st: Statement, bind: Bind) -> list[Any]:
    """``INSERT d INTO @@collection OPTIONS {overwriteMode: "replace"}``: OLD is null for a new key."""
    collection = st.collection(bind["@collection"], write=True)
    rows = []
    for doc in bind["documents"]:
        old = st.get(collection, doc["_key"])
        new = st.put(collection, doc["_key"], copy.deepcopy(doc))
        rows.append(
            {
                "key": new["_key"],
                "revision": new["_rev"],
                "before": (old or {}).get("optimization"),
                "after": new.get("optimization"),
            }
        )
    return rows


def _insert_history(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@history"], write=True)
    for entry in bind["entries"]:
        st.put(collection, st.state.new_key(), copy.deepcopy(entry))
    return []


def _window(bind: Bind) -> Callable[[Document], bool]:
    since, until, service = bind["since"], bind["until"], bind.get("service", None)
    return lambda h: (
        (since is None or h.get("at") >= since)
        and (until is None or h.get("at") < until)
        and ("service" not in bind or h.get("service") == service)
    )


def _history(newest_first: bool, limited: bool) -> Handler:
    """FILTER on service and the window, SORT by (at, seq), LIMIT: the history queries."""

    def handler(st: Statement, bind: Bind) -> list[Any]:
        entries = sorted(
            filter(_window(bind), st.all(st.collection(bind["@history"]))),
            key=lambda h: (h.get("at"), h.get("seq")),
            reverse=newest_first,
        )
        return entries[: bind["limit"]] if limited else entries

    return handler


def _last_changes(st: Statement, bind: Bind) -> list[Any]:
    newest: dict[str, Document] = {}
    for entry in sorted(st.all(st.collection(bind["@history"])), key=lambda h: (h.get("at"), h.get("seq"))):
        newest[entry.get("service")] = entry
    return [newest[s] for s in bind["services"] if s in newest]


def _read_operation(st: Statement, bind: Bind) -> list[Any]:
    found = [h for h in st.all(st.collection(bind["@history"])) if h.get("operation") == bind["operation"]]
    return sorted(found, key=lambda h: h.get("seq"))


_PRIMARY = ("_key",)
_HANDLERS: dict[str, Handler] = {
    backend.READ_DOCUMENTS: _read_documents,
    backend.READ_ALL_DOCUMENTS: _read_all_documents,
    backend.LIST_KEYS: _list_keys,
    backend.READ_REVISIONS: _read_revisions,
    backend.SET_OPTIMIZATION: _update(False, True, lambda c: {"optimization": c["optimization"]}),
    backend.REMOVE_OPTIMIZATION: _update(True, False, lambda c: {"optimization": None}),
    backend.PUT_DOCUMENTS: _put_documents,
    backend.INSERT_HISTORY: _insert_history,
    backend.READ_SERVICE_HISTORY: _history(newest_first=True, limited=True),
    backend.READ_HISTORY: _history(newest_first=True, limited=True),
    backend.STREAM_SERVICE_HISTORY: _history(newest_first=False, limited=False),
    backend.STREAM_HISTORY: _history(newest_first=False, limited=False),
    backend.LAST_CHANGES: _last_changes,
    backend.READ_OPERATION: _read_operation,
}
_USES: dict[str, tuple[Uses, ...]] = {
    backend.READ_DOCUMENTS: (Uses("@collection", _PRIMARY),),
    backend.READ_ALL_DOCUMENTS: (Uses("@collection", None),),
    backend.LIST_KEYS: (Uses("@collection", None),),
    backend.READ_REVISIONS: (Uses("@collection", _PRIMARY),),
    backend.SET_OPTIMIZATION: (Uses("@collection", _PRIMARY, write=True),),
    backend.REMOVE_OPTIMIZATION: (Uses("@collection", _PRIMARY, write=True),),
    backend.PUT_DOCUMENTS: (Uses("@collection", _PRIMARY, write=True),),
    backend.INSERT_HISTORY: (Uses("@history", (), write=True),),
    backend.READ_SERVICE_HISTORY: (Uses("@history", ("service", "at", "seq")),),
    backend.READ_HISTORY: (Uses("@history", ("at", "seq")),),
    backend.STREAM_SERVICE_HISTORY: (Uses("@history", ("service", "at", "seq")),),
    backend.STREAM_HISTORY: (Uses("@history", ("at", "seq")),),
    backend.LAST_CHANGES: (Uses("@history", ("service", "at", "seq")),),
    backend.READ_OPERATION: (Uses("@history", ("operation", "seq")),),
}
