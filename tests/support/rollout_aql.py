"""TEST FIXTURE: the stand-in's handlers for the rollout records' AQL (``optctl.rollout.records.arango``),
written from ArangoDB's documentation of INSERT (overwriteMode "replace"), REPLACE and UPDATE
(``aql/high-level-operations/*.md``): an INSERT of an existing key fails with 409/1210 (the primary
index's unique constraint); REPLACE/UPDATE go through the key lock, so a concurrent transaction's
write to the same record is a write-write conflict (1200)."""

from __future__ import annotations

import copy
from typing import Any

from optctl.rollout.records import arango as records
from tests.arango_server import aql
from tests.arango_server.aql import Uses
from tests.arango_server.state import ArangoError, Statement

Bind = dict[str, Any]


def _read_rollout(st: Statement, bind: Bind) -> list[Any]:
    found = st.get(st.collection(bind["@rollouts"]), bind["id"])
    return [found] if found is not None else []


def _list_rollouts(st: Statement, bind: Bind) -> list[Any]:
    rows = [
        r
        for r in st.all(st.collection(bind["@rollouts"]))
        if r.get("kind") == "rollout" and (bind["states"] is None or r.get("state") in bind["states"])
    ]
    return sorted(rows, key=lambda r: (r["started_at"], r["_key"]))


def _read_claims(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@rollouts"])
    return [doc for key in bind["keys"] if (doc := st.get(collection, key)) is not None]


def _insert_rollout(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@rollouts"], write=True)
    record = bind["record"]
    if st.get(collection, record["_key"]) is not None:
        raise ArangoError(
            409,
            1210,
            f"unique constraint violated - in index primary of type primary over '_key'; conflicting key: {record['_key']}",
        )
    st.put(collection, record["_key"], copy.deepcopy(record))
    return []


def _put_claims(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@rollouts"], write=True)
    for claim in bind["claims"]:
        st.put(collection, claim["_key"], copy.deepcopy(claim))
    return []


def _replace_rollout(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@rollouts"], write=True)
    current = st.get(collection, bind["id"])
    if current is None or current.get("version") != bind["version"]:
        return []
    new = st.put(collection, bind["id"], copy.deepcopy(bind["record"]))
    return [new["version"]]


def _release_claims(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@rollouts"], write=True)
    for key in bind["keys"]:
        claim = st.get(collection, key)
        if claim is not None and claim.get("rollout") == bind["id"]:
            st.put(collection, key, {**claim, "rollout": None})
    return []


def _insert_events(st: Statement, bind: Bind) -> list[Any]:
    collection = st.collection(bind["@journal"], write=True)
    for event in bind["events"]:
        st.put(collection, st.state.new_key(), copy.deepcopy(event))
    return []


def _read_events(st: Statement, bind: Bind) -> list[Any]:
    rows = [e for e in st.all(st.collection(bind["@journal"])) if e.get("rollout") == bind["id"]]
    rows.sort(key=lambda e: (e["version"], e["seq"]), reverse=True)
    return rows[: bind["limit"]]


aql.register(
    {
        records.READ_ROLLOUT: _read_rollout,
        records.LIST_ROLLOUTS: _list_rollouts,
        records.READ_CLAIMS: _read_claims,
        records.INSERT_ROLLOUT: _insert_rollout,
        records.PUT_CLAIMS: _put_claims,
        records.REPLACE_ROLLOUT: _replace_rollout,
        records.RELEASE_CLAIMS: _release_claims,
        records.INSERT_EVENTS: _insert_events,
        records.READ_EVENTS: _read_events,
    },
    {
        records.READ_ROLLOUT: (Uses("@rollouts", ("_key",)),),
        records.LIST_ROLLOUTS: (Uses("@rollouts", ("kind",)),),
        records.READ_CLAIMS: (Uses("@rollouts", ("_key",)),),
        records.INSERT_ROLLOUT: (Uses("@rollouts", (), write=True),),
        records.PUT_CLAIMS: (Uses("@rollouts", ("_key",), write=True),),
        records.REPLACE_ROLLOUT: (Uses("@rollouts", ("_key",), write=True),),
        records.RELEASE_CLAIMS: (Uses("@rollouts", ("_key",), write=True),),
        records.INSERT_EVENTS: (Uses("@journal", (), write=True),),
        records.READ_EVENTS: (Uses("@journal", ("rollout",)),),
    },
)
