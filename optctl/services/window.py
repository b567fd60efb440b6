"""``--since`` / ``--until``: a duration back from now (``7d``) or a point in time, as a history timestamp.

History entries carry their time as UTC ISO text with microseconds (``2026-11-30T12:00:00.000000Z``);
the stores compare those as text, so every bound is turned into exactly that shape here. A
time without an offset is taken as UTC, the zone the history table shows.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from optctl.errors import UsageError

_DURATION = re.compile(r"(\d+)\s*(s|m|h|d|w)", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def at_text(moment: datetime) -> str:
    """The history's own timestamp text for a moment."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bound(option: str, text: str | None, now: datetime) -> str | None:
    """``7d``, ``12h``, ``30m``, ``90s``, ``2w`` back from ``now``, or an ISO date or date-time."""
    if text is None:
        return None
    spoken = text.strip()
    duration = _DURATION.fullmatch(spoken)
    if duration:
        return at_text(now - timedelta(**{_UNITS[duration.group(2).lower()]: int(duration.group(1))}))
    try:
        moment = datetime.fromisoformat(spoken)
    except ValueError:
        raise UsageError(f"{option} {text!r}: not a duration (7d, 12h, 30m) or a time (2026-11-30, 2026-11-30T12:00Z)") from None
    return at_text(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
