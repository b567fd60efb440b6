"""The record-store protocol: where each rollout's record and its journal of events live.

Every backend keeps the same discipline as the service stores: the record is saved whole with
a compare-and-swap on its ``version`` (of two operators who read one version, exactly one
saves; the other is told nothing was done), the events that explain a save are appended in the
same atomic unit, and creating a rollout claims its (environment, service) pairs atomically, so
two rollouts started at once cannot both take a service.

A backend also says who is acting, as strongly as it can tell (``Principal``): approvals are
checked against that, not against a label anyone can set.
"""

from __future__ import annotations

import builtins
import getpass
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, Sequence, runtime_checkable

from optctl.errors import ConflictError, NotFoundError
from optctl.rollout.state import Rollout


@dataclass(frozen=True)
class Event:
    """One line of a rollout's journal; ``stage`` is 1-based, None for the rollout as a whole."""

    at: str
    actor: str
    kind: str
    stage: int | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def normalise(name: str) -> str:
    """Names are compared trimmed and case-folded: ``' Bob'`` and ``'bob'`` are one person."""
    return name.strip().casefold()


@dataclass(frozen=True)
class Principal:
    """Who acts: ``authenticated`` is what the store vouches for (the ArangoDB user it logged in as,
    or only the OS user on the embedded store); ``label`` is ``OPTCTL_ACTOR``, a name people choose."""

    authenticated: str
    label: str | None
    strength: Literal["database-user", "os-user"]

    @property
    def key(self) -> str:
        """What approvals compare. The embedded store has nothing stronger than the OS user plus
        the label, so there both count; on ArangoDB only the database user does."""
        if self.strength == "os-user" and self.label and normalise(self.label) != normalise(self.authenticated):
            return f"{normalise(self.authenticated)}+{normalise(self.label)}"
        return normalise(self.authenticated)

    @property
    def display(self) -> str:
        """For history and events: both names, so an audit shows who really ran the command."""
        if not self.label or normalise(self.label) == normalise(self.authenticated):
            return self.authenticated
        via = "database user" if self.strength == "database-user" else "os user"
        return f"{self.label} ({via} {self.authenticated})"


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@runtime_checkable
class RecordStore(Protocol):
    """One project's rollouts. Backends raise ``optctl.errors`` types only."""

    where: str  # for messages: the file, or the ArangoDB url and collection

    def principal(self, label: str | None) -> Principal:
        """Who this process acts as, with ``label`` (``OPTCTL_ACTOR``) beside what the store knows."""

    def create(self, rollout: Rollout, events: Sequence[Event]) -> Rollout:
        """Record a new rollout at version 1, unless an active one holds one of its services."""

    def save(self, rollout: Rollout, events: Sequence[Event] = ()) -> Rollout:
        """Store ``rollout`` if the stored one is still at ``rollout.version``; return it one version on."""

    def get(self, rollout_id: str) -> Rollout:
        """``NotFoundError`` if there is none."""

    def list(self, states: Sequence[str] | None = None) -> builtins.list[Rollout]:
        """Oldest first."""

    def events(self, rollout_id: str, limit: int | None = None) -> builtins.list[Event]:
        """Oldest first; with ``limit``, the newest ``limit``."""

    def close(self) -> None:
        """Release connections and file handles."""


def claimed(service: str, env: str, holder: str) -> ConflictError:
    return ConflictError(f"{service} in {env} is in active rollout {holder}; finish or abort it first; nothing was started")


def duplicate(rollout_id: str) -> ConflictError:
    return ConflictError(f"a rollout with id {rollout_id} already exists; start again for a new id")


def changed(rollout_id: str, last: Event | None) -> ConflictError:
    by = f" (by {last.actor} at {last.at}: {last.kind})" if last else ""
    return ConflictError(
        f"rollout {rollout_id} changed since it was read{by}; nothing was done; see `optctl rollout status {rollout_id}`"
    )


def no_rollout(rollout_id: str, where: str) -> NotFoundError:
    return NotFoundError(f"no rollout {rollout_id!r} in {where}; `optctl rollout list` shows them")
