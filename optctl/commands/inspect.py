"""``show | history | diff | export``: look at the stores, never write (``status`` is ``commands.status``).

Each function reads what it needs through ``Edges`` and returns a result carrying the
``RunContext`` (which project, which stores), so that an empty answer from the embedded default
store, used because no project file was found, says so instead of passing for an empty production.
"""

from __future__ import annotations

import heapq
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from optctl.commands.edges import Edges
from optctl.errors import EXIT_OK, EXIT_PROBLEMS, NotFoundError, UsageError
from optctl.services import actions, window
from optctl.services.diff import Difference, ServiceDifference, diff, environment_differences
from optctl.settings.context import RunContext
from optctl.settings.project import EnvironmentConfig, Project
from optctl.stores.base import HistoryEntry, StoredDocument

# The history table's length when no --limit is given: a long history is hundreds of thousands
# of rows, which no one reads in a terminal; --since/--until or --all reach the rest.
DEFAULT_HISTORY_LIMIT = 50


@dataclass(frozen=True)
class ShowResult:
    context: RunContext
    env: str
    stored: StoredDocument
    exit_code: int = EXIT_OK


def show(service: str, env: str | None = None, config: Path | None = None, edges: Edges = Edges()) -> ShowResult:
    project = edges.load_project(config)
    environment = project.env(env)
    context = RunContext.of(project, [environment])
    with edges.opened(environment) as store:
        try:
            stored = store.read(service)
        except NotFoundError as err:
            if context.embedded and not store.list_services():
                raise NotFoundError(f"{err}; {context.embedded_hint}") from None
            raise
    return ShowResult(context, environment.name, stored)


@dataclass(frozen=True)
class HistoryLine:
    """One recorded change and its differences, ready to show."""

    entry: HistoryEntry
    differences: list[Difference]


@dataclass(frozen=True)
class HistoryResult:
    context: RunContext
    lines: list[HistoryLine]
    exit_code: int = EXIT_OK
    limit: int | None = None  # how many were asked for
    more: bool = False  # older entries in the window were left out

    @property
    def entries(self) -> list[HistoryEntry]:
        return [line.entry for line in self.lines]

    @property
    def empty_embedded(self) -> bool:
        return not self.lines and self.context.embedded


def history(
    service: str | None = None,
    envs: Sequence[str] = (),
    limit: int | None = None,
    config: Path | None = None,
    edges: Edges = Edges(),
    since: str | None = None,
    until: str | None = None,
) -> HistoryResult:
    """The newest ``limit`` entries (``DEFAULT_HISTORY_LIMIT`` if None) of the chosen environments
    within ``since``/``until`` (``7d`` or a time), merged by time, oldest first."""
    project, chosen, bounds = _history_scope(envs, config, edges, since, until)
    keep = limit or DEFAULT_HISTORY_LIMIT
    entries: list[HistoryEntry] = []
    for env in chosen:
        with edges.opened(env) as store:
            entries += store.history(service, keep + 1, **bounds)  # one more says whether there are more
    entries.sort(key=lambda entry: entry.at)
    kept = entries[-keep:]
    return HistoryResult(RunContext.of(project, chosen), [_line(entry) for entry in kept], limit=keep, more=len(entries) > keep)


@dataclass(frozen=True)
class HistoryStream:
    """Every entry in the window, oldest first, read as it is consumed (``history --all``)."""

    context: RunContext
    entries: Iterator[HistoryEntry]
    exit_code: int = EXIT_OK

    def lines(self) -> Iterator[HistoryLine]:
        return map(_line, self.entries)


@contextmanager
def history_stream(
    service: str | None = None,
    envs: Sequence[str] = (),
    config: Path | None = None,
    edges: Edges = Edges(),
    since: str | None = None,
    until: str | None = None,
) -> Iterator[HistoryStream]:
    """Open the chosen environments' stores and merge their histories by time, in constant memory."""
    project, chosen, bounds = _history_scope(envs, config, edges, since, until)
    with ExitStack() as stack:
        streams = [stack.enter_context(edges.opened(env)).iter_history(service, **bounds) for env in chosen]
        merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda entry: entry.at)
        yield HistoryStream(RunContext.of(project, chosen), merged)


def _history_scope(
    envs: Sequence[str], config: Path | None, edges: Edges, since: str | None, until: str | None
) -> tuple[Project, list[EnvironmentConfig], dict[str, str | None]]:
    now = edges.now()
    bounds = {"since": window.bound("--since", since, now), "until": window.bound("--until", until, now)}
    project = edges.load_project(config)
    return project, project.select(list(envs) or None), bounds


def _line(entry: HistoryEntry) -> HistoryLine:
    return HistoryLine(entry, diff(entry.before, entry.after))


@dataclass(frozen=True)
class DiffResult:
    context: RunContext
    first: str
    second: str
    services: list[ServiceDifference]

    @property
    def exit_code(self) -> int:
        """1 when the environments differ, as ``diff(1)`` does."""
        return EXIT_PROBLEMS if self.services else EXIT_OK


def environments_diff(envs: Sequence[str], config: Path | None = None, edges: Edges = Edges()) -> DiffResult:
    """Where two environments differ: services only one has, and settings that differ (secrets never compared)."""
    if len(envs) != 2:
        raise UsageError("diff compares two environments: give --env A --env B")
    project = edges.load_project(config)
    first, second = project.env(envs[0]), project.env(envs[1])
    with edges.opened(first) as a_store, edges.opened(second) as b_store:
        a, b = a_store.read_many(), b_store.read_many()
    return DiffResult(
        RunContext.of(project, [first, second]), first.name, second.name, environment_differences(first.name, a, second.name, b)
    )


@dataclass(frozen=True)
class ExportResult:
    context: RunContext
    documents: list[dict[str, Any]]  # redacted unless secrets were asked for
    exit_code: int = EXIT_OK

    @property
    def empty_embedded(self) -> bool:
        return not self.documents and self.context.embedded


def export(
    env: str | None = None, include_secrets: bool = False, config: Path | None = None, edges: Edges = Edges()
) -> ExportResult:
    """All documents of one environment, as ``import`` reads them back."""
    project = edges.load_project(config)
    environment = project.env(env)
    with edges.opened(environment) as store, edges.progress(f"reading {environment.name}", None, "documents") as advance:
        documents = actions.export(store, include_secrets)
        advance(len(documents))
    return ExportResult(RunContext.of(project, [environment]), documents)
