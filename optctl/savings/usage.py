"""Measured usage as plain values, and the JSON Lines log of per-response ``usage`` objects.

A log line is one response's usage, tagged by the service that made the call::

    {"time": "2026-11-20T10:00:00Z", "service": "indexing", "environment": "production",
     "model": "claude-sonnet-4-5-20250929",
     "usage": {"input_tokens": 310, "cache_read_input_tokens": 5120, "cache_creation_input_tokens": 0,
               "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
               "output_tokens": 420}}

The Messages API's ``usage.input_tokens`` counts only the tokens after the last cache breakpoint;
reads and writes are reported beside it, so the prompt's size is their sum. An OpenAI-shaped usage
(``prompt_tokens`` with ``prompt_tokens_details.cached_tokens``) counts cached tokens inside
``prompt_tokens`` and has no cache writes (its caching is automatic): it is split accordingly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from optctl.errors import UsageError


@dataclass(frozen=True)
class Usage:
    """Token counts (and calls, when the source counts them: ``None`` when it does not)."""

    uncached_input: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    output: int = 0
    calls: int | None = 0

    @property
    def input_tokens(self) -> int:
        """Every prompt token, however it was billed."""
        return self.uncached_input + self.cache_read + self.cache_write_5m + self.cache_write_1h

    @property
    def cache_writes(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    def __add__(self, other: Usage) -> Usage:
        calls = None if self.calls is None or other.calls is None else self.calls + other.calls
        return Usage(
            self.uncached_input + other.uncached_input,
            self.cache_read + other.cache_read,
            self.cache_write_5m + other.cache_write_5m,
            self.cache_write_1h + other.cache_write_1h,
            self.output + other.output,
            calls,
        )


@dataclass(frozen=True)
class UsageRecord:
    """Usage of one service in one environment over [start, end); a single response has start == end."""

    service: str
    environment: str
    model: str | None
    start: datetime
    end: datetime
    usage: Usage
    provider: str = "anthropic"

    @property
    def is_point(self) -> bool:
        return self.end <= self.start


def parse_time(text: Any, where: str) -> datetime:
    """An RFC 3339 time; one without a zone is refused rather than guessed."""
    if not isinstance(text, str):
        raise UsageError(f"{where}: time must be an RFC 3339 string like 2026-11-20T10:00:00Z")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{where}: {text!r} is not an RFC 3339 time like 2026-11-20T10:00:00Z") from None
    if value.tzinfo is None:
        raise UsageError(f"{where}: {text!r} has no time zone; write it in UTC with a Z")
    return value.astimezone(timezone.utc)


def count(data: dict[str, Any], name: str, where: str, required: bool = True) -> int:
    """A token count: a whole number >= 0 (absent means 0 unless required)."""
    value = data.get(name)
    if value is None and not required:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UsageError(f"{where}: {name} must be a whole number of tokens (got {json.dumps(value)})")
    return value


def anthropic_usage(usage: dict[str, Any], where: str) -> Usage:
    """The Messages API's ``usage``; without the per-TTL breakdown, writes count as 5-minute ones."""
    written = count(usage, "cache_creation_input_tokens", where, required=False)
    breakdown = usage.get("cache_creation")
    if isinstance(breakdown, dict):
        w5 = count(breakdown, "ephemeral_5m_input_tokens", where + " cache_creation", required=False)
        w1h = count(breakdown, "ephemeral_1h_input_tokens", where + " cache_creation", required=False)
    else:
        w5, w1h = written, 0
    return Usage(
        uncached_input=count(usage, "input_tokens", where),
        cache_read=count(usage, "cache_read_input_tokens", where, required=False),
        cache_write_5m=w5,
        cache_write_1h=w1h,
        output=count(usage, "output_tokens", where, required=False),
        calls=1,
    )


def openai_usage(usage: dict[str, Any], where: str) -> Usage:
    prompt = count(usage, "prompt_tokens", where)
    details = usage.get("prompt_tokens_details")
    cached = count(details, "cached_tokens", where + " prompt_tokens_details", required=False) if isinstance(details, dict) else 0
    if cached > prompt:
        raise UsageError(f"{where}: prompt_tokens_details.cached_tokens ({cached}) exceeds prompt_tokens ({prompt})")
    return Usage(
        uncached_input=prompt - cached,
        cache_read=cached,
        output=count(usage, "completion_tokens", where, required=False),
        calls=1,
    )


def parse_log_line(data: Any, where: str) -> UsageRecord:
    if not isinstance(data, dict):
        raise UsageError(f"{where}: each line must be a JSON object with time, service, environment, model and usage")
    for name in ("service", "environment"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise UsageError(
                f"{where}: {name} is missing; tag every usage line with the service and environment that made the call"
            )
    usage = data.get("usage")
    if not isinstance(usage, dict):
        raise UsageError(f"{where}: usage is missing; log the response's usage object as it came")
    at = parse_time(data.get("time"), where)
    model = data.get("model") if isinstance(data.get("model"), str) else None
    if "prompt_tokens" in usage:
        return UsageRecord(data["service"], data["environment"], model, at, at, openai_usage(usage, where), "openai")
    return UsageRecord(data["service"], data["environment"], model, at, at, anthropic_usage(usage, where))


def read_usage_log(path: Path) -> Iterator[UsageRecord]:
    """Records line by line (blank lines skipped); the first bad line stops the read, named by file and line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: cannot read the usage log ({err.strerror or err})") from None
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    data = json.loads(line)
                except (ValueError, RecursionError) as err:  # RecursionError: nested past what json reads
                    raise UsageError(
                        f"{where}: not JSON ({str(err)[:100]}); the usage log holds one JSON object per line"
                    ) from None
                yield parse_log_line(data, where)
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not UTF-8 text; the usage log is JSON Lines") from None
