"""When caching was switched on (and off again) for a service, read from optctl's own history.

The enable time is the newest history entry that turned ``cache.enabled`` from not-true to
true; a later entry turning it off again (a rollback, a disable) ends the "after" window there.
Changes made outside optctl leave no entry and cannot be seen: the report says "never enabled".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from optctl.savings.usage import parse_time
from optctl.stores.base import HistoryEntry


@dataclass(frozen=True)
class Enablement:
    enabled_at: datetime
    disabled_at: datetime | None  # caching switched off again after enabled_at
    by: str
    rollout: str | None


def _enabled(optimization: dict[str, Any] | None) -> bool:
    cache = (optimization or {}).get("cache")
    return isinstance(cache, dict) and cache.get("enabled") is True


def enablement(entries: Sequence[HistoryEntry]) -> Enablement | None:
    """From one service's entries in one environment, oldest first (as ``Store.history`` gives them)."""
    found: Enablement | None = None
    for entry in entries:
        was, now = _enabled(entry.before), _enabled(entry.after)
        at = parse_time(entry.at, f"history revision {entry.revision}")
        if now and not was:
            found = Enablement(at, None, entry.actor, entry.rollout)
        elif was and not now and found is not None and found.disabled_at is None:
            found = Enablement(found.enabled_at, at, found.by, found.rollout)
    return found
