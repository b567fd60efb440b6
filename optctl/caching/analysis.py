"""A dry-run of one batch of fixtures: counts, placement, the provider's verdict and the cost.

Pure: requests, config, rules and a counter in; reports out. The CLI streams fixtures through
here in batches (so a thousand fixtures are never all in memory and the tokenizer sees one
big batch at a time) and renders what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from optctl.caching import placement as place
from optctl.caching.emit import emit_request
from optctl.caching.placement import CacheSettings
from optctl.caching.pricing import Cost, cost
from optctl.caching.request import Request, location_label
from optctl.providers import prices
from optctl.providers.rules import Model, Rules
from optctl.caching.tokens.counters import BlockTokens, Counter
from optctl.contract.findings import Finding, error, warning

MARKER_LABELS = {
    "new": "new",
    "caller": "caller's",
    "automatic": "automatic",
    "dropped": "dropped",
    "rejected": "rejected",
    None: "none",
}


@dataclass(frozen=True)
class BlockRow:
    location: str
    role: str
    type: str
    tokens: int
    prefix_tokens: int
    marker: str  # new | caller's | dropped | none
    ttl: str | None
    estimate: bool
    how: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "role": self.role,
            "type": self.type,
            "tokens": self.tokens,
            "prefix_tokens": self.prefix_tokens,
            "marker": self.marker,
            "ttl": self.ttl,
            "estimate": self.estimate,
            "counted_by": self.how,
            "reason": self.reason,
        }


@dataclass
class FixtureReport:
    path: str
    model: str | None
    strategy: str
    tokenizer: str
    total_tokens: int = 0
    cached_tokens: int = 0
    breakpoints: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    blocks: list[BlockRow] = field(default_factory=list)
    cost: Cost | None = None
    total_is_exact: bool = False  # counted by the provider; otherwise every figure is an estimate
    wrapper_claimed_tokens: int | None = None
    emitted: Any = None  # the request with markers, when asked for
    client: str = "sdk"
    read_tokens: int = 0  # what a later call reads back (breakpoints in a changing final message are rewritten)
    rejected: bool = False  # the client or the API refuses the request as sent

    @property
    def after_last_breakpoint(self) -> int:
        return self.total_tokens - self.cached_tokens

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "model": self.model,
            "strategy": self.strategy,
            "client": self.client,
            "tokenizer": self.tokenizer,
            "total_tokens": self.total_tokens,
            "total_is_exact": self.total_is_exact,
            "cached_tokens": self.cached_tokens,
            "read_tokens": self.read_tokens,
            "rejected": self.rejected,
            "tokens_after_last_breakpoint": self.after_last_breakpoint,
            "breakpoints": self.breakpoints,
            "findings": [finding_json(f) for f in self.findings],
            "blocks": [b.to_json() for b in self.blocks],
            "cost": self.cost.to_json() if self.cost else None,
            "wrapper_claimed_tokens": self.wrapper_claimed_tokens,
        }


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "location": location_label(finding.pointer),
        "message": finding.message,
    }


def analyse(
    fixtures: Sequence[tuple[str, Request]],
    *,
    cache: CacheSettings,
    provider: str | None,
    rules: Rules,
    counter: Counter,
    strategies: Sequence[str],
    calls: int,
    emit: bool = False,
) -> list[FixtureReport]:
    """One report per fixture and strategy, in input order.

    A document that is not a prompt at all (``request.readable`` false) is never counted (with
    ``--tokenizer anthropic`` that would be a request to the API) nor placed: its report is its
    findings. A batch names a handful of models, so each one's findings are worked out once.
    """
    counts = iter(counter.count([request for _, request in fixtures if request.readable], rules))
    checks = _ModelChecks(rules)
    reports = []
    for path, request in fixtures:
        row = next(counts) if request.readable else []
        for strategy in strategies:
            report = _analyse_one(path, request, row, cache, provider, rules, checks, counter.name, strategy, calls, emit)
            report.total_is_exact = counter.exact_total
            reports.append(report)
    return reports


class _ModelChecks:
    """A model id's table entry and what is wrong with it (none, unknown, retired), once per id."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.seen: dict[str | None, tuple[Model | None, tuple[Finding, ...]]] = {}

    def __call__(self, name: str | None) -> tuple[Model | None, tuple[Finding, ...]]:
        if name not in self.seen:
            self.seen[name] = self._check(name)
        return self.seen[name]

    def _check(self, name: str | None) -> tuple[Model | None, tuple[Finding, ...]]:
        if name is None:
            return None, (error("no-model", "", 'the fixture names no model; add "model" to it or pass --model'),)
        model = self.rules.model(name)
        if model is None:
            return None, (
                error(
                    "unknown-model",
                    "/model",
                    f"model {name!r} is not in the models table; see `optctl models` or pass --models-file",
                ),
            )
        if model.retired:
            return model, (
                warning("model-retired", "/model", f"{model.family} is retired: {model.status_note or 'see `optctl models`'}"),
            )
        return model, ()


def _analyse_one(
    path: str,
    request: Request,
    counted: list[BlockTokens],
    cache: CacheSettings,
    provider_name: str | None,
    rules: Rules,
    checks: _ModelChecks,
    tokenizer: str,
    strategy: str,
    calls: int,
    emit: bool,
) -> FixtureReport:
    model, found = checks(request.model)
    report = FixtureReport(path, request.model, strategy, tokenizer, findings=[*request.findings, *found], client=request.client)
    if not request.readable:  # not a prompt: no blocks, nothing to count or place
        return report
    tokens = [c.tokens for c in counted]
    report.total_tokens = sum(tokens)
    if model is None:
        report.blocks = _rows(request, counted, place.Placement(strategy), [])
        return report
    if model.context_window and report.total_tokens > model.context_window:
        report.findings.append(
            error(
                "prompt-too-long",
                "",
                f"{report.total_tokens} tokens (estimated) is over {model.family}'s {model.context_window}-token context window: the API rejects it",
            )
        )
    placement = _place(strategy, request, tokens, cache, provider_name or model.provider, model, rules)
    outcome = place.evaluate(request, tokens, placement, model, rules)
    report.findings += placement.findings + outcome.findings
    if strategy == "wrapper" and placement.active:
        report.findings += _wrapper_findings(request, tokens, placement, outcome, model)
    report.wrapper_claimed_tokens = placement.wrapper_claimed_tokens
    report.cached_tokens = outcome.cached_tokens
    report.read_tokens = outcome.read_tokens
    report.rejected = outcome.rejected
    report.breakpoints = [
        {
            "location": request.blocks[b.block].location,
            "prefix_tokens": b.prefix_tokens,
            "ttl": b.ttl,
            "origin": b.origin,
            "effective": b.effective,
            "written_every_call": b.every_call,
        }
        for b in outcome.breakpoints
    ]
    report.blocks = _rows(request, counted, placement, outcome.breakpoints)
    priced = prices.of_model(rules, model, report.total_tokens)
    if priced is None:
        report.findings.append(
            warning("price-unknown", "/model", f"no input or cache price for {model.family} in the models table: cost not shown")
        )
    else:
        report.cost = cost(report.total_tokens, outcome.written, priced, calls)
    if emit:
        report.emitted = emit_request(request, placement, rules.default_ttl(model.provider))
    return report


def _place(
    strategy: str, request: Request, tokens: list[int], cache: CacheSettings, provider: str, model: Model, rules: Rules
) -> place.Placement:
    if strategy == "wrapper":
        supported = bool(rules.provider(provider).get("supports_markers"))
        return place.place_wrapper(request, cache, supported, provider, rules.default_ttl(model.provider))
    if strategy == "auto":
        return place.place_auto(request, cache, model, rules)
    return place.place_optimal(request, tokens, cache, model, rules)


def _wrapper_findings(
    request: Request, tokens: list[int], placement: place.Placement, outcome: place.Outcome, model: Model
) -> list[Finding]:
    """Where the wrapper's own view differs from the bill: its statistics, and what it never looks at."""
    findings = []
    claimed = placement.wrapper_claimed_tokens
    if claimed is not None and claimed != outcome.cached_tokens:
        findings.append(
            warning(
                "wrapper-stats-differ",
                "",
                f"the wrapper's statistics will report {claimed} tokens cached (chars/4 of the marked block); "
                f"the provider caches {outcome.cached_tokens} (the whole prefix, and only if it reaches the model's minimum)",
            )
        )
    top = sum(t for b, t in zip(request.blocks, tokens) if b.pointer.startswith(("/tools", "/system")))
    if top >= model.min_cacheable_tokens and outcome.cached_tokens < top:
        findings.append(
            warning(
                "wrapper-ignores-tools-system",
                "",
                f"the wrapper never looks at tools or the top-level system: {top} tokens here, enough to cache for {model.family}",
            )
        )
    return findings


def _rows(
    request: Request, counted: list[BlockTokens], placement: place.Placement, breakpoints: list[place.Breakpoint]
) -> list[BlockRow]:
    markers: dict[int, tuple[str | None, str | None]] = {
        i: (request.caller_fates[b.pointer], None)
        for i, b in enumerate(request.blocks)
        if request.caller_fates.get(b.pointer) in ("dropped", "rejected")
    }
    markers.update({b.block: (b.origin, b.ttl) for b in breakpoints})
    markers.update({m.block: (request.blocks[m.block].message_fate, m.ttl) for m in placement.markers if m.on_message})
    rows, running = [], 0
    for i, (block, count) in enumerate(zip(request.blocks, counted)):
        running += count.tokens
        origin, ttl = markers.get(i, (None, None))
        reason = placement.reasons.get(
            i,
            {
                "caller": "the caller's marker",
                "dropped": f"the marker is dropped by the {request.client} client",
                "rejected": "the API rejects a marker here",
            }.get(origin or "", ""),
        )
        rows.append(
            BlockRow(
                block.location,
                block.role,
                block.type,
                count.tokens,
                running,
                MARKER_LABELS[origin],
                ttl,
                count.estimate,
                count.how,
                reason,
            )
        )
    return rows
