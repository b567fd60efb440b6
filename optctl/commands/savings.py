"""``optctl savings``: what caching really did, per service and environment, before and after its enable time.

Reads the enable times from each environment's history (or takes them as given), measured usage
from a usage log or the Admin API usage report, prices it with the rules table, and puts the
dry-run's prediction for the service's fixtures beside the measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping

from optctl.commands.edges import Edges
from optctl.errors import NotFoundError
from optctl.savings.attribution import Attribution, Unattributed, load_attribution
from optctl.savings.enablement import Enablement, enablement
from optctl.savings.report import SCHEMA_VERSION, ServiceSavings, build, predicted
from optctl.savings.sources import Source, UsageEdges, measure
from optctl.savings.usage import Usage, UsageRecord
from optctl.settings.context import RunContext
from optctl.settings.project import EnvironmentConfig

PREDICTION_CALLS = 10  # calls within the TTL the dry-run prices, as `optctl dry-run` does by default
PROBLEM_FLAGS = ("caching-costs-more", "no-cache-reads")


@dataclass(frozen=True)
class SavingsRequest:
    source: Source
    window: timedelta
    services: tuple[str, ...] = ()  # none: every service of each environment
    environments: tuple[str, ...] = ()  # none: every environment
    enabled_at: dict[str, datetime] = field(default_factory=dict)  # service -> enable time given, overriding history
    predict: bool = True
    models_file: Path | None = None
    config: Path | None = None


@dataclass(frozen=True)
class SavingsResult:
    context: RunContext
    entries: list[ServiceSavings]
    unattributed: list[Unattributed]
    source: str
    window: timedelta
    generated_at: datetime

    @property
    def exit_code(self) -> int:
        """1 when a service's caching costs more than it saves or never reads from the cache."""
        return 1 if any(f.code in PROBLEM_FLAGS for e in self.entries for f in e.flags) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "window_seconds": int(self.window.total_seconds()),
            "generated_at": self.generated_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "services": [e.to_json() for e in self.entries],
            "unattributed": [u.to_json() for u in self.unattributed],
        }


def savings(
    request: SavingsRequest, edges: Edges = Edges(), usage: UsageEdges | None = None, now: datetime | None = None
) -> SavingsResult:
    """``usage``: what reading the usage report touches (the admin key's environment, the sleeper, the HTTP opener)."""
    from optctl.providers import rules as table

    usage = usage or UsageEdges()
    now = now or datetime.now(timezone.utc)
    project = edges.load_project(request.config)
    attribution = load_attribution(project.source, project.names)
    environments = project.select(list(request.environments))
    owners = _enablements(environments, request, edges)
    start = min([now - request.window, *(found.enabled_at - request.window for found, _ in owners.values() if found)])
    measured = measure(request.source, attribution, start, now, usage)
    rules = table.load(request.models_file)
    entries = [
        e
        for e in build(measured.records, owners, rules, request.window, now)
        if e.enablement or e.before.usage.input_tokens or e.service in request.services
    ]
    if request.predict:
        for entry in entries:
            entry.prediction = _prediction(entry, attribution, request, rules)
    aside = measured.unattributed + _strangers(measured.records, owners, {env.name for env in environments}, request.services)
    return SavingsResult(RunContext.of(project, environments), entries, aside, measured.source, request.window, now)


def _strangers(
    records: list[UsageRecord], owners: Mapping[tuple[str, str], Any], environments: set[str], services: tuple[str, ...]
) -> list[Unattributed]:
    """Usage tagged with a service the environment does not have (a typo in the log's tags, say)."""
    found: dict[tuple[str, str], Usage] = {}
    for record in records:
        owner = (record.service, record.environment)
        if owner not in owners and record.environment in environments and (not services or record.service in services):
            found[owner] = found.get(owner, Usage(calls=0)) + record.usage
    return [Unattributed(f"no service {service!r} in {env}", usage) for (service, env), usage in sorted(found.items())]


def _enablements(
    environments: list[EnvironmentConfig], request: SavingsRequest, edges: Edges
) -> dict[tuple[str, str], tuple[Enablement | None, str]]:
    owners: dict[tuple[str, str], tuple[Enablement | None, str]] = {}
    for env in environments:
        with edges.opened(env) as store:
            present = store.list_services()
            for service in request.services or present:
                if service not in present:
                    continue
                given = request.enabled_at.get(service)
                if given is not None:
                    owners[(service, env.name)] = (Enablement(given, None, "given", None), "given")
                else:
                    found = enablement(store.history(service))
                    owners[(service, env.name)] = (found, "history" if found else "none")
    missing = [s for s in request.services if not any(owner[0] == s for owner in owners)]
    if missing:
        raise NotFoundError(
            f"no service {missing[0]!r} in {' or '.join(request.environments) or 'any environment'}; `optctl status` lists them"
        )
    return owners


def _prediction(entry: ServiceSavings, attribution: Attribution, request: SavingsRequest, rules) -> dict[str, Any] | None:
    """The dry-run of the service's fixtures (as it would behave enabled), input side only."""
    paths = [str(p) for p in attribution.fixtures.get(entry.service, [])]
    if not paths:
        return None
    from optctl.commands import dryrun as dry

    settings = dry.choose_settings(None, request.config, entry.environment, entry.service)
    counter = dry.make_counter("offline")
    reports = dry.run(paths, settings=settings, rules=rules, counter=counter, strategies=["wrapper"], calls=PREDICTION_CALLS)
    return {"fixtures": paths, **predicted(list(reports), PREDICTION_CALLS)}


def parse_window(text: str) -> timedelta:
    """``--window 7d`` -> 7 days, with the rollout plan's duration syntax."""
    from optctl.errors import UsageError
    from optctl.rollout.plan import duration_seconds

    try:
        seconds = duration_seconds(text)
    except ValueError as err:
        raise UsageError(f"--window: {err}") from None
    if not seconds:
        raise UsageError("--window must be longer than 0, e.g. 48h or 7d")
    return timedelta(seconds=seconds)


def parse_enabled_at(values: list[str]) -> dict[str, datetime]:
    """``--enabled-at indexing=2026-11-20T00:00:00Z`` (repeatable) -> {service: time}."""
    from optctl.errors import UsageError
    from optctl.savings.usage import parse_time

    given = {}
    for value in values:
        service, sep, when = value.partition("=")
        if not sep or not service:
            raise UsageError(f"--enabled-at {value!r}: write SERVICE=TIME, e.g. indexing=2026-11-20T00:00:00Z")
        given[service] = parse_time(when, f"--enabled-at {service}")
    return given
