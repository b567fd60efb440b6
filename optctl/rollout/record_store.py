"""The control store: each rollout's record and its event history, in SQLite (standard library).

By default the file is ``rollouts.db`` next to the embedded store under ``OPTCTL_HOME``. The
record is saved whole with a compare-and-swap on its ``version``: of two operators who read the
same version, exactly one saves, and the other is told nothing was done. Events (who did what,
intents and their outcomes) are appended in the same transaction as the record they explain.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from optctl.errors import ConflictError, EnvironmentProblem, NotFoundError
from optctl.rollout.state import ACTIVE, Rollout
from optctl.stores.sqlite_connection import connect, immediate, query

if TYPE_CHECKING:
    from optctl.settings.project import Project


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL,"
    " started_at TEXT NOT NULL, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, rollout TEXT NOT NULL,"
    " at TEXT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL, stage INTEGER, detail TEXT)",
    "CREATE INDEX IF NOT EXISTS events_by_rollout ON events (rollout, seq)",
)


@dataclass(frozen=True)
class Event:
    """One line of a rollout's history; ``stage`` is 1-based, None for the rollout as a whole."""

    at: str
    actor: str
    kind: str
    stage: int | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class ControlStore:
    def __init__(self, path: Path):
        self.path = path
        try:
            self._conn = connect(path)
            for statement in _SCHEMA:
                self._conn.execute(statement)
        except (OSError, sqlite3.Error) as err:
            raise EnvironmentProblem(f"cannot open the rollout control store {path} ({err}); check OPTCTL_HOME and its permissions") from None

    @classmethod
    def for_project(cls, project: Project) -> ControlStore:
        return cls(project.rollout_store_path())

    def close(self) -> None:
        self._conn.close()

    def create(self, rollout: Rollout, events: Sequence[Event]) -> Rollout:
        """Record a new rollout, unless an active one already holds one of its services: checked
        under the write lock, so two rollouts started at once cannot both take a service."""
        saved = rollout.model_copy(update={"version": 1})
        with self._transaction():
            for (record,) in self._conn.execute("SELECT record FROM rollouts WHERE state IN (?, ?)", ACTIVE):
                other = Rollout.model_validate_json(record)
                shared = sorted(other.claims() & saved.claims())
                if shared:
                    env, service = shared[0]
                    raise ConflictError(f"{service} in {env} is in active rollout {other.id}; finish or abort it first; nothing was started")
            try:
                self._conn.execute("INSERT INTO rollouts (id, version, state, started_at, record) VALUES (?, 1, ?, ?, ?)",
                                   (saved.id, saved.state, saved.started_at, saved.model_dump_json()))
            except sqlite3.IntegrityError:
                raise ConflictError(f"a rollout with id {saved.id} already exists; start again for a new id") from None
            self._append(saved.id, events)
        return saved

    def save(self, rollout: Rollout, events: Sequence[Event] = ()) -> Rollout:
        """Store ``rollout`` if the stored one is still at ``rollout.version``; return it one version on."""
        saved = rollout.model_copy(update={"version": rollout.version + 1})
        with self._transaction():
            updated = self._conn.execute(
                "UPDATE rollouts SET version = ?, state = ?, record = ? WHERE id = ? AND version = ?",
                (saved.version, saved.state, saved.model_dump_json(), saved.id, rollout.version),
            ).rowcount
            if not updated:
                raise self._conflict(rollout.id)
            self._append(saved.id, events)
        return saved

    def get(self, rollout_id: str) -> Rollout:
        rows = self._query("SELECT record FROM rollouts WHERE id = ?", (rollout_id,))
        if not rows:
            raise NotFoundError(f"no rollout {rollout_id!r} in {self.path}; `optctl rollout list` shows them")
        return Rollout.model_validate_json(rows[0][0])

    def list(self, states: Sequence[str] | None = None) -> list[Rollout]:
        """Oldest first."""
        sql, params = "SELECT record FROM rollouts", ()
        if states:
            sql, params = sql + f" WHERE state IN ({', '.join('?' * len(states))})", tuple(states)
        return [Rollout.model_validate_json(row[0]) for row in self._query(sql + " ORDER BY started_at, id", params)]

    def events(self, rollout_id: str, limit: int | None = None) -> list[Event]:
        """Oldest first; with ``limit``, the newest ``limit``."""
        rows = self._query(
            "SELECT at, actor, kind, stage, detail FROM events WHERE rollout = ? ORDER BY seq DESC" + (" LIMIT ?" if limit else ""),
            (rollout_id, limit) if limit else (rollout_id,),
        )
        return [Event(*row) for row in reversed(rows)]

    def _append(self, rollout_id: str, events: Sequence[Event]) -> None:
        self._conn.executemany(
            "INSERT INTO events (rollout, at, actor, kind, stage, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [(rollout_id, e.at, e.actor, e.kind, e.stage, e.detail) for e in events],
        )

    def _conflict(self, rollout_id: str) -> ConflictError:
        last = self.events(rollout_id, limit=1)
        by = f" (by {last[0].actor} at {last[0].at}: {last[0].kind})" if last else ""
        return ConflictError(f"rollout {rollout_id} changed since it was read{by}; nothing was done; see `optctl rollout status {rollout_id}`")

    def _transaction(self):
        return immediate(self._conn, self._unavailable)

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        return query(self._conn, sql, params, self._unavailable)

    def _unavailable(self, err: sqlite3.Error) -> EnvironmentProblem:
        return EnvironmentProblem(f"the rollout control store {self.path} is unavailable ({err}); nothing was done; run again")
