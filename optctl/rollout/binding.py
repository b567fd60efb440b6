"""A rollout is bound to the stores it was started on.

At start the record keeps, for every environment it touches, the identity of that
environment's store (url, database, collection) and the project file it came from. Every
later command compares the stores it resolved with those before it does anything: run from
another folder, by cron without ``--config``, or with another project file, it refuses with
one line naming the project file to use, instead of writing a stage to the wrong store.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel

from optctl.errors import UsageError
from optctl.settings.project import SQLITE_SCHEME, EnvironmentConfig, Project


class StoreIdentity(BaseModel):
    url: str  # a SQLite file's absolute path, or the ArangoDB url (its path is the database)
    database: str
    collection: str


class Binding(BaseModel):
    project_file: str | None  # None: the embedded default under OPTCTL_HOME
    digest: str  # of the touched environments' tables, to tell two copies of a project file apart
    stores: dict[str, StoreIdentity]


def identity(env: EnvironmentConfig) -> StoreIdentity:
    if env.url.startswith(SQLITE_SCHEME):
        path = Path(env.url.removeprefix(SQLITE_SCHEME)).expanduser().resolve()
        return StoreIdentity(url=SQLITE_SCHEME + str(path), database=str(path), collection=env.name)
    url = env.url.rstrip("/")
    return StoreIdentity(url=url, database=url.rsplit("/", 1)[-1], collection=env.collection)


def bind(project: Project, environments: list[str]) -> Binding:
    stores = {name: identity(project.env(name)) for name in dict.fromkeys(environments)}
    tables = {name: {"url": s.url, "collection": s.collection, "keys": project.env(name).keys} for name, s in stores.items()}
    digest = hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()[:16]
    source = str(project.source.resolve()) if project.source else None
    return Binding(project_file=source, digest=digest, stores=stores)


def check(rollout_id: str, bound: Binding | None, project: Project) -> None:
    """Refuse, before anything is done, when ``project`` resolves other stores than the rollout's."""
    if bound is None:  # recorded before rollouts were bound
        return
    started_with = bound.project_file or "the embedded default store (no optctl.toml)"
    use = (
        f"run it with --config {bound.project_file} (or OPTCTL_CONFIG)"
        if bound.project_file
        else "run it where no optctl.toml is found, without --config/OPTCTL_CONFIG"
    )
    for name, expected in bound.stores.items():
        if name not in project.environments:
            raise UsageError(
                f"rollout {rollout_id} was started with {started_with}, which has environment {name!r}; "
                f"{project.describe()} has none; {use}; nothing was done"
            )
        found = identity(project.env(name))
        if found != expected:
            raise UsageError(
                f"rollout {rollout_id} was started with {started_with}: its {name} is {expected.url} "
                f"({expected.collection}), but {project.describe()} resolves {found.url} ({found.collection}); "
                f"{use}; nothing was done"
            )
