"""``optctl dry-run`` and ``optctl models`` output: rich tables for people, versioned JSON for scripts.

JSON shape (schema_version 1)::

    {"schema_version": 1, "strategy": "wrapper", "tokenizer": "offline", "calls": 10, "config": "...",
     "fixtures": [{"path", "model", "strategy", "tokenizer", "total_tokens", "cached_tokens",
                   "tokens_after_last_breakpoint", "breakpoints": [{"location", "prefix_tokens", "ttl",
                   "origin", "effective"}], "findings": [{"code", "severity", "location", "message"}],
                   "blocks": [...], "cost": {...} | null, "wrapper_claimed_tokens"}],
     "total": {"fixtures", "with_errors", "total_tokens", "cached_tokens", "per_call_uncached",
               "first_call", "hit", "saving_over_calls"},
     "compare": {"wrapper": total, "optimal": total, "difference": {...}}   # with --compare only
    }

With ``--compare`` each fixture appears once per strategy, and ``total`` is the ``--strategy`` one.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Sequence

from rich.table import Table

from optctl.caching.dryrun import FixtureReport
from optctl.render.console import emit_json, stderr, stdout

_MONEY = ("per_call_uncached", "first_call", "hit", "saving_over_calls")


def totals(reports: Sequence[FixtureReport]) -> dict[str, Any]:
    total: dict[str, Any] = {"fixtures": len(reports), "with_errors": sum(not r.ok for r in reports),
                             "total_tokens": sum(r.total_tokens for r in reports),
                             "cached_tokens": sum(r.cached_tokens for r in reports)}
    priced = [r.cost.to_json() for r in reports if r.cost]
    for key in _MONEY:
        total[key] = round(sum(c[key] for c in priced), 6)
    return total


def _by_strategy(reports: Sequence[FixtureReport], strategy: str) -> list[FixtureReport]:
    return [r for r in reports if r.strategy == strategy]


def _difference(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    keys = ("cached_tokens", *_MONEY)
    return {k: round(b[k] - a[k], 6) if isinstance(b[k], float) else b[k] - a[k] for k in keys}


def report_json(reports: Sequence[FixtureReport], *, strategy: str, strategies: Sequence[str], tokenizer: str, calls: int, source: str) -> None:
    payload: dict[str, Any] = {
        "schema_version": 1, "strategy": strategy, "tokenizer": tokenizer, "calls": calls, "config": source,
        "fixtures": [r.to_json() for r in reports], "total": totals(_by_strategy(reports, strategy)),
    }
    if len(strategies) > 1:
        both = {s: totals(_by_strategy(reports, s)) for s in strategies}
        payload["compare"] = {**both, "difference": _difference(both[strategies[0]], both[strategies[1]])}
    emit_json(payload)


def emitted_requests(reports: Sequence[FixtureReport]) -> None:
    """One request: pretty JSON. Several: JSON Lines, one request a line, in input order."""
    readable = [r for r in reports if r.emitted is not None]
    if len(readable) == 1:
        emit_json(readable[0].emitted)
        return
    for report in readable:
        sys.stdout.write(json.dumps(report.emitted, ensure_ascii=False) + "\n")


def findings_to_stderr(reports: Sequence[FixtureReport]) -> None:
    console = stderr()
    for report in reports:
        for finding in report.findings:
            console.print(f"{report.path}: {finding.severity} {finding.code}: {finding.message}", markup=False)


def report_text(reports: Sequence[FixtureReport], *, strategy: str, strategies: Sequence[str], tokenizer: str, calls: int,
                source: str, per_block: bool | None = None) -> None:
    console = stdout()
    fixtures = _by_strategy(reports, strategies[0])
    per_block = len(fixtures) == 1 if per_block is None else per_block
    console.print(f"config: {source}; tokens: {tokenizer}; savings over {calls} calls within the TTL", markup=False)
    if per_block:
        for report in fixtures:
            twin = next((r for r in reports if r.path == report.path and r.strategy != report.strategy), None)
            console.print(_blocks_table(report, twin))
            for shown in (report, twin) if twin else (report,):
                console.print(_summary_table(shown, calls))
                _print_findings(console, shown)
    if len(strategies) > 1:
        console.print(_compare_table(reports, strategies, calls))
    elif not per_block or len(fixtures) > 1:
        console.print(_fixtures_table(_by_strategy(reports, strategy), calls))
    if not per_block:
        for report in reports:
            _print_findings(console, report)


def _blocks_table(report: FixtureReport, twin: FixtureReport | None) -> Table:
    title = f"{report.path}  model {report.model or '?'}  strategy {report.strategy}" + (f" vs {twin.strategy}" if twin else "")
    table = Table(title=title, title_justify="left")
    for name, justify in (("#", "right"), ("location", "left"), ("role", "left"), ("type", "left"), ("tokens", "right"),
                          ("prefix", "right"), (f"marker ({report.strategy})", "left")):
        table.add_column(name, justify=justify)
    if twin:
        table.add_column(f"marker ({twin.strategy})")
    table.add_column("reason")
    twin_rows = twin.blocks if twin else [None] * len(report.blocks)
    for i, (row, other) in enumerate(zip(report.blocks, twin_rows)):
        cells = [str(i), row.location, row.role, row.type, f"{row.tokens:,}", f"{row.prefix_tokens:,}", _marker(row)]
        if twin:
            cells.append(_marker(other))
        reasons = [r for r in (row.reason, other.reason if other else "") if r]
        table.add_row(*cells, "; ".join(dict.fromkeys(reasons)))
    return table


def _marker(row) -> str:
    return row.marker + (f" {row.ttl}" if row.ttl and row.marker != "none" else "")


def _summary_table(report: FixtureReport, calls: int) -> Table:
    table = Table(title=f"{report.strategy}: what the provider caches and bills (input side)", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    used = [b for b in report.breakpoints]
    table.add_row("breakpoints used", f"{len(used)}" + "".join(
        f"\n{b['location']} ({b['ttl']}, {b['origin']}{'' if b['effective'] else ', caches nothing'})" for b in used))
    table.add_row("tokens cached", f"{report.cached_tokens:,} of {report.total_tokens:,}")
    table.add_row("tokens after the last breakpoint", f"{report.after_last_breakpoint:,}")
    if report.wrapper_claimed_tokens is not None:
        table.add_row("the wrapper's own statistics claim", f"{report.wrapper_claimed_tokens:,}")
    if report.cost:
        c = report.cost
        table.add_row("cost per call without caching", _usd(c.uncached))
        table.add_row("first call (cache write)", _usd(c.first_call))
        table.add_row("call on a hit (cache read)", _usd(c.hit))
        table.add_row("break-even", "never" if c.break_even_calls is None else f"{c.break_even_calls} calls")
        table.add_row(f"saving over {calls} calls", _usd(c.saving_over_calls))
    return table


def _print_findings(console, report: FixtureReport) -> None:
    from optctl.caching.request import location_label

    for finding in report.findings:
        style = "red" if finding.severity == "error" else "yellow"
        console.print(f"[{style}]{finding.severity}[/] {finding.code} at {location_label(finding.pointer)}: ", end="")
        console.print(finding.message, markup=False)


def _fixtures_table(reports: Sequence[FixtureReport], calls: int) -> Table:
    table = Table(title=f"fixtures ({len(reports)})", title_justify="left")
    for name in ("fixture", "model", "tokens", "cached", "breakpoints", "per call", "first call", "on a hit", "break-even", f"saving x{calls}", "findings"):
        table.add_column(name, justify="left" if name in ("fixture", "model") else "right")
    for r in reports:
        c = r.cost
        table.add_row(r.path, r.model or "?", f"{r.total_tokens:,}", f"{r.cached_tokens:,}", str(len(r.breakpoints)),
                      *(_usd(v) for v in ((c.uncached, c.first_call, c.hit) if c else (None,) * 3)),
                      "-" if not c or c.break_even_calls is None else str(c.break_even_calls),
                      _usd(c.saving_over_calls if c else None), _finding_codes(r))
    t = totals(reports)
    table.add_row("total", "", f"{t['total_tokens']:,}", f"{t['cached_tokens']:,}", "", _usd(t["per_call_uncached"]),
                  _usd(t["first_call"]), _usd(t["hit"]), "", _usd(t["saving_over_calls"]), f"{t['with_errors']} with errors", style="bold")
    return table


def _compare_table(reports: Sequence[FixtureReport], strategies: Sequence[str], calls: int) -> Table:
    a, b = strategies
    table = Table(title=f"{a} vs {b}", title_justify="left")
    for name in ("fixture", f"cached ({a})", f"cached ({b})", "difference", f"saving x{calls} ({a})", f"saving x{calls} ({b})", "difference"):
        table.add_column(name, justify="left" if name == "fixture" else "right")
    left, right = _by_strategy(reports, a), _by_strategy(reports, b)
    for x, y in zip(left, right):
        sx, sy = (r.cost.saving_over_calls if r.cost else None for r in (x, y))
        table.add_row(x.path, f"{x.cached_tokens:,}", f"{y.cached_tokens:,}", f"{y.cached_tokens - x.cached_tokens:+,}",
                      _usd(sx), _usd(sy), _usd(None if sx is None or sy is None else sy - sx, signed=True))
    if len(left) > 1:
        tx, ty = totals(left), totals(right)
        table.add_row("total", f"{tx['cached_tokens']:,}", f"{ty['cached_tokens']:,}", f"{ty['cached_tokens'] - tx['cached_tokens']:+,}",
                      _usd(tx["saving_over_calls"]), _usd(ty["saving_over_calls"]),
                      _usd(ty["saving_over_calls"] - tx["saving_over_calls"], signed=True), style="bold")
    return table


def _finding_codes(report: FixtureReport) -> str:
    return ", ".join(dict.fromkeys(f.code for f in report.findings)) or "-"


def _usd(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{'+' if signed and value >= 0 else ''}{'-' if value < 0 else ''}${abs(value):,.4f}"


def models_text(rules) -> None:
    console = stdout()
    table = Table(title=f"models ({rules.path}; table as of {rules.raw.get('as_of', '?')})", title_justify="left")
    for name in ("family", "provider", "min cacheable", "input $/MTok", "output $/MTok", "context", "tokenizer", "as of", "source"):
        table.add_column(name, justify="right" if "$" in name or name in ("min cacheable", "context") else "left")
    for m in rules.models:
        table.add_row(m.family, m.provider, f"{m.min_cacheable_tokens:,}", _price(m.input_per_mtok), _price(m.output_per_mtok),
                      f"{m.context_window:,}" if m.context_window else "?", m.tokenizer, m.as_of, m.source)
    console.print(table)
    providers = Table(title="providers", title_justify="left")
    for name in ("provider", "markers", "caching", "as of", "source"):
        providers.add_column(name)
    for name, p in rules.raw["providers"].items():
        providers.add_row(name, "yes" if p.get("supports_markers") else "no", str(p.get("caching", "")), str(p.get("as_of", "")), str(p.get("source", "")))
    console.print(providers)
    for name, pricing in rules.raw["pricing"].items():
        console.print(f"{name} cache prices: write 5m x{pricing['cache_write_5m']}, write 1h x{pricing['cache_write_1h']}, "
                      f"read x{pricing['cache_read']} of the input price ({pricing.get('source', '')})", markup=False)


def _price(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def models_json(rules) -> None:
    emit_json({"schema_version": 1, "path": rules.path, **rules.raw})
