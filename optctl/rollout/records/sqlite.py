"""Rollout records on the embedded store: two tables in the same SQLite file as the documents.

The file's one discipline (``stores/sqlite_connection``: WAL, FULL sync, busy timeout, BEGIN
IMMEDIATE) makes the compare-and-swap exact: the version check and the write happen under the
write lock, and the events go in the same transaction as the record they explain.
"""

from __future__ import annotations

import builtins
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Sequence

from optctl.errors import EnvironmentProblem
from optctl.rollout.records.base import Event, Principal, changed, claimed, duplicate, no_rollout, os_user
from optctl.rollout.state import ACTIVE, Rollout
from optctl.stores.sqlite_connection import connect, immediate, query

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL,"
    " started_at TEXT NOT NULL, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollout_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, rollout TEXT NOT NULL,"
    " at TEXT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL, stage INTEGER, detail TEXT)",
    "CREATE INDEX IF NOT EXISTS rollout_events_by_rollout ON rollout_events (rollout, seq)",
)


class SqliteRecords:
    def __init__(self, path: Path):
        self.path = path
        self.where = str(path)
        try:
            self._conn = connect(path)
            if not self._has_tables():
                with self._transaction():
                    for statement in _SCHEMA:
                        self._conn.execute(statement)
        except (OSError, sqlite3.Error) as err:
            raise EnvironmentProblem(
                f"cannot open the rollout records in {path} ({err}); check the path and its permissions"
            ) from None

    def _has_tables(self) -> bool:
        names = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {"rollouts", "rollout_events"} <= names

    def principal(self, label: str | None) -> Principal:
        return Principal(os_user(), label, "os-user")

    def close(self) -> None:
        self._conn.close()

    def create(self, rollout: Rollout, events: Sequence[Event]) -> Rollout:
        saved = rollout.model_copy(update={"version": 1})
        with self._transaction():  # checked under the write lock: two starts cannot both take a service
            for (record,) in self._conn.execute("SELECT record FROM rollouts WHERE state IN (?, ?)", ACTIVE):
                other = Rollout.model_validate_json(record)
                shared = sorted(other.claims() & saved.claims())
                if shared:
                    env, service = shared[0]
                    raise claimed(service, env, other.id)
            try:
                self._conn.execute(
                    "INSERT INTO rollouts (id, version, state, started_at, record) VALUES (?, 1, ?, ?, ?)",
                    (saved.id, saved.state, saved.started_at, saved.model_dump_json()),
                )
            except sqlite3.IntegrityError:
                raise duplicate(saved.id) from None
            self._append(saved.id, events)
        return saved

    def save(self, rollout: Rollout, events: Sequence[Event] = ()) -> Rollout:
        saved = rollout.model_copy(update={"version": rollout.version + 1})
        with self._transaction():
            updated = self._conn.execute(
                "UPDATE rollouts SET version = ?, state = ?, record = ? WHERE id = ? AND version = ?",
                (saved.version, saved.state, saved.model_dump_json(), saved.id, rollout.version),
            ).rowcount
            if not updated:
                last = self.events(rollout.id, limit=1)
                raise changed(rollout.id, last[0] if last else None)
            self._append(saved.id, events)
        return saved

    def get(self, rollout_id: str) -> Rollout:
        rows = self._query("SELECT record FROM rollouts WHERE id = ?", (rollout_id,))
        if not rows:
            raise no_rollout(rollout_id, self.where)
        return Rollout.model_validate_json(rows[0][0])

    def list(self, states: Sequence[str] | None = None) -> builtins.list[Rollout]:
        sql = "SELECT record FROM rollouts"
        params: tuple[str, ...] = ()
        if states:
            sql, params = sql + f" WHERE state IN ({', '.join('?' * len(states))})", tuple(states)
        return [Rollout.model_validate_json(row[0]) for row in self._query(sql + " ORDER BY started_at, id", params)]

    def events(self, rollout_id: str, limit: int | None = None) -> builtins.list[Event]:
        rows = self._query(
            "SELECT at, actor, kind, stage, detail FROM rollout_events WHERE rollout = ? ORDER BY seq DESC"
            + (" LIMIT ?" if limit else ""),
            (rollout_id, limit) if limit else (rollout_id,),
        )
        return [Event(*row) for row in reversed(rows)]

    def _append(self, rollout_id: str, events: Sequence[Event]) -> None:
        self._conn.executemany(
            "INSERT INTO rollout_events (rollout, at, actor, kind, stage, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [(rollout_id, e.at, e.actor, e.kind, e.stage, e.detail) for e in events],
        )

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate(self._conn, self._unavailable)

    def _query(self, sql: str, params: Sequence[Any]) -> builtins.list[tuple[Any, ...]]:
        return query(self._conn, sql, params, self._unavailable)

    def _unavailable(self, err: sqlite3.Error) -> EnvironmentProblem:
        return EnvironmentProblem(f"the rollout records in {self.path} are unavailable ({err}); nothing was done; run again")
