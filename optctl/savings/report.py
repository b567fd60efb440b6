"""The report's arithmetic: usage records and enable times in, per service and environment a
"before" and an "after" window out, each with its calls, tokens, cache read ratio, cost as billed
and without caching, and the flags a person should look at first.

Pure: no I/O, no clock (``now`` is passed in). A record lies wholly before or wholly after the
enable time, or it covers it: a usage-report time bucket that starts before and ends after the
enable mixes both and is left out of both windows (counted, so the report can say how much).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from optctl.caching.analysis import FixtureReport
from optctl.providers.rules import Rules
from optctl.savings.cost import Costs, Pricer
from optctl.savings.enablement import Enablement
from optctl.savings.usage import Usage, UsageRecord

SCHEMA_VERSION = 1


@dataclass
class Window:
    """One side of the comparison."""

    start: datetime
    end: datetime
    usage: Usage = field(default_factory=Usage)
    billed: float = 0.0
    without_caching: float = 0.0
    input_without_caching: float = 0.0  # the part caching can change: output costs the same either way
    unpriced_tokens: int = 0  # usage of models the rules table does not price: not in the costs
    daily: dict[date, float] = field(default_factory=dict)  # billed cost per UTC day

    def add(self, record: UsageRecord, costs: Costs | None) -> None:
        self.usage = self.usage + record.usage
        if costs is None:
            self.unpriced_tokens += record.usage.input_tokens + record.usage.output
            return
        self.billed += costs.billed
        self.without_caching += costs.without_caching
        self.input_without_caching += costs.input_without_caching
        day = record.start.date()
        self.daily[day] = self.daily.get(day, 0.0) + costs.billed

    @property
    def cache_read_ratio(self) -> float | None:
        """Share of prompt tokens read from the cache; None without any prompt tokens."""
        return self.usage.cache_read / self.usage.input_tokens if self.usage.input_tokens else None

    @property
    def saving(self) -> float:
        return self.without_caching - self.billed

    @property
    def saving_pct(self) -> float | None:
        return 100 * self.saving / self.without_caching if self.without_caching else None

    @property
    def input_saving_pct(self) -> float | None:
        """The saving as a share of input cost: what `optctl dry-run` predicts."""
        return 100 * self.saving / self.input_without_caching if self.input_without_caching else None

    @property
    def cost_change(self) -> float | None:
        """Billed against what the same traffic would have cost without caching: -0.4 is 40% cheaper."""
        return self.billed / self.without_caching - 1 if self.without_caching else None

    def to_json(self) -> dict[str, Any]:
        u = self.usage
        return {
            "start": _iso(self.start),
            "end": _iso(self.end),
            "calls": u.calls,
            "input_tokens": u.input_tokens,
            "uncached_input_tokens": u.uncached_input,
            "output_tokens": u.output,
            "cache_read_input_tokens": u.cache_read,
            "cache_read_ratio": _round(self.cache_read_ratio),
            "cache_write_tokens": {"5m": u.cache_write_5m, "1h": u.cache_write_1h},
            "cost_billed": round(self.billed, 6),
            "cost_without_caching": round(self.without_caching, 6),
            "saving": round(self.saving, 6),
            "saving_pct": _round(self.saving_pct, 2),
            "input_saving_pct": _round(self.input_saving_pct, 2),
            "cost_change": _round(self.cost_change),
            "unpriced_tokens": self.unpriced_tokens,
            "daily_cost": {day.isoformat(): round(cost, 6) for day, cost in sorted(self.daily.items())},
        }


@dataclass(frozen=True)
class Flag:
    code: str  # caching-costs-more | no-cache-reads | not-enabled | no-usage-after | enable-bucket-left-out | unpriced-model
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class ServiceSavings:
    service: str
    environment: str
    enablement: Enablement | None
    enable_source: str  # "history" | "given" | "none"
    before: Window
    after: Window | None  # None when caching was never enabled
    left_out: Usage = field(default_factory=lambda: Usage(calls=None))  # in buckets covering the enable time
    prediction: dict[str, Any] | None = None  # the dry-run's, for the service's fixtures
    flags: list[Flag] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        e = self.enablement
        return {
            "service": self.service,
            "environment": self.environment,
            "enabled_at": _iso(e.enabled_at) if e else None,
            "disabled_at": _iso(e.disabled_at) if e and e.disabled_at else None,
            "enabled_by": e.by if e else None,
            "rollout": e.rollout if e else None,
            "enable_time_from": self.enable_source,
            "before": self.before.to_json(),
            "after": self.after.to_json() if self.after else None,
            "left_out_input_tokens": self.left_out.input_tokens,
            "predicted": self.prediction,
            "flags": [f.to_json() for f in self.flags],
        }


def build(
    records: Iterable[UsageRecord],
    enablements: Mapping[tuple[str, str], tuple[Enablement | None, str]],
    rules: Rules,
    window: timedelta,
    now: datetime,
) -> list[ServiceSavings]:
    """One entry per (service, environment) in ``enablements``; records of others are ignored."""
    entries = {owner: _entry(owner, found, source, window, now) for owner, (found, source) in enablements.items()}
    pricer = Pricer(rules)
    for record in records:
        entry = entries.get((record.service, record.environment))
        if entry is not None:
            _place(entry, record, pricer)
    for entry in entries.values():
        entry.flags = flags(entry)
    return sorted(entries.values(), key=lambda e: (e.environment, e.service))


def _entry(owner: tuple[str, str], found: Enablement | None, source: str, window: timedelta, now: datetime) -> ServiceSavings:
    if found is None:
        return ServiceSavings(owner[0], owner[1], None, "none", Window(now - window, now), None)
    end = min(found.enabled_at + window, found.disabled_at or now, now)
    return ServiceSavings(
        owner[0],
        owner[1],
        found,
        source,
        Window(found.enabled_at - window, found.enabled_at),
        Window(found.enabled_at, max(end, found.enabled_at)),
    )


def _place(entry: ServiceSavings, record: UsageRecord, pricer: Pricer) -> None:
    if entry.after is None:
        side = entry.before
    elif not record.is_point and record.start < entry.after.start < record.end:
        entry.left_out = entry.left_out + record.usage  # a bucket that covers the enable time
        return
    else:
        ends = record.start if record.is_point else record.end
        side = entry.before if (ends < entry.after.start if record.is_point else ends <= entry.after.start) else entry.after
    if _overlaps(record, side):
        side.add(record, pricer.costs(record))


def _overlaps(record: UsageRecord, window: Window) -> bool:
    if record.is_point:
        return window.start <= record.start < window.end
    return record.start < window.end and record.end > window.start


def predicted(reports: Sequence[FixtureReport], calls: int) -> dict[str, Any]:
    """What dry-run's reports for a service's fixtures predict, in the report's terms (input side only):
    the steady-state cache read ratio and the input saving over ``calls`` calls within the TTL."""
    priced = [r for r in reports if r.cost is not None]
    total = sum(r.total_tokens for r in priced)
    cached = sum(r.cached_tokens for r in priced)
    uncached = sum(r.cost.uncached * r.cost.calls for r in priced if r.cost)
    saved = sum(r.cost.saving_over_calls for r in priced if r.cost)
    return {
        "calls_within_ttl": calls,
        "cache_read_ratio": _round(cached * (calls - 1) / (total * calls)) if total else None,
        "input_saving_pct": _round(100 * saved / uncached, 2) if uncached else None,
        "findings": sorted({f.code for r in reports for f in r.findings}),
    }


def flags(entry: ServiceSavings) -> list[Flag]:
    found: list[Flag] = []
    after = entry.after
    if after is None:
        found.append(Flag("not-enabled", "caching was never enabled here (per optctl's history): nothing to compare"))
    elif not after.usage.input_tokens:
        found.append(Flag("no-usage-after", "no usage recorded since caching was enabled"))
    else:
        if after.usage.cache_read == 0:
            found.append(
                Flag(
                    "no-cache-reads",
                    "caching is enabled but no cache read ever happened: markers are not reaching "
                    "the API (a string system prompt loses its marker); see `optctl dry-run`",
                )
            )
        if after.usage.cache_writes and after.saving < 0:
            found.append(
                Flag(
                    "caching-costs-more",
                    f"cache writes cost more than the reads saved: {-after.saving:.2f} USD more "
                    "than without caching (writes without reads)",
                )
            )
    if entry.left_out.input_tokens:
        found.append(
            Flag(
                "enable-bucket-left-out",
                f"{entry.left_out.input_tokens} input tokens in usage-report buckets that cover "
                "the enable time are in neither window; use a narrower --bucket-width",
            )
        )
    if entry.before.unpriced_tokens or (after and after.unpriced_tokens):
        found.append(
            Flag(
                "unpriced-model",
                "some usage is of a model the rules table does not price; it is not in the costs "
                "(see `optctl models`, or pass --models-file)",
            )
        )
    return found


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
