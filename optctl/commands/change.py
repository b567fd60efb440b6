"""``enable | disable | set | apply | rollback | import``: change one environment, all through one flow.

plan (read the store and decide, in ``optctl.services``) -> preview (the caller shows the diff)
-> confirm (a person on a terminal answers; a script passes --yes) -> commit (one atomic,
revision-checked unit) -> a result saying what was recorded. Nothing here prints or asks by
itself: the CLI injects ``Edges.preview`` and ``Edges.confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from optctl.commands.edges import Edges
from optctl.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from optctl.services import actions
from optctl.services.changes import ChangePlan
from optctl.settings.context import RunContext
from optctl.settings.project import EnvironmentConfig
from optctl.stores.base import HistoryEntry, Store

Planner = Callable[[Store, EnvironmentConfig], ChangePlan]


@dataclass(frozen=True)
class WriteOptions:
    """The options every writing command takes (the project brief's rules for a write)."""

    env: str | None = None
    config: Path | None = None
    reason: str | None = None
    dry_run: bool = False
    yes: bool = False


@dataclass(frozen=True)
class ChangeResult:
    """What a change command planned and what it wrote (nothing on a dry run or a "no")."""

    context: RunContext
    plan: ChangePlan
    dry_run: bool
    written: tuple[HistoryEntry, ...] = ()
    cancelled: bool = False  # a person answered no

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.cancelled else EXIT_OK


def enable(services: Sequence[str], options: WriteOptions = WriteOptions(), edges: Edges = Edges()) -> ChangeResult:
    return change(lambda store, _: actions.plan_flip(store, services, True), options, edges)


def disable(services: Sequence[str], options: WriteOptions = WriteOptions(), edges: Edges = Edges()) -> ChangeResult:
    return change(lambda store, _: actions.plan_flip(store, services, False), options, edges)


def set_fields(
    service: str, assignments: Sequence[str], options: WriteOptions = WriteOptions(), edges: Edges = Edges()
) -> ChangeResult:
    return change(lambda store, _: actions.plan_set(store, service, assignments), options, edges)


def apply(
    file: str, services: Sequence[str] = (), options: WriteOptions = WriteOptions(), edges: Edges = Edges()
) -> ChangeResult:
    return change(lambda store, env: actions.plan_apply(store, env, file, services), options, edges)


def rollback(
    service: str, to_revision: str | None = None, options: WriteOptions = WriteOptions(), edges: Edges = Edges()
) -> ChangeResult:
    return change(lambda store, _: actions.plan_rollback(store, service, to_revision), options, edges)


def import_documents(file: str, options: WriteOptions = WriteOptions(), edges: Edges = Edges()) -> ChangeResult:
    return change(lambda store, env: actions.plan_import(store, env, file), options, edges)


def change(plan: Planner, options: WriteOptions, edges: Edges) -> ChangeResult:
    """ChangePlan with ``plan(store, env)``, preview, confirm, commit: the one path every change takes."""
    project = edges.load_project(options.config)
    env = project.env(options.env)
    with edges.opened(env) as store:
        planned = ChangeResult(RunContext.of(project, [env]), plan(store, env), options.dry_run)
        edges.preview(planned)
        if not planned.plan.changes or options.dry_run:
            return planned
        if not options.yes and not _confirmed(edges, f"write {len(planned.plan.changes)} change(s) to {env.name}?"):
            return replace(planned, cancelled=True)
        # One atomic transaction: there is no honest fraction to show, so the bar (if the write
        # runs long enough to get one) counts time and, at the end, the changes written.
        with edges.progress(f"writing {len(planned.plan.changes)} change(s) to {env.name}", None, "changes") as advance:
            written = actions.commit(store, planned.plan, edges.actor(), options.reason)
            advance(len(written))
    return replace(planned, written=tuple(written))


def _confirmed(edges: Edges, question: str) -> bool:
    answer = edges.confirm(question)
    if answer is None:
        raise UsageError("not a terminal, so nothing to ask: pass --yes to write, or --dry-run to only look; nothing was written")
    return answer
