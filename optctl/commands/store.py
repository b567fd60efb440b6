"""``optctl store init | check | verify``: set up an ArangoDB environment, check it, settle an unknown write.

``init`` creates the collections and persistent indexes every query needs (idempotent: run it
on every deployment, as often as you like); ``check`` prints one pass/fail line each for
reachability, version, permissions, collections, indexes, each query's plan and whether the
deployment commits documents and history atomically; ``verify`` says whether a write whose
outcome was reported unknown was stored, by its operation id. The embedded SQLite store
needs none of this: it creates its tables when it opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from optctl.commands.edges import Edges
from optctl.errors import EXIT_OK, EXIT_PROBLEMS
from optctl.settings.context import RunContext
from optctl.settings.project import SQLITE_SCHEME, EnvironmentConfig
from optctl.stores.base import HistoryEntry

if TYPE_CHECKING:
    from optctl.stores.arango_connection import ArangoConnection
    from optctl.stores.arango_layout import Layout, Line

Connect = Callable[[EnvironmentConfig], "ArangoConnection"]


@dataclass(frozen=True)
class StoreLinesResult:
    """What ``init`` did, or what ``check`` found: one line each."""

    context: RunContext
    env: str
    lines: list[Line]

    @property
    def exit_code(self) -> int:
        return EXIT_OK if all(line.ok for line in self.lines) else EXIT_PROBLEMS


@dataclass(frozen=True)
class VerifyResult:
    context: RunContext
    env: str
    operation: str
    entries: list[HistoryEntry]

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.entries else EXIT_PROBLEMS


def init(
    env: str | None = None,
    config: Path | None = None,
    edges: Edges = Edges(),
    connect: Connect | None = None,
    rollouts: bool = False,
) -> StoreLinesResult:
    """``rollouts``: also the rollout records' collections, in this environment's database."""
    return _lines(env, config, edges, connect, lambda conn, layout: _layout_module().ensure(conn, layout), rollouts)


def check(
    env: str | None = None,
    config: Path | None = None,
    edges: Edges = Edges(),
    connect: Connect | None = None,
    rollouts: bool = False,
) -> StoreLinesResult:
    return _lines(env, config, edges, connect, lambda conn, layout: _layout_module().check(conn, layout), rollouts)


def verify(operation: str, env: str | None = None, config: Path | None = None, edges: Edges = Edges()) -> VerifyResult:
    """The history entries operation ``operation`` stored: none means it was not written."""
    from optctl.errors import UsageError

    project = edges.load_project(config)
    environment = project.env(env)
    if environment.url.startswith(SQLITE_SCHEME):
        raise UsageError(f"environment {environment.name!r} is a SQLite store: its writes never end unknown; nothing to verify")
    with edges.opened(environment) as store:
        entries = store.find_operation(operation)  # type: ignore[attr-defined]
    return VerifyResult(RunContext.of(project, [environment]), environment.name, operation, entries)


def _lines(
    env: str | None,
    config: Path | None,
    edges: Edges,
    connect: Connect | None,
    act: Callable[[ArangoConnection, Layout], list[Line]],
    rollouts: bool,
) -> StoreLinesResult:
    project = edges.load_project(config)
    environment = project.env(env)
    context = RunContext.of(project, [environment])
    layouts = _layout_module()
    if environment.url.startswith(SQLITE_SCHEME):
        return StoreLinesResult(
            context,
            environment.name,
            [
                layouts.Line(
                    "store",
                    True,
                    f"SQLite {environment.url.removeprefix(SQLITE_SCHEME)}: optctl creates its tables when it opens it",
                )
            ],
        )
    if connect is None:
        from optctl.stores.arango_connection import ArangoConnection

        connect = ArangoConnection.open
    layout = layouts.documents_layout(environment)
    where = project.rollouts_config()
    if rollouts or where.environment == environment.name:  # the records live where [rollouts] says
        from optctl.rollout.records.arango import layout as records_layout

        layout += records_layout(where)
    connection = connect(environment)
    try:
        return StoreLinesResult(context, environment.name, act(connection, layout))
    finally:
        connection.close()


def _layout_module():  # noqa: ANN202 - the module, imported only when a store command runs (python-arango is slow to load)
    from optctl.stores import arango_layout

    return arango_layout
