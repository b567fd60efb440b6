"""Generated usage logs: per-response ``usage`` lines as services log them, for a known traffic shape.

Behaviours (what caching did after the enable time):
- ``works``: the first call of each hour writes the prefix (5m TTL), every other call reads it;
- ``never-hits``: caching is on but nothing is cached (a string system prompt lost its marker);
- ``writes-only``: every call writes a new 1h prefix and nothing is ever read back.
Before the enable time every call is plain input. ``examples/usage/demo.log`` is ``write_example``'s
output (JSON Lines; named ``.log`` so that ``optctl validate examples/`` leaves it alone).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

EXAMPLE_ENABLED_AT = datetime(2026, 11, 20, tzinfo=timezone.utc)
EXAMPLE_SERVICES = (("query", "works"), ("indexing", "never-hits"), ("agent", "writes-only"))
MODEL = "claude-sonnet-4-5-20250929"
PREFIX, TAIL, OUTPUT = 6000, 800, 400


def usage(behaviour: str, enabled: bool, first_of_hour: bool) -> dict[str, int | dict[str, int]]:
    written = read = 0
    ttl = "ephemeral_5m_input_tokens"
    if enabled and behaviour == "works":
        written, read = (PREFIX, 0) if first_of_hour else (0, PREFIX)
    elif enabled and behaviour == "writes-only":
        written, ttl = PREFIX, "ephemeral_1h_input_tokens"
    uncached = TAIL + (PREFIX - written - read)
    return {
        "input_tokens": uncached,
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": written if ttl.endswith("5m_input_tokens") else 0,
            "ephemeral_1h_input_tokens": written if ttl.endswith("1h_input_tokens") else 0,
        },
        "output_tokens": OUTPUT,
    }


def lines(
    service: str,
    behaviour: str,
    environment: str,
    enabled_at: datetime,
    days: int = 7,
    calls_per_hour: int = 5,
    hours: tuple[int, ...] = (10, 15),
) -> Iterator[dict]:
    """``days`` before and after ``enabled_at``, ``calls_per_hour`` calls in each of ``hours`` (UTC)."""
    start = enabled_at - timedelta(days=days)
    for day in range(2 * days):
        for hour in hours:
            for call in range(calls_per_hour):
                at = start + timedelta(days=day, hours=hour, minutes=call)
                yield {
                    "time": at.isoformat().replace("+00:00", "Z"),
                    "service": service,
                    "environment": environment,
                    "model": MODEL,
                    "usage": usage(behaviour, at >= enabled_at, call == 0),
                }


def write(path: Path, services: tuple[tuple[str, str], ...], environment: str, enabled_at: datetime, **shape) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for service, behaviour in services:
            for line in lines(service, behaviour, environment, enabled_at, **shape):
                out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path


def write_example(path: Path) -> Path:
    return write(path, EXAMPLE_SERVICES, "production", EXAMPLE_ENABLED_AT)


def burst(path: Path, services: tuple[tuple[str, str], ...], environment: str, at: datetime, calls: int) -> Path:
    """``calls`` calls a minute apart from ``at`` for each service, caching on (the first call writes)."""
    with path.open("w", encoding="utf-8") as out:
        for service, behaviour in services:
            for call in range(calls):
                moment = at + timedelta(minutes=call)
                line = {
                    "time": moment.isoformat().replace("+00:00", "Z"),
                    "service": service,
                    "environment": environment,
                    "model": MODEL,
                    "usage": usage(behaviour, True, call == 0),
                }
                out.write(json.dumps(line) + "\n")
    return path


def hourly(
    path: Path, services: tuple[str, ...], environments: tuple[str, ...], start: datetime, hours: int, behaviour: str = "works"
) -> Path:
    """One call an hour for every service in every environment, caching on; the first call of each day writes."""
    with path.open("w", encoding="utf-8") as out:
        for hour in range(hours):
            moment = start + timedelta(hours=hour)
            for environment in environments:
                for service in services:
                    line = {
                        "time": moment.isoformat().replace("+00:00", "Z"),
                        "service": service,
                        "environment": environment,
                        "model": MODEL,
                        "usage": usage(behaviour, True, hour % 24 == 0),
                    }
                    out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path
