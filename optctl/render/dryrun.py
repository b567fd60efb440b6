"""``optctl dry-run`` and ``optctl models`` output: rich tables for people, versioned JSON for scripts.

JSON shape (schema_version 1)::

    {"schema_version": 1, "strategy": "wrapper", "tokenizer": "offline", "calls": 10, "config": "...",
     "fixtures": [{"path", "model", "strategy", "tokenizer", "total_tokens", "total_is_exact", "cached_tokens",
                   "tokens_after_last_breakpoint", "breakpoints": [{"location", "prefix_tokens", "ttl",
                   "origin", "effective"}], "findings": [{"code", "severity", "location", "message"}],
                   "blocks": [...], "cost": {...} | null, "wrapper_claimed_tokens"}],
     "total": {"fixtures", "with_errors", "total_tokens", "cached_tokens", "per_call_uncached",
               "first_call", "hit", "saving_over_calls"},
     "compare": {"wrapper": total, "optimal": total, "difference": {...}}   # with --compare only
    }

With ``--compare`` each fixture appears once per strategy, and ``total`` is the ``--strategy`` one.
Over 2,000 blocks in all, the JSON is written on one line (the same document, not indented).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Sequence

from rich import box
from rich.table import Table

from optctl.caching.analysis import FixtureReport
from optctl.render.console import emit_json, stderr, stdout

# Past these sizes output is condensed: rich needs about a millisecond a table row, and indented
# JSON goes through the pure-Python encoder.
COMPACT_AFTER_BLOCKS = 2000
MAX_BLOCK_ROWS = 200
EDGE_ROWS = 20
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
    if sum(len(r.blocks) for r in reports) > COMPACT_AFTER_BLOCKS:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
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
    counted = {"anthropic": "exact totals from count_tokens, split over blocks by estimate",
               "chars4": "the wrapper's chars/4"}.get(tokenizer, "estimates (o200k BPE x the model family's calibration)")
    console.print(f"config: {source}; tokens: {counted}; savings over {calls} calls within the TTL", markup=False)
    if per_block:
        others = {r.path: r for r in reports if r.strategy != strategies[0]}
        for report in fixtures:
            twin = others.get(report.path)
            console.print(_blocks_table(report, twin))
            _reasons(console, report, twin)
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
    table = _table(title)
    table.add_column("location", overflow="fold", min_width=16)
    if not twin:  # side by side there is no room for it at 80 columns; the location says it
        table.add_column("role")
    table.add_column("type")
    table.add_column("tokens", justify="right")
    table.add_column("prefix", justify="right")
    table.add_column(report.strategy if twin else "marker", no_wrap=True)
    if twin:
        table.add_column(twin.strategy, no_wrap=True)
    twin_rows = twin.blocks if twin else [None] * len(report.blocks)
    shown = _rows_to_show(report, twin)
    for i, (row, other) in enumerate(zip(report.blocks, twin_rows)):
        if i not in shown:
            if i - 1 in shown:
                hidden = next((j for j in range(i, len(report.blocks)) if j in shown), len(report.blocks)) - i
                table.add_row(f"... {hidden:,} blocks without a marker", style="dim")
            continue
        cells = [row.location, *([] if twin else [row.role]), row.type, f"{row.tokens:,}", f"{row.prefix_tokens:,}", _marker(row)]
        table.add_row(*cells, *([_marker(other)] if twin else []))
    return table


def _rows_to_show(report: FixtureReport, twin: FixtureReport | None) -> set[int]:
    """Every block of a normal prompt; of a huge one, its ends and every block with a marker."""
    count = len(report.blocks)
    if count <= MAX_BLOCK_ROWS:
        return set(range(count))
    marked = {i for r in (report, twin) if r for i, row in enumerate(r.blocks) if row.marker != "none"}
    return marked | set(range(EDGE_ROWS)) | set(range(count - EDGE_ROWS, count))


def _reasons(console, report: FixtureReport, twin: FixtureReport | None) -> None:
    """Why each marker is where it is, under the table (a column would not fit at 80 characters)."""
    for shown in (report, twin) if twin else (report,):
        for row in shown.blocks:
            if row.reason:
                console.print(f"  {shown.strategy}: {row.location}: {row.reason}", markup=False, highlight=False)


def _table(title: str, **options) -> Table:
    """Light borders: dry-run tables are wide, and every column counts at 80 characters."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, **options)


def _marker(row) -> str:
    return row.marker + (f" {row.ttl}" if row.ttl and row.marker != "none" else "")


def _summary_table(report: FixtureReport, calls: int) -> Table:
    table = _table(f"{report.strategy}: cached and billed (input side)", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("breakpoints used", f"{len(report.breakpoints)}" + "".join(
        f"\n{b['location']} ({b['ttl']}, {b['origin']}{'' if b['effective'] else ', caches nothing'})" for b in report.breakpoints))
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
    from rich.text import Text

    from optctl.caching.request import location_label

    for finding in report.findings:
        style = "red" if finding.severity == "error" else "yellow"
        where = report.path + (f":{location_label(finding.pointer)}" if finding.pointer else "")
        console.print(Text.assemble((finding.severity, style), f" {finding.code} at {where}: {finding.message}"))


def _fixtures_table(reports: Sequence[FixtureReport], calls: int) -> Table:
    folder, names = _short_names([r.path for r in reports])
    table = _table(f"fixtures ({len(reports)}) in {folder}; USD per call uncached and on a hit, calls to break even, "
                   f"saving over {calls} calls, errors/warnings (more in --output json)")
    table.add_column("fixture", overflow="fold", min_width=12)
    for name in ("tokens", "cached", "call", "hit", "even", f"save x{calls}", "found"):
        table.add_column(name, justify="right", no_wrap=True)
    for r, name in zip(reports, names):
        c = r.cost
        table.add_row(name, f"{r.total_tokens:,}", f"{r.cached_tokens:,}",
                      *(_usd(v, sign=False) for v in ((c.uncached, c.hit) if c else (None,) * 2)),
                      "-" if not c or c.break_even_calls is None else str(c.break_even_calls),
                      _usd(c.saving_over_calls if c else None, sign=False), _finding_codes(r))
    t = totals(reports)
    table.add_row("total", f"{t['total_tokens']:,}", f"{t['cached_tokens']:,}", _usd(t["per_call_uncached"], sign=False),
                  _usd(t["hit"], sign=False), "", _usd(t["saving_over_calls"], sign=False), f"{t['with_errors']}E", style="bold")
    return table


def _compare_table(reports: Sequence[FixtureReport], strategies: Sequence[str], calls: int) -> Table:
    a, b = strategies
    table = _table(f"{a} vs {b}")
    table.add_column("fixture", overflow="fold")
    for name in (f"cached\n{a}", f"cached\n{b}", "cached\ndifference", f"saving x{calls}\n{a}", f"saving x{calls}\n{b}", "saving\ndifference"):
        table.add_column(name, justify="right")
    left, right = _by_strategy(reports, a), _by_strategy(reports, b)
    _, names = _short_names([r.path for r in left])
    for x, y, name in zip(left, right, names):
        sx, sy = (r.cost.saving_over_calls if r.cost else None for r in (x, y))
        table.add_row(name, f"{x.cached_tokens:,}", f"{y.cached_tokens:,}", f"{y.cached_tokens - x.cached_tokens:+,}",
                      _usd(sx), _usd(sy), _usd(None if sx is None or sy is None else sy - sx, signed=True))
    if len(left) > 1:
        tx, ty = totals(left), totals(right)
        table.add_row("total", f"{tx['cached_tokens']:,}", f"{ty['cached_tokens']:,}", f"{ty['cached_tokens'] - tx['cached_tokens']:+,}",
                      _usd(tx["saving_over_calls"]), _usd(ty["saving_over_calls"]),
                      _usd(ty["saving_over_calls"] - tx["saving_over_calls"], signed=True), style="bold")
    return table


def _finding_codes(report: FixtureReport) -> str:
    """Counts only: the findings themselves are listed under the table."""
    errors = sum(f.severity == "error" for f in report.findings)
    warnings = len(report.findings) - errors
    return " ".join(filter(None, (f"{errors}E" if errors else "", f"{warnings}W" if warnings else ""))) or "-"


def _short_names(paths: Sequence[str]) -> tuple[str, list[str]]:
    """The folder they share, and each fixture's name relative to it, so the table stays narrow."""
    import os

    files = [p.split("[", 1)[0] for p in paths]
    try:
        common = os.path.commonpath([os.path.dirname(f) or "." for f in files])
    except ValueError:
        return ".", list(paths)
    cut = len(common) + 1 if common not in ("", ".") else 0
    return common or ".", [p[cut:] for p in paths]


def _usd(value: float | None, signed: bool = False, sign: bool = True) -> str:
    """Five decimals: one call of a short prompt costs fractions of a cent."""
    if value is None:
        return "n/a"
    shown = f"{'$' if sign else ''}{abs(value):,.5f}"
    negative = value < 0 and shown.strip("$0.,") != ""
    return ("-" if negative else "+" if signed else "") + shown


def models_text(rules) -> None:
    from optctl.providers import prices

    console = stdout()
    table = _table(f"models ({rules.path}; as of {rules.raw.get('as_of', '?')}); USD per million tokens: input, "
                   "cache write 5m and 1h, cache read, output; minimum cacheable prefix (* sources disagree); context window; "
                   "+ retired on the first-party API")
    table.add_column("family", no_wrap=True)
    for name in ("min", "in", "w5m", "w1h", "read", "out", "context"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("src", no_wrap=True)
    sources: dict[str, int] = {}
    notes: list[str] = []
    for m in rules.models:
        note = sources.setdefault(m.source, len(sources) + 1)
        p = prices.of_model(rules, m)
        conflicting = len({q["tokens"] for q in m.min_cacheable_sources}) > 1
        cells = (p.input, p.write.get("5m"), p.write.get("1h"), p.read, p.output) if p else (None,) * 5
        table.add_row(m.family + ("+" if m.retired else ""), f"{m.min_cacheable_tokens:,}" + ("*" if conflicting else ""),
                      *map(_price, cells), _tokens_short(m.context_window), f"[{note}]",
                      style="dim" if m.retired else None)
        notes += _model_notes(m)
    console.print(table)
    for source, note in sources.items():
        console.print(f"  [{note}] {source}", markup=False, highlight=False)
    for line in notes:
        console.print(f"  {line}", markup=False, highlight=False)
    providers = _table("providers")
    providers.add_column("provider", no_wrap=True)
    providers.add_column("markers")
    providers.add_column("caching, as of, source", overflow="fold")
    for name, p in rules.raw["providers"].items():
        providers.add_row(name, "yes" if p.get("supports_markers") else "no", f"{p.get('caching', '')} ({p.get('as_of', '')}; {p.get('source', '')})")
    console.print(providers)
    for name, pricing in rules.raw["pricing"].items():
        console.print(f"{name} default cache prices: write 5m x{pricing['cache_write_5m']}, write 1h x{pricing['cache_write_1h']}, "
                      f"read x{pricing['cache_read']} of the input price, where a model sets none ({pricing.get('source', '')})",
                      markup=False, highlight=False)
    for name, t in rules.tokenizers.items():
        users = ", ".join(m.family for m in rules.models if m.tokenizer == name)
        console.print(f"tokenizer {name}: {t.base_encoding} x{t.prose_factor} prose, x{t.code_factor} code, for {users} "
                      f"({rules.raw['tokenizers'][name].get('source', '')})", markup=False, highlight=False)


def _tokens_short(tokens: int | None) -> str:
    if tokens is None:
        return "?"
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if tokens >= size and tokens % size == 0:
            return f"{tokens // size}{unit}"
    return f"{tokens:,}"


def _model_notes(m) -> list[str]:
    """What a row cannot say: retirement, price tiers and changes, the minimum's sources, an unknown window."""
    lines = [f"{m.family}: {m.status_note}"] if m.status_note else []
    lines += [f"{m.family}: above {t['above_prompt_tokens']:,}-token prompts, input {_price(t['input_per_mtok'])}, "
              f"output {_price(t['output_per_mtok'])} (cache prices in proportion)" for t in m.price_tiers]
    lines += [f"{m.family}: before {c['before']}, " + ", ".join(f"{k} x{v:g}" for k, v in c["cache_multipliers"].items())
              for c in m.price_changes]
    if len({q["tokens"] for q in m.min_cacheable_sources}) > 1 or (m.min_cacheable_choice and not m.min_cacheable_sources):
        quoted = "; ".join(f"{q['tokens']:,} ({q['source']})" for q in m.min_cacheable_sources)
        lines.append(f"{m.family}: minimum {quoted + ': ' if quoted else ''}{m.min_cacheable_choice}")
    if m.context_window is None and m.context_window_source:
        lines.append(f"{m.family}: context window {m.context_window_source}")
    return lines


def _price(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def models_json(rules) -> None:
    emit_json({"schema_version": 1, "path": rules.path, **rules.raw})
