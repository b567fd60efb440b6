"""The production store: ArangoDB through python-arango (``arango_connection`` holds the discipline).

Targets ArangoDB 3.11 and 3.12 (single server, or coordinators of a cluster): it needs stream
transactions (``/_api/transaction/begin``, 3.5+) and AQL ``UPDATE ... OPTIONS { ignoreRevs:
false, mergeObjects: false }``; 3.11 is the oldest release still supported upstream.

Why it looks the way it does:

- Round trips, not documents, are what an operator waits for, so every batch is a constant
  number of HTTP requests: reads are one AQL cursor (one document: one document GET); a
  write is begin, one AQL ``UPDATE`` over all services (two when some lose their
  ``optimization`` field), one AQL ``INSERT`` of the history entries, commit. The history
  lives in its own collection, in the same stream transaction, so documents and history
  agree wherever a transaction is atomic (a single server, a OneShard database).
- Every write has an operation id, stored with each of its history entries (a unique
  persistent index on ``[operation, seq]``): a commit whose reply is lost is settled by
  asking the server, then by reading the entries back by that id (``ArangoConnection.write``).
- The compare-and-swap is ArangoDB's own: each ``UPDATE`` carries the ``_rev`` the caller read
  and ``ignoreRevs: false``, so a stale revision (or a write-write conflict with another
  running transaction) fails the query with error 1200 and the whole transaction is aborted.
- Only ``optimization`` is written. ``mergeObjects: false`` replaces the object instead of
  merging it into the old one (removed keys really go). Removal is a separate statement with
  ``keepNull: false``, because that option would also drop ``null`` values nested inside a
  newly added object (arangod's ``mergeObjectsForUpdate``), changing what the caller wrote.
- Every query is answered from an index (``arango_layout``: ``optctl store init`` creates
  them, ``optctl store check`` verifies each query's plan with the explain API), except the
  two that read every document by design.
- Keys are checked against ArangoDB's rules before anything is sent (``arango_keys``).

The history is ordered by the writer's UTC clock (microseconds), then by position within one
write; operators' machines are expected to keep NTP time.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from arango.http import HTTPClient

from optctl.documents.redact import scrub, secret_values
from optctl.errors import ConflictError, EnvironmentProblem, OptctlError, UsageError
from optctl.settings.project import EnvironmentConfig
from optctl.stores.arango_connection import (
    CONFLICT,
    ArangoConnection,
    OutcomeUnknown,
    Rejected,
    Transaction,
    answered,
    new_operation_id,
    parse_url,
)
from optctl.stores.arango_keys import check_document_key, check_service_key
from optctl.stores.base import (
    Change,
    HistoryEntry,
    StoredDocument,
    history_timestamp,
    changed_since_read,
    no_such_service,
    without_system_fields,
)

__all__ = ["ArangoStore", "parse_url"]

# The AQL the backend sends, verbatim. ``tests/arango_server`` matches on these texts.
READ_DOCUMENTS = "FOR d IN @@collection FILTER d._key IN @keys RETURN d"
READ_ALL_DOCUMENTS = "FOR d IN @@collection RETURN d"
LIST_KEYS = "FOR d IN @@collection RETURN d._key"
READ_REVISIONS = "FOR d IN @@collection FILTER d._key IN @keys RETURN {key: d._key, revision: d._rev}"
SET_OPTIMIZATION = (
    "FOR c IN @changes"
    " UPDATE {_key: c.key, _rev: c.revision} WITH {optimization: c.optimization} IN @@collection"
    " OPTIONS {ignoreRevs: false, mergeObjects: false}"
    " RETURN {key: NEW._key, revision: NEW._rev, before: OLD.optimization, after: NEW.optimization}"
)
REMOVE_OPTIMIZATION = (
    "FOR c IN @changes"
    " UPDATE {_key: c.key, _rev: c.revision} WITH {optimization: null} IN @@collection"
    " OPTIONS {ignoreRevs: false, keepNull: false}"
    " RETURN {key: NEW._key, revision: NEW._rev, before: OLD.optimization, after: NEW.optimization}"
)
PUT_DOCUMENTS = (
    "FOR d IN @documents"
    ' INSERT d INTO @@collection OPTIONS {overwriteMode: "replace"}'
    " RETURN {key: NEW._key, revision: NEW._rev, before: OLD.optimization, after: NEW.optimization}"
)
INSERT_HISTORY = "FOR h IN @entries INSERT h INTO @@history"
# Bind parameters are part of the plan (AQL injects them before optimizing), so a null bound
# folds its clause away and the rest uses the index on [service, at, seq] or [at, seq].
_WINDOW = "(@since == null OR h.at >= @since) AND (@until == null OR h.at < @until)"
READ_SERVICE_HISTORY = (
    f"FOR h IN @@history FILTER h.service == @service AND {_WINDOW}"
    " SORT h.service DESC, h.at DESC, h.seq DESC LIMIT @limit RETURN h"
)
READ_HISTORY = f"FOR h IN @@history FILTER {_WINDOW} SORT h.at DESC, h.seq DESC LIMIT @limit RETURN h"
STREAM_SERVICE_HISTORY = f"FOR h IN @@history FILTER h.service == @service AND {_WINDOW} SORT h.service, h.at, h.seq RETURN h"
STREAM_HISTORY = f"FOR h IN @@history FILTER {_WINDOW} SORT h.at, h.seq RETURN h"
LAST_CHANGES = (
    "FOR s IN @services"
    " LET last = FIRST(FOR h IN @@history FILTER h.service == s SORT h.service DESC, h.at DESC, h.seq DESC LIMIT 1 RETURN h)"
    " FILTER last != null RETURN last"
)
READ_OPERATION = "FOR h IN @@history FILTER h.operation == @operation SORT h.operation, h.seq RETURN h"
ALL_QUERIES = (
    READ_DOCUMENTS,
    READ_ALL_DOCUMENTS,
    LIST_KEYS,
    READ_REVISIONS,
    SET_OPTIMIZATION,
    REMOVE_OPTIMIZATION,
    PUT_DOCUMENTS,
    INSERT_HISTORY,
    READ_SERVICE_HISTORY,
    READ_HISTORY,
    STREAM_SERVICE_HISTORY,
    STREAM_HISTORY,
    LAST_CHANGES,
    READ_OPERATION,
)

_NO_LIMIT = 2**53  # AQL LIMIT needs a number; JSON-safe and more than any history holds


class ArangoStore:
    """One environment's documents in an ArangoDB collection, its history in another."""

    def __init__(self, env: EnvironmentConfig, connection: ArangoConnection, clock: Callable[[], str] = history_timestamp):
        self.env = env.name
        self.connection = connection
        self._config = env
        self._clock = clock

    @classmethod
    def open(
        cls, env: EnvironmentConfig, *, http_client: HTTPClient | None = None, clock: Callable[[], str] = history_timestamp
    ) -> ArangoStore:
        """Connect lazily: no request is sent until the first read or write."""
        return cls(env, ArangoConnection.open(env, http_client=http_client), clock)

    def close(self) -> None:
        self.connection.close()

    # Reads: one request each, outside any transaction.

    def list_services(self) -> list[str]:
        keys = self.connection.query(LIST_KEYS, {"@collection": self._config.collection}, "list services")
        return sorted(self._config.service_for(key) for key in keys)

    def read(self, service: str) -> StoredDocument:
        key = self._key(service)
        with self.connection.failures("read a document"):
            with self.connection.transport.resendable():
                row = self.connection.db.collection(self._config.collection).get(key)
        if row is None:
            raise no_such_service(service, self.env)
        return self._stored(answered(row, dict))

    def read_many(self, services: Sequence[str] | None = None) -> dict[str, StoredDocument]:
        if services is None:
            rows = self.connection.query(READ_ALL_DOCUMENTS, {"@collection": self._config.collection}, "read documents")
        else:
            keys = [self._key(service) for service in services]
            rows = self.connection.query(READ_DOCUMENTS, {"@collection": self._config.collection, "keys": keys}, "read documents")
        documents = (self._stored(row) for row in rows)
        return {doc.service: doc for doc in sorted(documents, key=lambda d: d.service)}

    def history(
        self, service: str | None = None, limit: int | None = None, since: str | None = None, until: str | None = None
    ) -> list[HistoryEntry]:
        bind = self._window(service, since, until) | {"limit": _NO_LIMIT if limit is None else limit}
        rows = self.connection.query(READ_HISTORY if service is None else READ_SERVICE_HISTORY, bind, "read the history")
        return [self._entry(row) for row in reversed(rows)]

    def iter_history(
        self, service: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[HistoryEntry]:
        query = STREAM_HISTORY if service is None else STREAM_SERVICE_HISTORY
        return map(self._entry, self.connection.stream(query, self._window(service, since, until), "read the history"))

    def last_changes(self) -> dict[str, HistoryEntry]:
        """The newest history entry of every service: one index lookup per service (for ``status``)."""
        services = self.list_services()
        if not services:
            return {}
        rows = self.connection.query(
            LAST_CHANGES, {"@history": self._config.history_collection, "services": services}, "read the history"
        )
        return {entry.service: entry for entry in map(self._entry, rows)}

    def find_operation(self, operation: str) -> list[HistoryEntry]:
        """The history entries one write stored (none if it was not written)."""
        rows = self.connection.query(
            READ_OPERATION, {"@history": self._config.history_collection, "operation": operation}, "look for the operation"
        )
        return [self._entry(row) for row in rows]

    # Writes: one stream transaction each, all or nothing.

    def write(self, changes: Sequence[Change], actor: str) -> list[HistoryEntry]:
        keys = [self._key(change.service) for change in changes]
        if len(set(keys)) != len(keys):
            raise UsageError("the same service appears twice in one write; name each service once")
        if not changes:
            return []
        at, operation = self._clock(), new_operation_id()
        sets = [
            {"key": k, "revision": c.expected_revision, "optimization": c.optimization}
            for k, c in zip(keys, changes)
            if c.optimization is not None
        ]
        removals = [{"key": k, "revision": c.expected_revision} for k, c in zip(keys, changes) if c.optimization is None]

        def work(trx: Transaction) -> list[HistoryEntry]:
            written: dict[str, dict[str, Any]] = {}
            for query, batch in ((SET_OPTIMIZATION, sets), (REMOVE_OPTIMIZATION, removals)):
                if batch:
                    written.update(
                        (row["key"], row) for row in trx.query(query, {"@collection": self._config.collection, "changes": batch})
                    )
            entries = [
                HistoryEntry(
                    written[k]["revision"],
                    at,
                    actor,
                    c.action,
                    c.service,
                    self.env,
                    written[k]["before"],
                    written[k]["after"],
                    c.reason,
                    c.rollout,
                    {"operation": operation},
                )
                for k, c in zip(keys, changes)
            ]
            self._record(trx, entries, operation)
            return entries

        try:
            return self._write("write", work, operation, len(changes))
        except Rejected as rejected:
            raise self._explain(rejected, changes) from None

    def put_documents(self, documents: Sequence[dict[str, Any]], actor: str, reason: str | None = None) -> list[HistoryEntry]:
        cleaned = []
        for index, document in enumerate(documents):
            if not isinstance(document.get("_key"), str) or not document["_key"]:
                raise UsageError(f"document {index} has no _key; every ai-config document needs one")
            check_document_key(index, document["_key"])
            cleaned.append(without_system_fields(document))
        if len({d["_key"] for d in cleaned}) != len(cleaned):
            raise UsageError("the same _key appears twice in one import; keep one document per key")
        if not cleaned:
            return []
        at, operation = self._clock(), new_operation_id()

        def work(trx: Transaction) -> list[HistoryEntry]:
            rows = trx.query(PUT_DOCUMENTS, {"@collection": self._config.collection, "documents": cleaned})
            entries = [
                HistoryEntry(
                    row["revision"],
                    at,
                    actor,
                    "import",
                    self._config.service_for(row["key"]),
                    self.env,
                    row["before"],
                    row["after"],
                    reason,
                    None,
                    {"operation": operation},
                )
                for row in rows
            ]
            self._record(trx, entries, operation)
            return entries

        try:
            return self._write("import", work, operation, len(cleaned))
        except Rejected as rejected:
            if rejected.error_code == CONFLICT:
                raise ConflictError(
                    f"documents in {self.env} are being changed by another writer right now; nothing was written; run again"
                ) from None
            raise EnvironmentProblem(
                f"{self.connection.where()} refused the import (HTTP {rejected.http_code}, error "
                f"{rejected.error_code}: {rejected.message}); nothing was written"
            ) from None
        except EnvironmentProblem as problem:  # the server's words may quote what it was sent
            raise type(problem)(scrub(str(problem), secret_values(cleaned))) from None

    # The transaction and what its failures mean.

    def _write(
        self, doing: str, work: Callable[[Transaction], list[HistoryEntry]], operation: str, count: int
    ) -> list[HistoryEntry]:
        def confirm() -> list[HistoryEntry] | None:
            found = self.find_operation(operation)
            if not found:
                return None
            if len(found) != count:
                raise OutcomeUnknown(
                    f"{self.connection.where()}: operation {operation} stored {len(found)} of its "
                    f"{count} history entries: this deployment does not commit atomically "
                    f"(see `optctl store check --env {self.env}`); check the documents by hand",
                    operation,
                )
            return found

        collections = [self._config.collection, self._config.history_collection]
        return self.connection.write(collections, doing, work, confirm, operation)

    def _record(self, trx: Transaction, entries: list[HistoryEntry], operation: str) -> None:
        rows = [dict(entry.to_json(), seq=seq, operation=operation) for seq, entry in enumerate(entries)]
        trx.query(INSERT_HISTORY, {"@history": self._config.history_collection, "entries": rows})

    def _explain(self, rejected: Rejected, changes: Sequence[Change]) -> OptctlError:
        """Name the service whose revision moved (or that vanished), and who moved it last."""
        keys = [self._key(change.service) for change in changes]
        bind = {"@collection": self._config.collection, "keys": keys}
        current = {row["key"]: row["revision"] for row in self.connection.query(READ_REVISIONS, bind, "check the revisions")}
        for key, change in zip(keys, changes):
            if key not in current:
                return no_such_service(change.service, self.env)
            if current[key] != change.expected_revision:
                # The newest entry names the writer only if it made the revision now stored.
                last = [e for e in self.history(change.service, limit=1) if e.revision == current[key]]
                return changed_since_read(change.service, self.env, *((last[0].actor, last[0].at) if last else (None, None)))
        services = ", ".join(change.service for change in changes[:3]) + (", ..." if len(changes) > 3 else "")
        return ConflictError(
            f"{services} in {self.env}: another writer is changing them right now "
            f"(ArangoDB error {rejected.error_code}); nothing was written; run again"
        )

    def _key(self, service: str) -> str:
        key = self._config.key_for(service)
        check_service_key(service, key, self.env)
        return key

    def _window(self, service: str | None, since: str | None, until: str | None) -> dict[str, Any]:
        bind: dict[str, Any] = {"@history": self._config.history_collection, "since": since, "until": until}
        return bind if service is None else bind | {"service": service}

    def _stored(self, row: dict[str, Any]) -> StoredDocument:
        document = without_system_fields(row)
        return StoredDocument(self._config.service_for(row["_key"]), row["_key"], row["_rev"], document)

    def _entry(self, row: dict[str, Any]) -> HistoryEntry:
        extra = {"operation": row["operation"]} if row.get("operation") else {}
        return HistoryEntry(
            row["revision"],
            row["at"],
            row["actor"],
            row["action"],
            row["service"],
            row.get("env", self.env),
            row.get("before"),
            row.get("after"),
            row.get("reason"),
            row.get("rollout"),
            extra,
        )
