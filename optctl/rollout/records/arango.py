"""Rollout records on ArangoDB: beside the documents they change, in the database of the
environment ``[rollouts]`` names (by default production's), so that everyone whose optctl.toml
points there sees and drives the same rollouts.

Two collections (``optctl store init`` creates them, from ``layout``): ``optctl_rollouts`` holds
each rollout's record (``_key`` = the rollout id) and one claim document per (environment,
service) an active rollout holds; ``optctl_rollout_journal`` holds the events. Every write is one
stream transaction through ``stores.arango_connection`` (the documents' own discipline): the
record is replaced only if its ``version`` is still the one read (a concurrent writer makes the
statement match nothing, or fails it with a write-write conflict), the claims and events go in
the same transaction, and each record carries the operation id that lets a commit whose reply
was lost be confirmed by reading it back. A fixed number of requests per call, whatever the
number of services.
"""

from __future__ import annotations

import builtins
import hashlib
from typing import Any, Sequence

from optctl.errors import ConflictError
from optctl.rollout.records.base import Event, Principal, changed, claimed, duplicate, no_rollout
from optctl.rollout.state import ACTIVE, Rollout
from optctl.settings.project import EnvironmentConfig, RolloutsConfig
from optctl.stores.arango_connection import ArangoConnection, Rejected, new_operation_id
from optctl.stores.arango_layout import Index, Layout, Query

# The AQL sent, verbatim (tests/support/rollout_aql.py gives the stand-in the same texts).
READ_ROLLOUT = "FOR r IN @@rollouts FILTER r._key == @id RETURN r"
LIST_ROLLOUTS = 'FOR r IN @@rollouts FILTER r.kind == "rollout" AND (@states == null OR r.state IN @states) SORT r.started_at, r._key RETURN r'
READ_CLAIMS = "FOR c IN @@rollouts FILTER c._key IN @keys RETURN c"
INSERT_ROLLOUT = "INSERT @record INTO @@rollouts"
PUT_CLAIMS = 'FOR c IN @claims INSERT c INTO @@rollouts OPTIONS {overwriteMode: "replace"}'
REPLACE_ROLLOUT = (
    "FOR r IN @@rollouts FILTER r._key == @id AND r.version == @version REPLACE r WITH @record IN @@rollouts RETURN NEW.version"
)
RELEASE_CLAIMS = "FOR c IN @@rollouts FILTER c._key IN @keys AND c.rollout == @id UPDATE c WITH {rollout: null} IN @@rollouts"
INSERT_EVENTS = "FOR e IN @events INSERT e INTO @@journal"
READ_EVENTS = "FOR e IN @@journal FILTER e.rollout == @id SORT e.version DESC, e.seq DESC LIMIT @limit RETURN e"
ALL_QUERIES = (
    READ_ROLLOUT,
    LIST_ROLLOUTS,
    READ_CLAIMS,
    INSERT_ROLLOUT,
    PUT_CLAIMS,
    REPLACE_ROLLOUT,
    RELEASE_CLAIMS,
    INSERT_EVENTS,
    READ_EVENTS,
)
_NO_LIMIT = 2**53


def layout(where: RolloutsConfig) -> Layout:
    """What ``optctl store init`` creates (and ``store check`` verifies) for the rollout records."""
    rollouts, journal = where.collection, where.journal_collection
    return Layout(
        (rollouts, journal),
        (
            Index(rollouts, ("kind", "state"), "optctl_rollouts_by_state"),
            Index(journal, ("rollout", "version", "seq"), "optctl_rollout_journal_by_rollout"),
        ),
        (
            Query("a rollout by id", READ_ROLLOUT, {"@rollouts": rollouts, "id": "a"}, rollouts, ("_key",)),
            Query("a rollout's events", READ_EVENTS, {"@journal": journal, "id": "a", "limit": 1}, journal, ("rollout",)),
        ),
    )


def claim_key(environment: str, service: str) -> str:
    return "claim-" + hashlib.sha1(f"{environment}\n{service}".encode()).hexdigest()


class ArangoRecords:
    def __init__(self, connection: ArangoConnection, where: RolloutsConfig):
        self._conn = connection
        self._rollouts, self._journal = where.collection, where.journal_collection
        self.where = f"ArangoDB at {connection.url} ({self._rollouts})"

    @classmethod
    def open(cls, env: EnvironmentConfig, where: RolloutsConfig) -> ArangoRecords:
        return cls(ArangoConnection.open(env), where)

    def principal(self, label: str | None) -> Principal:
        return Principal(self._conn.username, label, "database-user")

    def close(self) -> None:
        self._conn.close()

    def create(self, rollout: Rollout, events: Sequence[Event]) -> Rollout:
        saved = rollout.model_copy(update={"version": 1})
        operation = new_operation_id()
        claims = sorted(saved.claims())
        keys = [claim_key(env, service) for env, service in claims]

        def work(trx: Any) -> Rollout:
            for held in trx.query(READ_CLAIMS, {"@rollouts": self._rollouts, "keys": keys}):
                if held.get("rollout"):
                    raise claimed(held["service"], held["environment"], held["rollout"])
            trx.query(INSERT_ROLLOUT, {"@rollouts": self._rollouts, "record": self._document(saved, operation)})
            trx.query(
                PUT_CLAIMS,
                {
                    "@rollouts": self._rollouts,
                    "claims": [
                        {
                            "_key": key,
                            "kind": "claim",
                            "rollout": saved.id,
                            "environment": env,
                            "service": service,
                            "operation": operation,
                        }
                        for key, (env, service) in zip(keys, claims)
                    ],
                },
            )
            self._append(trx, saved, events, operation)
            return saved

        try:
            return self._conn.write(
                (self._rollouts, self._journal), "start of the rollout", work, lambda: self._confirm(saved, operation), operation
            )
        except Rejected as rejected:
            if rejected.error_code == 1210:
                raise duplicate(saved.id) from None
            raise ConflictError(
                "another rollout claiming the same services is being started at this moment; nothing was started; run again"
            ) from None

    def save(self, rollout: Rollout, events: Sequence[Event] = ()) -> Rollout:
        saved = rollout.model_copy(update={"version": rollout.version + 1})
        operation = new_operation_id()
        ending = saved.state not in ACTIVE  # an ended rollout frees its services (again: harmless)

        def work(trx: Any) -> Rollout:
            replaced = trx.query(
                REPLACE_ROLLOUT,
                {
                    "@rollouts": self._rollouts,
                    "id": saved.id,
                    "version": rollout.version,
                    "record": self._document(saved, operation),
                },
            )
            if not replaced:
                raise _Stale()
            if ending:
                trx.query(
                    RELEASE_CLAIMS,
                    {
                        "@rollouts": self._rollouts,
                        "id": saved.id,
                        "keys": [claim_key(env, service) for env, service in sorted(saved.claims())],
                    },
                )
            self._append(trx, saved, events, operation)
            return saved

        try:
            return self._conn.write(
                (self._rollouts, self._journal),
                f"save of rollout {saved.id}",
                work,
                lambda: self._confirm(saved, operation),
                operation,
            )
        except (_Stale, Rejected):
            if isinstance(self._read(rollout.id), type(None)):
                raise no_rollout(rollout.id, self.where) from None
            last = self.events(rollout.id, limit=1)
            raise changed(rollout.id, last[0] if last else None) from None

    def get(self, rollout_id: str) -> Rollout:
        row = self._read(rollout_id)
        if row is None:
            raise no_rollout(rollout_id, self.where)
        return Rollout.model_validate(row["record"])

    def list(self, states: Sequence[str] | None = None) -> builtins.list[Rollout]:
        rows = self._conn.query(
            LIST_ROLLOUTS, {"@rollouts": self._rollouts, "states": list(states) if states else None}, "list the rollouts"
        )
        return [Rollout.model_validate(row["record"]) for row in rows]

    def events(self, rollout_id: str, limit: int | None = None) -> builtins.list[Event]:
        rows = self._conn.query(
            READ_EVENTS, {"@journal": self._journal, "id": rollout_id, "limit": limit or _NO_LIMIT}, "read the rollout's events"
        )
        return [Event(r["at"], r["actor"], r["kind"], r.get("stage"), r.get("detail")) for r in reversed(rows)]

    def _read(self, rollout_id: str) -> dict[str, Any] | None:
        rows = self._conn.query(READ_ROLLOUT, {"@rollouts": self._rollouts, "id": rollout_id}, "read the rollout")
        return rows[0] if rows and rows[0].get("kind") == "rollout" else None

    def _confirm(self, saved: Rollout, operation: str) -> Rollout | None:
        """After a commit without a clear answer: did this very write land?"""
        row = self._read(saved.id)
        return saved if row is not None and row.get("operation") == operation else None

    def _document(self, rollout: Rollout, operation: str) -> dict[str, Any]:
        return {
            "_key": rollout.id,
            "kind": "rollout",
            "version": rollout.version,
            "state": rollout.state,
            "started_at": rollout.started_at,
            "operation": operation,
            "record": rollout.model_dump(mode="json"),
        }

    def _append(self, trx: Any, rollout: Rollout, events: Sequence[Event], operation: str) -> None:
        if events:
            trx.query(
                INSERT_EVENTS,
                {
                    "@journal": self._journal,
                    "events": [
                        {"rollout": rollout.id, "version": rollout.version, "seq": seq, "operation": operation, **event.to_json()}
                        for seq, event in enumerate(events)
                    ],
                },
            )


class _Stale(Exception):
    """The record moved on since it was read: nothing is written (the transaction is aborted)."""
