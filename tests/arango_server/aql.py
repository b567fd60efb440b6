"""TEST FIXTURE: the AQL subset of the stand-in, one handler per query text ``optctl.stores.arango`` sends.

Matching the exact texts keeps the subset honest: a new or edited query in the backend fails
here with error 1501 until its semantics are written down below, from ArangoDB's
documentation of ``UPDATE`` / ``INSERT`` options (ignoreRevs, mergeObjects, keepNull,
overwriteMode) and the server's ``mergeObjectsForUpdate``.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from optctl.stores import arango as backend
from tests.arango_server.server import ArangoError, Document, Statement, conflict

Bind = dict[str, Any]


def run(statement: Statement, query: str, bind: Bind) -> list[Any]:
    handler = _HANDLERS.get(query)
    if handler is None:
        raise ArangoError(400, 1501, f"the in-process ArangoDB stand-in implements only optctl's queries; got: {query[:80]}")
    try:
        return handler(statement, bind)
    except KeyError as err:
        raise ArangoError(400, 1551, f"no value specified for declared bind parameter {err}") from None


def _read_documents(st: Statement, bind: Bind) -> list[Any]:
    keys = set(bind["keys"])
    return [doc for doc in st.all(st.collection(bind["@collection"])) if doc["_key"] in keys]


def _read_all_documents(st: Statement, bind: Bind) -> list[Any]:
    return st.all(st.collection(bind["@collection"]))


def _list_keys(st: Statement, bind: Bind) -> list[Any]:
    return [doc["_key"] for doc in st.all(st.collection(bind["@collection"]))]


def _read_revisions(st: Statement, bind: Bind) -> list[Any]:
    return [{"key": doc["_key"], "revision": doc["_rev"]} for doc in _read_documents(st, bind)]


def _update(merge_objects: bool, keep_null: bool, patch_of: Callable[[Bind], Document]) -> Callable[[Statement, Bind], list[Any]]:
    """``FOR c IN @changes UPDATE {_key, _rev} WITH patch IN @@collection OPTIONS {ignoreRevs: false, ...}``."""

    def handler(st: Statement, bind: Bind) -> list[Any]:
        collection = st.collection(bind["@collection"], write=True)
        rows = []
        for change in bind["changes"]:
            old = st.get(collection, change["key"])
            if old is None:
                raise ArangoError(404, 1202, "document not found")
            if old["_rev"] != change["revision"]:
                raise conflict()
            new = st.put(collection, change["key"], merge_for_update(old, patch_of(change), merge_objects, keep_null))
            rows.append({"key": new["_key"], "revision": new["_rev"], "before": old.get("optimization"),
                         "after": new.get("optimization")})
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
        rows.append({"key": new["_key"], "revision": new["_rev"], "before": (old or {}).get("optimization"),
                     "after": new.get("optimization")})
    return rows


def _insert_history(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@history"], write=True)
    for entry in bind["entries"]:
        st.put(collection, st.server.new_key(), copy.deepcopy(entry))
    return []


def _read_history(st: Statement, bind: Bind) -> list[Any]:
    entries = [h for h in st.all(st.collection(bind["@history"])) if bind["service"] is None or h.get("service") == bind["service"]]
    entries.sort(key=lambda h: (h.get("at"), h.get("seq")), reverse=True)
    return entries[: bind["limit"]]


def _last_changes(st: Statement, bind: Bind) -> list[Any]:
    newest: dict[str, Document] = {}
    for entry in sorted(st.all(st.collection(bind["@history"])), key=lambda h: (h.get("at"), h.get("seq"))):
        newest[entry.get("service")] = entry
    return list(newest.values())


_HANDLERS: dict[str, Callable[[Statement, Bind], list[Any]]] = {
    backend.READ_DOCUMENTS: _read_documents,
    backend.READ_ALL_DOCUMENTS: _read_all_documents,
    backend.LIST_KEYS: _list_keys,
    backend.READ_REVISIONS: _read_revisions,
    backend.SET_OPTIMIZATION: _update(False, True, lambda c: {"optimization": c["optimization"]}),
    backend.REMOVE_OPTIMIZATION: _update(True, False, lambda c: {"optimization": None}),
    backend.PUT_DOCUMENTS: _put_documents,
    backend.INSERT_HISTORY: _insert_history,
    backend.READ_HISTORY: _read_history,
    backend.LAST_CHANGES: _last_changes,
}
