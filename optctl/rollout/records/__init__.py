"""Where a project's rollouts are recorded: in its own store, beside the documents they change
(``[rollouts]`` in optctl.toml; by default the production environment's store)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from optctl.errors import UsageError
from optctl.rollout.records.base import Event, Principal, RecordStore

if TYPE_CHECKING:
    from optctl.settings.project import Project

__all__ = ["Event", "Principal", "RecordStore", "open_records"]


def open_records(project: Project) -> RecordStore:
    """The record store the project names; backends are imported only when used."""
    from optctl.settings.project import ARANGO_SCHEMES, SQLITE_SCHEME

    where = project.rollouts_config()
    env = project.env(where.environment)
    if env.url.startswith(SQLITE_SCHEME):
        from optctl.rollout.records.sqlite import SqliteRecords

        return SqliteRecords(Path(env.url.removeprefix(SQLITE_SCHEME)))
    if env.url.startswith(ARANGO_SCHEMES):
        from optctl.rollout.records.arango import ArangoRecords

        return ArangoRecords.open(env, where)
    raise UsageError(f"environment {env.name!r}: unsupported store url {env.url!r}")
