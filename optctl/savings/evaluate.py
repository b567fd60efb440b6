"""The savings gate at the edge: read usage since the stage was applied, then let ``gate.judge`` decide.

The rollout evaluator calls ``savings_gate(gate, context)``. It never raises for bad or missing
data: a usage source that cannot be read (no admin key, a refused key, a malformed log line) makes
the gate inconclusive with the reason, so the rollout waits and retries instead of crashing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from optctl.errors import OptctlError
from optctl.savings.enablement import Enablement
from optctl.savings.gate import Verdict, combine, judge
from optctl.savings.admin_http import DEFAULT_BASE_URL
from optctl.savings.sources import Source, UsageEdges, measure

ADMIN_URL_VARIABLE = "OPTCTL_ANTHROPIC_ADMIN_URL"


class Context(Protocol):
    """What the rollout tells the gate (``optctl.rollout.gates.GateContext`` has these); read-only,
    so a frozen dataclass fits."""

    @property
    def environment(self) -> str: ...
    @property
    def services(self) -> tuple[str, ...]: ...
    @property
    def rollout_id(self) -> str: ...
    @property
    def applied_at(self) -> str | None: ...
    @property
    def now(self) -> str | None: ...


def savings_gate(
    gate: dict[str, Any], context: Context, window: timedelta, edges: UsageEdges | None = None, project_file: Path | None = None
) -> Verdict:
    """``window``: the gate's ``window`` as the plan parsed it (durations are the plan's to read)."""
    edges = edges or UsageEdges()
    try:
        return _evaluate(gate, context, window, edges, project_file)
    except OptctlError as err:
        return "inconclusive", f"usage could not be read: {err}"


def _evaluate(gate: dict[str, Any], context: Context, window: timedelta, edges: UsageEdges, project_file: Path | None) -> Verdict:
    from optctl.providers import rules as table
    from optctl.savings import report
    from optctl.savings.attribution import load_attribution
    from optctl.savings.usage import parse_time
    from optctl.settings.project import load_project

    if not context.applied_at:
        return "inconclusive", "the stage has no applied time yet"
    applied = parse_time(context.applied_at, "the stage's applied time")
    now = parse_time(context.now, "the evaluation time") if context.now else datetime.now(timezone.utc)
    project = load_project(project_file, edges.environ)
    source = Source(
        Path(gate["usage_log"]) if gate.get("usage_log") else None,
        edges.environ.get(ADMIN_URL_VARIABLE) or DEFAULT_BASE_URL,
        gate.get("bucket_width", "1h"),
        gate.get("usage_source"),
    )
    end = max(min(now, applied + window), applied + timedelta(minutes=1))  # the report API wants a non-empty range
    measured = measure(source, load_attribution(project.source, project.names), applied, end, edges)
    since = Enablement(applied, None, "rollout", context.rollout_id)
    owners = {(service, context.environment): (since, "rollout") for service in context.services}
    entries = report.build(measured.records, owners, table.load(edges.environ.get("OPTCTL_MODELS_FILE")), window, now)
    return combine([judge(entry.service, entry.after, gate) for entry in entries if entry.after is not None])
