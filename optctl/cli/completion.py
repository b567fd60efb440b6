"""Shell completion of environment names, service names and rollout ids.

Completion runs on every TAB, so it reads only what is cheap and local: the project file and
SQLite files that already exist. An ArangoDB environment completes no service names (that would
be a network round trip per keystroke), and any failure completes nothing rather than printing
an error into the user's shell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable


def _quietly(names: Callable[[Any], Iterable[str]]) -> Callable[[Any, str], list[str]]:
    def complete(ctx: Any, incomplete: str) -> list[str]:
        try:
            return sorted(name for name in set(names(ctx)) if name.startswith(incomplete))
        except Exception:  # completion must never break the shell; nothing is the honest answer
            return []

    complete.__doc__ = names.__doc__
    return complete


def _project(ctx: Any) -> Any:
    from optctl.settings.project import load_project

    while ctx is not None and "config" not in ctx.params:
        ctx = ctx.parent
    return load_project(ctx.params.get("config") if ctx is not None else None)


def _env_names(ctx: Any) -> Iterable[str]:
    """Environment names from the project file (or the embedded default)."""
    return _project(ctx).names


def _service_names(ctx: Any) -> Iterable[str]:
    """Service names in the chosen environment(s), read from SQLite stores that exist."""
    from optctl.stores.factory import open_store

    project = _project(ctx)
    chosen = ctx.params.get("env")
    names = [chosen] if isinstance(chosen, str) else list(chosen or project.names)
    for env in project.select(names):
        if not _local_file(env.url):
            continue
        store = open_store(env)
        try:
            yield from store.list_services()
        finally:
            store.close()


def _rollout_ids(ctx: Any) -> Iterable[str]:
    """Ids of the rollouts recorded in the project's rollout store, when that is a SQLite file that exists."""
    from optctl.rollout.records import open_records

    project = _project(ctx)
    if not _local_file(project.env(project.rollouts_config().environment).url):
        return []
    records = open_records(project)
    try:
        return [rollout.id for rollout in records.list()]
    finally:
        records.close()


def _local_file(url: str) -> bool:
    from optctl.settings.project import SQLITE_SCHEME

    return url.startswith(SQLITE_SCHEME) and Path(url.removeprefix(SQLITE_SCHEME)).is_file()


complete_env = _quietly(_env_names)
complete_service = _quietly(_service_names)
complete_rollout = _quietly(_rollout_ids)
