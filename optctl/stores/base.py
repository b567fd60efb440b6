"""The Store protocol every backend implements, and the plain data it trades in.

A store only reads and writes atomically; what the new ``optimization`` object should be is
decided by pure functions elsewhere (``optctl.services.changes``). Every write is a compare-and-swap
against the revision the caller read, and the history (audit) entry is appended in the same
atomic unit, so the history and the documents can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, Protocol, Sequence, runtime_checkable

from optctl.errors import ConflictError, NotFoundError

SYSTEM_FIELDS = ("_id", "_rev")  # ArangoDB's own: stale in any copy, so never carried across


def utc_now() -> datetime:
    """The one clock: commands (``Edges.now``) and rollouts take it injected, so tests pass their own."""
    return datetime.now(timezone.utc)


def history_timestamp() -> str:
    """Now, in the form every backend records a history entry's ``at``: ISO 8601 UTC, microseconds, ``Z``.

    Sortable as text, so ``since``/``until`` bounds compare as strings."""
    return utc_now().isoformat(timespec="microseconds").replace("+00:00", "Z")


def without_system_fields(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in SYSTEM_FIELDS}


def no_such_service(service: str, env: str) -> NotFoundError:
    """The same words from every backend, so operators and runbooks can rely on them."""
    return NotFoundError(
        f"no service {service!r} in {env}; nothing was written; `optctl status --env {env}` lists them, `optctl import` adds them"
    )


def changed_since_read(service: str, env: str, who: str | None, when: str | None) -> ConflictError:
    """A lost compare-and-swap, naming the last writer when the history knows it."""
    by = f"by {who} at {when}" if who else "by someone outside optctl"
    return ConflictError(f"{service} in {env} changed since it was read ({by}); nothing was written; run again")


@dataclass(frozen=True)
class StoredDocument:
    """One service's ai-config document as read, with the revision to write against."""

    service: str
    key: str
    revision: str
    document: dict[str, Any]

    @property
    def optimization(self) -> dict[str, Any] | None:
        return self.document.get("optimization")


@dataclass(frozen=True)
class Change:
    """Replace one service's ``optimization`` subtree, if it is still at ``expected_revision``.

    ``optimization=None`` removes the field. Every other field of the document is left
    exactly as it was.
    """

    service: str
    expected_revision: str
    optimization: dict[str, Any] | None
    action: str
    reason: str | None = None
    rollout: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One audit record: who changed which service's optimization object, from what to what."""

    revision: str
    at: str
    actor: str
    action: str
    service: str
    env: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None = None
    rollout: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "service": self.service,
            "env": self.env,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "rollout": self.rollout,
        }


@runtime_checkable
class Store(Protocol):
    """One environment's documents. Backends raise ``optctl.errors`` types only."""

    env: str

    def list_services(self) -> list[str]:
        """Service names in this environment, sorted."""

    def read(self, service: str) -> StoredDocument:
        """One document with its revision; ``NotFoundError`` if there is none."""

    def read_many(self, services: Sequence[str] | None = None) -> dict[str, StoredDocument]:
        """Many documents in a constant number of round trips (all of them for ``None``)."""

    def write(self, changes: Sequence[Change], actor: str) -> list[HistoryEntry]:
        """Apply all changes and their history entries atomically, or none of them.

        Raises ``ConflictError`` naming the service (and who last changed it, when) if any
        document is no longer at its ``expected_revision``.
        """

    def put_documents(self, documents: Sequence[dict[str, Any]], actor: str, reason: str | None = None) -> list[HistoryEntry]:
        """Insert or replace whole ai-config documents (import), recorded as ``import``."""

    def history(
        self, service: str | None = None, limit: int | None = None, since: str | None = None, until: str | None = None
    ) -> list[HistoryEntry]:
        """Audit entries, oldest first; with ``limit``, the newest ``limit`` of them.

        ``since`` and ``until`` bound the entries' ``at`` (``since <= at < until``); both are UTC
        timestamps in the ``at`` format (``window.timestamp`` makes one), compared as text.
        """

    def iter_history(
        self, service: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[HistoryEntry]:
        """The same entries, oldest first, read in batches: memory stays flat however long the history."""

    def last_changes(self) -> dict[str, HistoryEntry]:
        """The newest entry of each service, reading one entry per service (``status`` runs this)."""

    def close(self) -> None:
        """Release connections and file handles."""
