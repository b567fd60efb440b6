"""The embedded default store: one SQLite file (standard library only) that several processes share.

Every write runs in one ``BEGIN IMMEDIATE`` transaction that checks each document's revision,
rewrites only its ``optimization`` key and appends the history rows, so a crash (even SIGKILL)
leaves every document either entirely old or entirely new, with the history in agreement. WAL
lets readers (``status``) run while a writer works; ``busy_timeout`` makes a second writer
wait its turn instead of failing at once.

Documents are kept as the JSON text they arrived as; decoding keeps key order, so every field
but ``optimization`` comes back exactly as it went in.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from optctl.settings.project import SQLITE_SCHEME, EnvironmentConfig
from optctl.errors import ConflictError, EnvironmentProblem, UsageError
from optctl.stores.base import (
    Change,
    HistoryEntry,
    history_timestamp,
    StoredDocument,
    changed_since_read,
    no_such_service,
    without_system_fields,
)
from optctl.stores.sqlite_connection import connect, immediate, iterate, query, what_went_wrong

__all__ = ["SqliteStore"]

# PRAGMA user_version of a file this optctl has set up. 2 added history_by_time; a version-1
# file is brought up to date on open (the statements below are all IF NOT EXISTS).
LAYOUT_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    env TEXT NOT NULL,
    key TEXT NOT NULL,
    revision INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (env, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    key TEXT NOT NULL,
    service TEXT NOT NULL,
    revision INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT,
    reason TEXT,
    rollout TEXT
);
CREATE INDEX IF NOT EXISTS history_by_key ON history (env, key, id);
CREATE INDEX IF NOT EXISTS history_by_time ON history (env, at);
"""
_HISTORY_COLUMNS = "revision, at, actor, action, service, env, before, after, reason, rollout"
_QUALIFIED_HISTORY_COLUMNS = ", ".join(f"h.{column}" for column in _HISTORY_COLUMNS.split(", "))


class SqliteStore:
    """One environment's documents inside a (possibly shared) SQLite file."""

    def __init__(self, path: Path, env: EnvironmentConfig, clock: Callable[[], str] = history_timestamp):
        self.path = path
        self.env = env.name
        self._config = env
        self._clock = clock
        try:
            self._conn = connect(path, env.lock_timeout)
            if self._schema_version() != LAYOUT_VERSION:
                self._create_schema()
        except OSError as err:
            raise EnvironmentProblem(
                f"environment {self.env!r}: cannot open the SQLite store {path} ({err.strerror or err}); check the path and its permissions"
            ) from None
        except sqlite3.Error as err:
            raise EnvironmentProblem(
                f"environment {self.env!r}: cannot open the SQLite store {path}: {what_went_wrong(err, path)}"
            ) from None

    def _schema_version(self) -> int:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > LAYOUT_VERSION:
            raise EnvironmentProblem(
                f"environment {self.env!r}: {self.path} was written by a newer optctl (store schema {version}); upgrade optctl"
            )
        return version

    def _create_schema(self) -> None:
        # Only a new file takes the write lock here, so readers never queue behind writers.
        with self._transaction():
            if self._schema_version() < LAYOUT_VERSION:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")

    @classmethod
    def open(cls, env: EnvironmentConfig) -> SqliteStore:
        return cls(Path(env.url.removeprefix(SQLITE_SCHEME)), env)

    def close(self) -> None:
        self._conn.close()

    # Reads: plain statements; WAL gives each a consistent snapshot without blocking writers.

    def list_services(self) -> list[str]:
        keys = [row[0] for row in self._query("SELECT key FROM documents WHERE env = ?", (self.env,))]
        return sorted(self._config.service_for(key) for key in keys)

    def read(self, service: str) -> StoredDocument:
        found = self.read_many([service])
        if service not in found:
            raise no_such_service(service, self.env)
        return found[service]

    def read_many(self, services: Sequence[str] | None = None) -> dict[str, StoredDocument]:
        if services is None:
            rows = self._query("SELECT key, revision, body FROM documents WHERE env = ? ORDER BY key", (self.env,))
        else:
            rows = self._rows_for_keys("key, revision, body", [self._config.key_for(s) for s in services])
        documents = (
            StoredDocument(self._config.service_for(key), key, str(revision), json.loads(body)) for key, revision, body in rows
        )
        return {doc.service: doc for doc in sorted(documents, key=lambda d: d.service)}

    def history(
        self, service: str | None = None, limit: int | None = None, since: str | None = None, until: str | None = None
    ) -> list[HistoryEntry]:
        where, params = self._history_filter(service, since, until)
        sql = f"SELECT {_HISTORY_COLUMNS} FROM history WHERE {where} ORDER BY id DESC"
        if limit is not None:
            sql, params = sql + " LIMIT ?", params + [limit]
        return [_entry(row) for row in reversed(self._query(sql, params))]

    def iter_history(
        self, service: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[HistoryEntry]:
        where, params = self._history_filter(service, since, until)
        rows = iterate(self._conn, f"SELECT {_HISTORY_COLUMNS} FROM history WHERE {where} ORDER BY id", params, self._busy)
        return map(_entry, rows)

    def _history_filter(self, service: str | None, since: str | None, until: str | None) -> tuple[str, list[Any]]:
        clauses, params = ["env = ?"], [self.env]
        for clause, value in (
            ("key = ?", None if service is None else self._config.key_for(service)),
            ("at >= ?", since),
            ("at < ?", until),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        return " AND ".join(clauses), params

    def last_changes(self) -> dict[str, HistoryEntry]:
        """The newest history entry of every service: one ``history_by_key`` lookup per document.

        Each service's newest entry is found by a descending search of the index, so the cost
        grows with the number of services, not with the length of the history.
        """
        rows = self._query(
            f"SELECT {_QUALIFIED_HISTORY_COLUMNS} FROM documents AS d JOIN history AS h ON h.id = ("
            "SELECT id FROM history WHERE env = d.env AND key = d.key ORDER BY id DESC LIMIT 1"
            ") WHERE d.env = ?",
            (self.env,),
        )
        return {entry.service: entry for entry in map(_entry, rows)}

    # Writes: one BEGIN IMMEDIATE transaction each, all or nothing.

    def write(self, changes: Sequence[Change], actor: str) -> list[HistoryEntry]:
        keys = [self._config.key_for(change.service) for change in changes]
        if len(set(keys)) != len(keys):
            raise UsageError("the same service appears twice in one write; name each service once")
        with self._transaction():
            current = {key: (revision, body) for key, revision, body in self._rows_for_keys("key, revision, body", keys)}
            entries = []
            for change, key in zip(changes, keys):
                if key not in current:
                    raise no_such_service(change.service, self.env)
                revision, body = current[key]
                if str(revision) != change.expected_revision:
                    raise self._conflict(change.service, key)
                document = json.loads(body)
                before = document.get("optimization")
                _set_optimization(document, change.optimization)
                entry = HistoryEntry(
                    str(revision + 1),
                    self._clock(),
                    actor,
                    change.action,
                    change.service,
                    self.env,
                    before,
                    change.optimization,
                    change.reason,
                    change.rollout,
                )
                self._conn.execute(
                    "UPDATE documents SET revision = ?, body = ? WHERE env = ? AND key = ?",
                    (revision + 1, _dump(document), self.env, key),
                )
                self._record(key, entry)
                entries.append(entry)
            return entries

    def put_documents(self, documents: Sequence[dict[str, Any]], actor: str, reason: str | None = None) -> list[HistoryEntry]:
        keyed = []
        for index, document in enumerate(documents):
            key = document.get("_key")
            if not isinstance(key, str) or not key:
                raise UsageError(f"document {index} has no _key; every ai-config document needs one")
            keyed.append((key, without_system_fields(document)))
        if len({key for key, _ in keyed}) != len(keyed):
            raise UsageError("the same _key appears twice in one import; keep one document per key")
        with self._transaction():
            current = {
                key: (revision, body) for key, revision, body in self._rows_for_keys("key, revision, body", [k for k, _ in keyed])
            }
            entries = []
            for key, document in keyed:
                revision, body = current.get(key, (0, None))
                before = json.loads(body).get("optimization") if body else None
                entry = HistoryEntry(
                    str(revision + 1),
                    self._clock(),
                    actor,
                    "import",
                    self._config.service_for(key),
                    self.env,
                    before,
                    document.get("optimization"),
                    reason,
                )
                self._conn.execute(
                    "INSERT OR REPLACE INTO documents (env, key, revision, body) VALUES (?, ?, ?, ?)",
                    (self.env, key, revision + 1, _dump(document)),
                )
                self._record(key, entry)
                entries.append(entry)
            return entries

    def _record(self, key: str, entry: HistoryEntry) -> None:
        self._conn.execute(
            "INSERT INTO history (env, key, service, revision, at, actor, action, before, after, reason, rollout)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.env,
                key,
                entry.service,
                int(entry.revision),
                entry.at,
                entry.actor,
                entry.action,
                _dump_optional(entry.before),
                _dump_optional(entry.after),
                entry.reason,
                entry.rollout,
            ),
        )

    def _conflict(self, service: str, key: str) -> ConflictError:
        last = self._query("SELECT actor, at FROM history WHERE env = ? AND key = ? ORDER BY id DESC LIMIT 1", (self.env, key))
        who, when = last[0] if last else (None, None)
        return changed_since_read(service, self.env, who, when)

    def _transaction(self):
        return immediate(self._conn, self._busy)

    def _busy(self, err: sqlite3.Error) -> EnvironmentProblem:
        return EnvironmentProblem(
            f"environment {self.env!r}: the SQLite store {self.path}: {what_went_wrong(err, self.path)}; nothing was written"
        )

    def _rows_for_keys(self, columns: str, keys: list[str]) -> list[tuple]:
        rows: list[tuple] = []
        for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows += self._query(f"SELECT {columns} FROM documents WHERE env = ? AND key IN ({marks})", (self.env, *chunk))
        return rows

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        return query(self._conn, sql, params, self._busy)


def _set_optimization(document: dict[str, Any], optimization: dict[str, Any] | None) -> None:
    """Replace in place (keeping the key's position) or remove; nothing else is touched."""
    if optimization is None:
        document.pop("optimization", None)
    else:
        document["optimization"] = optimization


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _dump_optional(value: Any) -> str | None:
    return None if value is None else _dump(value)


def _entry(row: tuple) -> HistoryEntry:
    revision, at, actor, action, service, env, before, after, reason, rollout = row
    return HistoryEntry(
        str(revision),
        at,
        actor,
        action,
        service,
        env,
        json.loads(before) if before else None,
        json.loads(after) if after else None,
        reason,
        rollout,
    )
