"""Progress bars for long work: on stderr, only where a person is watching, only once it is long.

A validate of a 177 MB export or a dry-run of 3,000 fixtures used to show a blank screen for
half a minute, and ``rollout advance --wait`` slept through a 24 h soak without a word. Commands
now report what they have done through a plain callback (see ``commands.edges.Progress``); this
module turns that into a rich bar with what is done, the rate and the time left. It stays silent
in a pipe, under CI, in JSON mode and on a dumb terminal, so machine output and logs never carry
it, and it waits ``after`` seconds before it appears, so a command that finishes quickly prints
nothing extra.

Three kinds of bar, by unit: ``bytes`` (validate: bytes done of the total, their rate, time
left), ``bytes`` told in ``items`` (dry-run: the fixtures done and their rate, time left from the
bytes), ``seconds`` (a soak: the time left of it, which is known, not estimated); any other unit
is a count with its rate.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Mapping

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, TaskID

    from optctl.commands.edges import Advance

DEFAULT_AFTER_SECONDS = 0.5
AFTER_VARIABLE = "OPTCTL_PROGRESS_AFTER"  # seconds before a bar appears (0: at once)
REDRAW_SECONDS = 0.1


def wanted(stream: IO[str], environ: Mapping[str, str], quiet: bool = False) -> bool:
    """A person is watching ``stream``: a terminal, not CI, not asked for machine output."""
    if quiet or environ.get("CI") or environ.get("TERM") in ("dumb", "unknown"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _ignore(amount: float, /, items: int = 0) -> None:
    """The advance of work nobody watches: one call, nothing else."""


class Bars:
    """``Bars(quiet=...)`` is what the CLI hands a command as its progress edge.

    ``with bars("validating", total, "bytes") as advance: advance(n)`` reports ``n`` more units
    of work; ``total`` may be None (the count and rate are shown, no bar or time left).
    ``console``: draw on that console (stderr) rather than a new one, so that the bar stacks
    under a live display already on it (the rollout commands' spinner) instead of fighting it.
    """

    def __init__(
        self,
        quiet: bool = False,
        stream: IO[str] | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        console: Console | None = None,
    ):
        self.console = console
        self.stream: IO[str] = console.file if console is not None else sys.stderr if stream is None else stream
        environ = os.environ if environ is None else environ
        self.enabled = wanted(self.stream, environ, quiet)
        self.after = _seconds(environ.get(AFTER_VARIABLE), DEFAULT_AFTER_SECONDS)
        self.clock = clock

    @contextmanager
    def __call__(self, description: str, total: float | None, unit: str, items: str | None = None) -> Iterator[Advance]:
        if not self.enabled:
            yield _ignore
            return
        shown = _LateBar(self, description, total, unit, items)
        try:
            yield shown.advance
        finally:
            shown.stop()


class _LateBar:
    """Counts from the start, and draws the rich bar only once the work has run ``after`` seconds."""

    def __init__(self, bars: Bars, description: str, total: float | None, unit: str, items: str | None):
        self.bars, self.description, self.total, self.unit, self.noun = bars, description, total, unit, items
        self.started = self.told = bars.clock()
        self.done = 0.0
        self.items = 0
        self.shown: tuple[Progress, TaskID] | None = None

    def advance(self, amount: float, /, items: int = 0) -> None:
        # Called once a document: the bar is redrawn at most every REDRAW_SECONDS, so it costs
        # the work a clock read, not a redraw.
        self.done += amount
        self.items += items
        now = self.bars.clock()
        if self.shown is None:
            if now - self.started >= self.bars.after:
                self._show(now)
        elif now - self.told >= REDRAW_SECONDS:
            self.told = now
            progress, task = self.shown
            progress.update(task, completed=self.done, refresh=True, **self._fields(now))

    def _fields(self, now: float) -> dict[str, Any]:
        """What the text columns show, worked out on the bar's own clock (a test's, in tests)."""
        elapsed = now - self.started
        fields: dict[str, Any] = {"items": "", "rate": "", "left": ""}
        if self.noun is not None:
            fields["items"] = f"{self.items:,} {self.noun}"
            fields["rate"] = f"{self.items / elapsed:,.0f} {self.noun}/s" if elapsed > 0 and self.items else ""
        if self.unit == "seconds" and self.total is not None:
            from optctl.rollout.plan import format_seconds

            fields["left"] = f"{format_seconds(self.total - self.done)} left"
        return fields

    def _show(self, now: float) -> None:
        from rich.console import Console
        from rich.progress import Progress

        console = self.bars.console or Console(file=self.bars.stream, stderr=True)
        columns = _columns(self.unit, self.total is not None, self.noun is not None)
        progress = Progress(*columns, console=console, transient=True)
        task = progress.add_task(self.description, total=self.total, completed=int(self.done), **self._fields(now))
        progress.start()
        progress.refresh()  # at once: stacked under another live display, it is otherwise drawn only with that one
        self.shown = progress, task

    def stop(self) -> None:
        if self.shown is not None:
            progress, task = self.shown
            progress.update(task, completed=self.done, **self._fields(self.bars.clock()))
            progress.stop()


def _columns(unit: str, bounded: bool, told_in_items: bool) -> list[ProgressColumn]:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar: list[ProgressColumn] = [BarColumn()] if bounded else []
    done: list[ProgressColumn]
    if unit == "seconds":
        return [TextColumn("{task.description}"), *bar, TextColumn("{task.fields[left]}")]
    if told_in_items:
        done = [TextColumn("{task.fields[items]}"), TextColumn("{task.fields[rate]}")]
    elif unit == "bytes":
        done = [DownloadColumn(), TransferSpeedColumn()]
    else:
        done = [MofNCompleteColumn() if bounded else TextColumn("{task.completed:,.0f}"), TextColumn(unit), _rate(unit)]
    return [TextColumn("{task.description}"), *bar, *done, TimeRemainingColumn() if bounded else TimeElapsedColumn()]


def _rate(unit: str) -> Any:
    """Units per second, once rich has seen enough to estimate it."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text("" if task.speed is None else f"{task.speed:,.0f} {unit}/s", style="progress.data.speed")

    return Rate()


def _seconds(text: str | None, default: float) -> float:
    try:
        return max(0.0, float(text)) if text else default
    except ValueError:
        return default
