"""``optctl dry-run`` and ``optctl models`` output: rich tables for people, versioned JSON for scripts.

Everything shown is computed before it gets here (``optctl.commands.dryrun.DryRunResult``):
this module only lays it out.

JSON shape (schema_version 1); ``project`` and ``store`` (which project file and store, see
``optctl.settings.context.RunContext.to_json``) follow the keys below::

    {"schema_version": 1, "strategy": "wrapper", "tokenizer": "offline", "calls": 10, "config": "...",
     "fixtures": [{"path", "model", "strategy", "client", "tokenizer", "total_tokens", "total_is_exact", "cached_tokens",
                   "read_tokens", "rejected", "tokens_after_last_breakpoint", "breakpoints": [{"location", "prefix_tokens",
                   "ttl", "origin", "effective", "written_every_call"}], "findings": [{"code", "severity", "location",
                   "message"}], "blocks": [...], "cost": {...} | null, "wrapper_claimed_tokens"}],
     "total": {"fixtures", "with_errors", "total_tokens", "cached_tokens", "read_tokens", "per_call_uncached",
               "first_call", "hit", "saving_over_calls"},
     "compare": {"wrapper": total, "optimal": total, "auto": total,
                 "difference": {...},                      # the second strategy minus the first
                 "differences": {"optimal": {...}, "auto": {...}}}   # each later strategy minus the first
    }

With ``--compare`` each fixture appears once per strategy, and ``total`` is the ``--strategy`` one.
Over 2,000 fixtures and blocks in all, the JSON is written on one line (the same document, not indented).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from optctl.caching.analysis import FixtureReport
from optctl.commands.dryrun import DryRunResult, FindingGroup
from optctl.settings.context import RunContext
from optctl.render.console import Rows, emit_json, emit_json_rows, stderr, stdout
from optctl.render.context import print_context, with_context

# Past these sizes output is condensed: rich needs about a millisecond a table row (JSON's rule
# is ``console.emit_json_rows``'s).
MAX_BLOCK_ROWS = 200
MAX_FIXTURE_ROWS = 200
EDGE_ROWS = 20
SHOWN_PLACES = 3


def report_json(result: DryRunResult) -> None:
    fixtures = Rows(result.reports, FixtureReport.to_json)
    payload: dict[str, Any] = {
        "schema_version": 1,
        "strategy": result.strategy,
        "tokenizer": result.tokenizer,
        "calls": result.calls,
        "config": result.source,
        "fixtures": fixtures,  # encoded as written, a chunk at a time when the document is large
        "total": result.totals[result.strategy],
    }
    if len(result.strategies) > 1:
        payload["compare"] = {
            **result.totals,
            "difference": result.differences[result.strategies[1]],
            "differences": result.differences,
        }
    if result.context is not None:
        payload = with_context(payload, result.context)
    emit_json_rows(payload, fixtures, len(result.reports) + sum(len(r.blocks) for r in result.reports))


def emitted_requests(reports: Sequence[FixtureReport]) -> None:
    """One request: pretty JSON. Several: JSON Lines, one request a line, in input order."""
    readable = [r for r in reports if r.emitted is not None]
    if len(readable) == 1:
        emit_json(readable[0].emitted)
        return
    for report in readable:
        sys.stdout.write(json.dumps(report.emitted, ensure_ascii=False) + "\n")


def findings_to_stderr(reports: Sequence[FixtureReport], context: RunContext | None = None) -> None:
    """With --emit-request stdout is the request, so the findings and the project/store line go to stderr."""
    console = stderr()
    for report in reports:
        for finding in report.findings:
            console.print(f"{report.path}: {finding.severity} {finding.code}: {finding.message}", markup=False)
    if context is not None:
        print_context(context, console)


_COUNTED = {"anthropic": "exact totals from count_tokens, split over blocks by estimate", "chars4": "the wrapper's chars/4"}


def report_text(result: DryRunResult, per_block: bool | None = None, console: Console | None = None) -> None:
    console = console or stdout()
    first = result.strategies[0]
    fixtures = result.of(first)
    per_block = len(fixtures) == 1 if per_block is None else per_block
    counted = _COUNTED.get(result.tokenizer, "estimates (o200k BPE x the model family's calibration)")
    console.print(f"config: {result.source}; tokens: {counted}; savings over {result.calls} calls within the TTL", markup=False)
    if per_block:
        for comparison in result.comparisons:
            shown = list(comparison.reports.values())
            console.print(_blocks_table(shown))
            _reasons(console, shown)
            for report in shown:
                console.print(_summary_table(report, result.calls))
                _print_findings(console, report)
    if len(result.strategies) > 1:
        console.print(_compare_table(result))
    elif not per_block or len(fixtures) > 1:
        console.print(_fixtures_table(result.of(result.strategy), result.totals[result.strategy], result.calls))
    if not per_block:
        _print_finding_groups(console, result.finding_groups)
    if result.context is not None:
        print_context(result.context, console)


def _blocks_table(reports: list[FixtureReport]) -> Table:
    report = reports[0]
    several = len(reports) > 1
    title = f"{report.path}  model {report.model or '?'}  client {report.client}  strategy " + " vs ".join(
        r.strategy for r in reports
    )
    table = _table(title)
    table.add_column("location", overflow="fold", min_width=16)
    if not several:  # side by side there is no room for it at 80 columns; the location says it
        table.add_column("role")
    table.add_column("type")
    table.add_column("tokens", justify="right")
    table.add_column("prefix", justify="right")
    for r in reports:
        table.add_column(r.strategy if several else "marker", no_wrap=True)
    shown = _rows_to_show(reports)
    for i, rows in enumerate(zip(*(r.blocks for r in reports))):
        row = rows[0]
        if i not in shown:
            if i - 1 in shown:
                hidden = next((j for j in range(i, len(report.blocks)) if j in shown), len(report.blocks)) - i
                table.add_row(f"... {hidden:,} blocks without a marker", style="dim")
            continue
        cells = [row.location, *([] if several else [row.role]), row.type, f"{row.tokens:,}", f"{row.prefix_tokens:,}"]
        table.add_row(*cells, *(_marker(other) for other in rows))
    return table


def _rows_to_show(reports: list[FixtureReport]) -> set[int]:
    """Every block of a normal prompt; of a huge one, its ends and every block with a marker."""
    count = len(reports[0].blocks)
    if count <= MAX_BLOCK_ROWS:
        return set(range(count))
    marked = {i for r in reports for i, row in enumerate(r.blocks) if row.marker != "none"}
    return marked | set(range(EDGE_ROWS)) | set(range(count - EDGE_ROWS, count))


def _reasons(console, reports: list[FixtureReport]) -> None:
    """Why each marker is where it is, under the table (a column would not fit at 80 characters)."""
    for shown in reports:
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
    table.add_row(
        "breakpoints used",
        f"{len(report.breakpoints)}"
        + "".join(f"\n{b['location']} ({b['ttl']}, {b['origin']}{_breakpoint_note(b)})" for b in report.breakpoints),
    )
    if report.rejected:
        table.add_row("request", "rejected as sent (see the errors)")
    table.add_row("tokens cached (written)", f"{report.cached_tokens:,} of {report.total_tokens:,}")
    table.add_row("tokens read back on a hit", f"{report.read_tokens:,}")
    table.add_row("tokens after the last breakpoint", f"{report.after_last_breakpoint:,}")
    if report.wrapper_claimed_tokens is not None:
        table.add_row("the wrapper's own statistics claim", f"{report.wrapper_claimed_tokens:,}")
    if report.cost:
        c = report.cost
        table.add_row("cost per call without caching", _usd(c.uncached))
        table.add_row("first call (cache write)", _usd(c.first_call))
        rewritten = any(b["written_every_call"] for b in report.breakpoints)
        table.add_row("call on a hit (cache read)" + ("\n(final message written again)" if rewritten else ""), _usd(c.hit))
        table.add_row("break-even", "never" if c.break_even_calls is None else f"{c.break_even_calls} calls")
        table.add_row(f"saving over {calls} calls", _usd(c.saving_over_calls))
    return table


def _breakpoint_note(breakpoint: dict[str, Any]) -> str:
    if not breakpoint["effective"]:
        return ", caches nothing"
    return ", written on every call" if breakpoint["written_every_call"] else ""


def _print_findings(console, report: FixtureReport) -> None:
    from rich.text import Text

    from optctl.caching.request import location_label

    for finding in report.findings:
        style = "red" if finding.severity == "error" else "yellow"
        where = report.path + (f":{location_label(finding.pointer)}" if finding.pointer else "")
        console.print(Text.assemble((finding.severity, style), f" {finding.code} at {where}: {finding.message}"))


def _print_finding_groups(console: Console, groups: Sequence[FindingGroup]) -> None:
    """Each distinct finding once, with the fixtures it is in (the first few, then how many more)."""
    from rich.text import Text

    for group in groups:
        shown = ", ".join(f"{path}:{group.location}" if group.location else path for path in group.fixtures[:SHOWN_PLACES])
        more = len(group.fixtures) - SHOWN_PLACES
        where = shown + (f" and {more:,} more fixtures" if more > 0 else "")
        console.print(
            Text.assemble(
                (group.severity, "red" if group.severity == "error" else "yellow"), f" {group.code} at {where}: {group.message}"
            )
        )


def _fixtures_table(reports: Sequence[FixtureReport], t: dict[str, Any], calls: int) -> Table:
    folder, cut = _short_names([r.path for r in reports])
    table = _table(
        f"fixtures ({len(reports)}) in {folder}; USD per call uncached and on a hit, calls to break even, "
        f"saving over {calls} calls, errors/warnings (more in --output json"
        f"{', which lists every fixture' if len(reports) > MAX_FIXTURE_ROWS else ''})"
    )
    table.add_column("fixture", overflow="fold", min_width=12)
    for name in ("tokens", "cached", "call", "hit", "even", f"save x{calls}", "found"):
        table.add_column(name, justify="right", no_wrap=True)
    shown = _ends(len(reports))
    for i, r in enumerate(reports):
        if i not in shown:
            if i - 1 in shown:
                table.add_row(f"... {len(reports) - len(shown):,} more", style="dim")
            continue
        c = r.cost
        table.add_row(
            r.path[cut:],
            f"{r.total_tokens:,}",
            f"{r.cached_tokens:,}",
            *(_usd(v, sign=False) for v in ((c.uncached, c.hit) if c else (None,) * 2)),
            "-" if not c or c.break_even_calls is None else str(c.break_even_calls),
            _usd(c.saving_over_calls if c else None, sign=False),
            _finding_codes(r),
        )
    table.add_row(
        "total",
        f"{t['total_tokens']:,}",
        f"{t['cached_tokens']:,}",
        _usd(t["per_call_uncached"], sign=False),
        _usd(t["hit"], sign=False),
        "",
        _usd(t["saving_over_calls"], sign=False),
        f"{t['with_errors']}E",
        style="bold",
    )
    return table


def _ends(count: int) -> set[int]:
    """Rows of a long table worth a person's screen: all of a short one, the ends of a long one."""
    return set(range(count)) if count <= MAX_FIXTURE_ROWS else set(range(EDGE_ROWS)) | set(range(count - EDGE_ROWS, count))


def _compare_table(result: DryRunResult) -> Table:
    first = result.strategies[0]
    table = _table(
        f"{' vs '.join(result.strategies)}: tokens cached, read back on a hit, saving over {result.calls} calls, "
        f"and the saving against {first}"
    )
    table.add_column("fixture", overflow="fold")
    table.add_column("strategy", no_wrap=True)
    for name in ("cached", "read", f"save x{result.calls}", f"vs {first}"):
        table.add_column(name, justify="right", no_wrap=True)
    _, cut = _short_names([c.path for c in result.comparisons])
    shown = _ends(len(result.comparisons))
    for n, comparison in enumerate(result.comparisons):
        if n not in shown:
            if n - 1 in shown:
                table.add_row(f"... {len(result.comparisons) - len(shown):,} more", style="dim", end_section=True)
            continue
        for i, (strategy, r) in enumerate(comparison.reports.items()):
            table.add_row(
                comparison.path[cut:] if i == 0 else "",
                strategy,
                f"{r.cached_tokens:,}",
                f"{r.read_tokens:,}",
                _usd(r.cost.saving_over_calls if r.cost else None),
                "" if strategy == first else _usd(comparison.saving_vs_first[strategy], signed=True),
                end_section=i == len(comparison.reports) - 1,
            )
    if len(result.comparisons) > 1:
        for i, strategy in enumerate(result.strategies):
            t = result.totals[strategy]
            table.add_row(
                "total" if i == 0 else "",
                strategy,
                f"{t['cached_tokens']:,}",
                f"{t['read_tokens']:,}",
                _usd(t["saving_over_calls"]),
                "" if strategy == first else _usd(result.differences[strategy]["saving_over_calls"], signed=True),
                style="bold",
            )
    return table


def _finding_codes(report: FixtureReport) -> str:
    """Counts only: the findings themselves are listed under the table."""
    errors = sum(f.severity == "error" for f in report.findings)
    warnings = len(report.findings) - errors
    return " ".join(filter(None, (f"{errors}E" if errors else "", f"{warnings}W" if warnings else ""))) or "-"


def _short_names(paths: Sequence[str]) -> tuple[str, int]:
    """The folder they share, and how much of each path that is, so the table stays narrow.

    Each distinct file is looked at once: 200,000 documents of one file share its folder.
    """
    import os

    files = dict.fromkeys(p.partition("[")[0] for p in paths)
    try:
        common = os.path.commonpath([os.path.dirname(f) or "." for f in files])
    except ValueError:
        return ".", 0
    return common or ".", len(common) + 1 if common not in ("", ".") else 0


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
    table = _table(
        f"models ({rules.path}; as of {rules.raw.get('as_of', '?')}); USD per million tokens: input, "
        "cache write 5m and 1h, cache read, output; minimum cacheable prefix (* sources disagree); context window; "
        "+ retired on the first-party API"
    )
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
        table.add_row(
            m.family + ("+" if m.retired else ""),
            f"{m.min_cacheable_tokens:,}" + ("*" if conflicting else ""),
            *map(_price, cells),
            _tokens_short(m.context_window),
            f"[{note}]",
            style="dim" if m.retired else None,
        )
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
        providers.add_row(
            name,
            "yes" if p.get("supports_markers") else "no",
            f"{p.get('caching', '')} ({p.get('as_of', '')}; {p.get('source', '')})",
        )
    console.print(providers)
    for name, pricing in rules.raw["pricing"].items():
        console.print(
            f"{name} default cache prices: write 5m x{pricing['cache_write_5m']}, write 1h x{pricing['cache_write_1h']}, "
            f"read x{pricing['cache_read']} of the input price, where a model sets none ({pricing.get('source', '')})",
            markup=False,
            highlight=False,
        )
    for name, t in rules.tokenizers.items():
        users = ", ".join(m.family for m in rules.models if m.tokenizer == name)
        console.print(
            f"tokenizer {name}: {t.base_encoding} x{t.prose_factor} prose, x{t.code_factor} code, for {users} "
            f"({rules.raw['tokenizers'][name].get('source', '')})",
            markup=False,
            highlight=False,
        )


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
    lines += [
        f"{m.family}: above {t['above_prompt_tokens']:,}-token prompts, input {_price(t['input_per_mtok'])}, "
        f"output {_price(t['output_per_mtok'])} (cache prices in proportion)"
        for t in m.price_tiers
    ]
    lines += [
        f"{m.family}: before {c['before']}, " + ", ".join(f"{k} x{v:g}" for k, v in c["cache_multipliers"].items())
        for c in m.price_changes
    ]
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
