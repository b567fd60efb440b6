"""``optctl savings`` for people (a table per window, the flags, an optional chart) and for scripts (JSON).

Everything shown is computed in ``optctl.savings.report``; this module only formats it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from optctl.commands.savings import SavingsResult
from optctl.errors import UsageError
from optctl.render.console import emit_json
from optctl.render.context import print_context, with_context
from optctl.savings.report import ServiceSavings, Window

BAR_WIDTH = 40


def report_json(result: SavingsResult, console: Console) -> None:
    emit_json(with_context(result.to_json(), result.context), console.file)


def report_text(result: SavingsResult, console: Console, chart: bool = False) -> None:
    days = result.window.total_seconds() / 86400
    console.print(f"Savings measured from the {result.source}, {days:g} day(s) before and after each enable time (USD).")
    console.print(
        "writes: 5-minute/1-hour cache writes; saved %: of the input cost, the only part caching changes; "
        "dry-run: what `optctl dry-run` predicts for the service's fixtures."
    )
    if not result.entries:
        console.print("No service with usage or an enable time in the selected environments.")
    for entry in result.entries:
        console.print(f"\n[bold]{_enabled_line(entry)}[/]")
        console.print(_table(entry))
        for flag in entry.flags:
            style = "red" if flag.code in ("caching-costs-more", "no-cache-reads") else "yellow"
            console.print(f"  [{style}]{flag.code}[/]: {flag.message}")
    for aside in result.unattributed:
        console.print(f"[yellow]not attributed[/]: {aside.usage.input_tokens} input tokens ({aside.why})")
    if chart:
        for entry in result.entries:
            _chart(entry, console)
    print_context(result.context, console)


def _table(entry: ServiceSavings) -> Table:
    predicted = (entry.prediction or {}).get("input_saving_pct")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True)
    names = ["", "calls", "input", "read", "writes", "billed", "no cache", "saved", "saved %"]
    for name in names + (["dry-run"] if predicted is not None else []):
        table.add_column(name, justify="left" if not name else "right", no_wrap=True)
    table.add_row("before", *_cells(entry.before))
    if entry.after is not None:
        table.add_row("after", *_cells(entry.after), *([_pct(predicted)] if predicted is not None else []))
    return table


def _cells(window: Window) -> list[str]:
    u = window.usage
    ratio = "-" if window.cache_read_ratio is None else f"{window.cache_read_ratio:.0%}"
    return [
        "?" if u.calls is None else f"{u.calls:,}",
        _tokens(u.input_tokens),
        ratio,
        f"{_tokens(u.cache_write_5m)}/{_tokens(u.cache_write_1h)}",
        f"{window.billed:,.2f}",
        f"{window.without_caching:,.2f}",
        f"{window.saving:,.2f}",
        _pct(window.input_saving_pct),
    ]


def _tokens(count: int) -> str:
    for limit, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if count >= limit:
            return f"{count / limit:.3g}{unit}"
    return str(count)


def _enabled_line(entry: ServiceSavings) -> str:
    found = entry.enablement
    if found is None:
        return f"{entry.service}/{entry.environment}: caching never enabled (per the history)"
    by = f" by {found.by}" if entry.enable_source == "history" else ""
    rollout = f" in rollout {found.rollout}" if found.rollout else ""
    until = f", disabled {found.disabled_at:%Y-%m-%d %H:%M}" if found.disabled_at else ""
    return f"{entry.service}/{entry.environment}: enabled {found.enabled_at:%Y-%m-%d %H:%M} UTC{by}{rollout} ({entry.enable_source}){until}"


def _chart(entry: ServiceSavings, console: Console) -> None:
    days: list[tuple[str, str, float]] = [(d.isoformat(), "before", c) for d, c in sorted(entry.before.daily.items())]
    if entry.after is not None:
        days += [(d.isoformat(), "after", c) for d, c in sorted(entry.after.daily.items())]
    if not days:
        return
    top = max(cost for _, _, cost in days) or 1.0
    console.print(f"\n{entry.service}/{entry.environment}: billed cost per day (USD)")
    for day, side, cost in days:
        style = "cyan" if side == "before" else "green"
        console.print(f"  {day} {side:<6} [{style}]{'█' * max(1, round(BAR_WIDTH * cost / top))}[/] {cost:,.2f}")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{round(value, 1) or 0.0:.1f}%"  # no "-0.0%"


def plot(result: SavingsResult, path: Path) -> None:
    """Cost per day before and after, one panel per service, as PNG or SVG (the ``plot`` extra)."""
    if path.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--plot {path}: write a .png or .svg file")
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        from matplotlib import pyplot
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'optctl[plot]' (or use --chart for a terminal chart)") from None
    entries = [e for e in result.entries if e.before.daily or (e.after and e.after.daily)]
    if not entries:
        raise UsageError("--plot: no priced usage to plot")
    figure, axes = pyplot.subplots(len(entries), 1, figsize=(7, 2.2 * len(entries)), squeeze=False)
    for ax, entry in zip(axes[:, 0], entries):
        _panel(ax, entry)
    figure.tight_layout()
    try:
        figure.savefig(path)
    except OSError as err:
        raise UsageError(f"--plot {path}: cannot write ({err.strerror or err})") from None
    finally:
        pyplot.close(figure)


def _panel(ax: Any, entry: ServiceSavings) -> None:
    for window, label, colour in ((entry.before, "before", "tab:blue"), (entry.after, "after", "tab:green")):
        if window is not None and window.daily:
            days = sorted(window.daily)
            ax.bar(days, [window.daily[d] for d in days], color=colour, label=label)
    if entry.enablement is not None:
        ax.axvline(entry.enablement.enabled_at, color="black", linewidth=1, linestyle="--")
    ax.set_title(f"{entry.service}/{entry.environment}", fontsize=9)
    ax.set_ylabel("USD per day", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
