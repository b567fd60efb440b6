"""Which project and which stores a command used: said on every command, so a look at the wrong
store (the embedded default when the project file was not found) never passes for an empty production.

Pure: built from the ``Project`` already loaded. Store identities never carry credentials: the
project file only names where they are, and a user:password written into an ArangoDB URL is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import urlsplit, urlunsplit

from optctl.settings.project import EMBEDDED_FILE, SQLITE_SCHEME, EnvironmentConfig, Project, optctl_home


@dataclass(frozen=True)
class StoreIdentity:
    """Where one environment's documents live, without credentials."""

    env: str
    backend: str  # sqlite | arangodb
    location: str  # the SQLite file, or the ArangoDB server and database
    collection: str | None = None  # ArangoDB only

    @classmethod
    def of(cls, env: EnvironmentConfig) -> StoreIdentity:
        if env.url.startswith(SQLITE_SCHEME):
            return cls(env.name, "sqlite", env.url.removeprefix(SQLITE_SCHEME))
        parts = urlsplit(env.url)
        # host:port[,host:port...]: several coordinators; drop any user:pass@ before them
        netloc = parts.netloc.rpartition("@")[2]
        return cls(env.name, "arangodb", urlunsplit((parts.scheme, netloc, parts.path, "", "")), env.collection)

    @property
    def where(self) -> str:
        return f"{self.backend} {self.location}" + (f" collection {self.collection}" if self.collection else "")

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"backend": self.backend, "location": self.location}
        if self.collection is not None:
            shown["collection"] = self.collection
        return shown


@dataclass(frozen=True)
class RunContext:
    """The project a command read and the stores of the environments it used."""

    project_file: str | None  # None: no optctl.toml found, the embedded default was used
    embedded_default: str | None  # the embedded default's SQLite file, when used
    stores: tuple[StoreIdentity, ...] = ()

    @classmethod
    def of(cls, project: Project, environments: Sequence[EnvironmentConfig] = ()) -> RunContext:
        stores = tuple(StoreIdentity.of(env) for env in environments)
        if project.source is not None:
            return cls(str(project.source), None, stores)
        # The embedded default is one SQLite file holding every environment.
        first = next(iter(project.environments.values()), None)
        return cls(None, first.url.removeprefix(SQLITE_SCHEME) if first else str(optctl_home() / EMBEDDED_FILE), stores)

    @property
    def embedded(self) -> bool:
        """True when no project file was found: the reads went to the embedded default store."""
        return self.project_file is None

    @property
    def project(self) -> str:
        return self.project_file if self.project_file is not None else f"embedded default at {self.embedded_default}"

    @property
    def embedded_hint(self) -> str:
        """What an empty read of the embedded default says, so it never passes for an empty production."""
        return (
            f"no optctl.toml found here or above, so this is the embedded default store at {self.embedded_default}; "
            "pass --config FILE (or set OPTCTL_CONFIG) for your project's stores, or run `optctl init` to write a project file"
        )

    def grouped_stores(self) -> list[tuple[list[str], str]]:
        """(environments, where) with environments sharing one store named together, in order."""
        groups: dict[str, list[str]] = {}
        for store in self.stores:
            groups.setdefault(store.where, []).append(store.env)
        return [(envs, where) for where, envs in groups.items()]

    def to_json(self) -> dict[str, Any]:
        """The ``project`` and ``store`` fields every command's JSON carries."""
        return {
            "project": {"file": self.project_file, "embedded_default": self.embedded_default},
            "store": {store.env: store.to_json() for store in self.stores},
        }
