"""Environments: which store each environment lives in, from ``optctl.toml`` or the embedded default.

Lookup order for the project file: ``--config``, then ``OPTCTL_CONFIG``, then the nearest
``optctl.toml`` up from the working folder. With none, optctl uses the embedded default: one
SQLite file under ``OPTCTL_HOME`` (default: the user's data folder) holding the environments
``dev``, ``staging`` and ``production``.

Credentials are never written in the project file and never taken from argv: the file names
the environment variables or files that hold them, and ``optctl.settings.credentials`` reads
them only when a store opens. Who is acting is ``optctl.settings.identity``; the commented
template ``optctl init`` writes is ``optctl.settings.template``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from optctl.errors import UsageError
from optctl.settings.credentials import read_credential
from optctl.settings import waits


PROJECT_FILE = "optctl.toml"
EMBEDDED_FILE = "optctl.db"
EMBEDDED_ENVIRONMENTS = ("dev", "staging", "production")
SQLITE_SCHEME = "sqlite:///"
ARANGO_SCHEMES = ("arangodb://", "arangodb+https://")


@dataclass(frozen=True)
class EnvironmentConfig:
    """One environment's store settings. Credentials are named here, never stored here."""

    name: str
    url: str  # sqlite:///path/to/file.db | arangodb://host:8529/db | arangodb+https://host:8529/db
    collection: str = "ai_configs"
    history_collection: str = "optctl_history"
    username_env: str | None = None
    password_env: str | None = None
    username_file: str | None = None
    password_file: str | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None
    request_timeout: float | None = None  # ArangoDB: seconds a request waits for its reply (settings/waits.py)
    keys: dict[str, str] = field(default_factory=dict)  # service name -> document key
    lock_timeout: float | None = None  # seconds; None: OPTCTL_LOCK_TIMEOUT or the default (settings/waits.py)

    def key_for(self, service: str) -> str:
        return self.keys.get(service, service)

    def service_for(self, key: str) -> str:
        for service, mapped in self.keys.items():
            if mapped == key:
                return service
        return key

    def credentials(self, environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
        """(username, password) from the named variables or files; ``None`` where none is named."""
        environ = os.environ if environ is None else environ
        return (
            read_credential(self.name, "username", self.username_env, self.username_file, environ),
            read_credential(self.name, "password", self.password_env, self.password_file, environ),
        )


@dataclass(frozen=True)
class RolloutsConfig:
    """Where rollout records live: in one environment's own store (``[rollouts]``), so that everyone
    using the project file sees the same rollouts. The collections are ArangoDB's; on SQLite the
    records are tables in that environment's file."""

    environment: str
    collection: str = "optctl_rollouts"
    journal_collection: str = "optctl_rollout_journal"


@dataclass(frozen=True)
class Project:
    """All environments optctl controls, in the order the project file lists them."""

    environments: dict[str, EnvironmentConfig]
    source: Path | None  # the optctl.toml read, or None for the embedded default
    rollouts: RolloutsConfig | None = None  # None: the production environment's store (else the last one's)

    def rollouts_config(self) -> RolloutsConfig:
        if self.rollouts is not None:
            return self.rollouts
        return RolloutsConfig("production" if "production" in self.environments else list(self.environments)[-1])

    @property
    def names(self) -> list[str]:
        return list(self.environments)

    def env(self, name: str | None) -> EnvironmentConfig:
        """One environment; without a name only a one-environment project has an obvious choice."""
        if name is None:
            if len(self.environments) == 1:
                return next(iter(self.environments.values()))
            raise UsageError(f"choose an environment with --env (or OPTCTL_ENV): {', '.join(self.names)}")
        if name not in self.environments:
            raise UsageError(f"no environment {name!r} in {self.describe()}; choose one of: {', '.join(self.names)}")
        return self.environments[name]

    def select(self, names: list[str] | None) -> list[EnvironmentConfig]:
        """The named environments, or all of them."""
        return [self.env(name) for name in names] if names else list(self.environments.values())

    def describe(self) -> str:
        return str(self.source) if self.source else "the embedded default store"


def optctl_home(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get("OPTCTL_HOME"):
        return Path(environ["OPTCTL_HOME"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("optctl"))


def find_project_file(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path | None:
    """``--config``, then ``OPTCTL_CONFIG``, then the nearest ``optctl.toml`` up from ``cwd``."""
    environ = os.environ if environ is None else environ
    named = explicit or (Path(environ["OPTCTL_CONFIG"]) if environ.get("OPTCTL_CONFIG") else None)
    if named is not None:
        if not named.is_file():
            raise UsageError(f"{named}: no such project file; run `optctl init` to write one, or drop --config/OPTCTL_CONFIG")
        return named
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder / PROJECT_FILE
    return None


def load_project(explicit: Path | None = None, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Project:
    path = find_project_file(explicit, environ, cwd)
    if path is None:
        return embedded_project(environ)
    return parse_project(read_toml(path), path)


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file, or one line naming it and what to do (exit 2): never a traceback."""
    import tomllib  # here: the embedded default reads no file, and a run without one skips its import

    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UsageError(f"{path}: cannot read ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise UsageError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); TOML files are UTF-8, save it as UTF-8"
        ) from None
    hint = "fix the file or run `optctl init` in an empty folder for a template"
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: invalid TOML: {err}; {hint}") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise UsageError(f"{path}: invalid TOML: arrays or inline tables nested too deep to read; {hint}") from None
    except ValueError:  # an integer literal longer than Python converts
        raise UsageError(f"{path}: invalid TOML: an integer over {sys.get_int_max_str_digits():,} digits; {hint}") from None


def embedded_project(environ: Mapping[str, str] | None = None) -> Project:
    url = sqlite_url(optctl_home(environ) / EMBEDDED_FILE)
    return Project({name: EnvironmentConfig(name, url) for name in EMBEDDED_ENVIRONMENTS}, None)


def sqlite_url(path: Path) -> str:
    return SQLITE_SCHEME + str(path)


_SETTINGS = {f.name for f in fields(EnvironmentConfig)} - {"name"}


def parse_project(data: dict[str, Any], path: Path) -> Project:
    """Environments from a parsed ``optctl.toml``; relative SQLite paths are relative to the file."""
    unknown = sorted(set(data) - {"environments", "rollouts", "savings"})  # [savings]: optctl.savings.attribution reads it
    if unknown:
        raise UsageError(
            f"{path}: unknown top-level key {unknown[0]!r}; optctl.toml holds [environments.NAME] tables, [rollouts] and [savings]"
        )
    tables = data.get("environments")
    if not isinstance(tables, dict) or not tables:
        raise UsageError(f"{path}: no [environments.NAME] table; add one per environment (see `optctl init`)")
    environments = {name: _environment(name, table, path) for name, table in tables.items()}
    return Project(environments, path, _rollouts(data.get("rollouts"), environments, path))


_ROLLOUTS_KEYS = {"environment", "collection", "journal_collection"}


def _rollouts(table: Any, environments: dict[str, EnvironmentConfig], path: Path) -> RolloutsConfig | None:
    if table is None:
        return None
    where = f"{path}: [rollouts]"
    if not isinstance(table, dict) or set(table) - _ROLLOUTS_KEYS or not all(isinstance(v, str) and v for v in table.values()):
        raise UsageError(
            f'{where} takes environment = "production" (whose store holds the rollout records), '
            "and optionally collection / journal_collection names (ArangoDB)"
        )
    settings = dict(table)
    environment = settings.pop("environment", "production" if "production" in environments else list(environments)[-1])
    if environment not in environments:
        raise UsageError(
            f"{where}: environment {environment!r} is not in [environments]; choose one of: {', '.join(environments)}"
        )
    return RolloutsConfig(environment, **settings)


def _environment(name: str, table: Any, path: Path) -> EnvironmentConfig:
    where = f"{path}: [environments.{name}]"
    if not isinstance(table, dict):
        raise UsageError(f'{where} must be a table with at least url = "..."')
    unknown = sorted(set(table) - _SETTINGS)
    if unknown:
        hint = (
            "; credentials go in variables or files named by username_env/password_env/username_file/password_file"
            if any(k in ("username", "password", "user") for k in unknown)
            else f"; known keys: {', '.join(sorted(_SETTINGS))}"
        )
        raise UsageError(f"{where}: unknown key {unknown[0]!r}{hint}")
    if not isinstance(table.get("url"), str):
        raise UsageError(f'{where}: url = "sqlite:///optctl.db" or "arangodb://host:8529/database" is required')
    settings = dict(table)
    settings["url"] = _resolve_url(settings["url"], path.parent, where)
    keys = settings.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise UsageError(f'{where}: keys must be a table of service = "document key"')
    if len(set(keys.values())) != len(keys):
        raise UsageError(f"{where}: keys maps two services to the same document key; give each its own")
    for setting in (
        "collection",
        "history_collection",
        "username_env",
        "password_env",
        "username_file",
        "password_file",
        "ca_bundle",
    ):
        if setting in settings and not isinstance(settings[setting], str):
            raise UsageError(f"{where}: {setting} must be a string")
    if not isinstance(settings.get("verify_tls", True), bool):
        raise UsageError(f"{where}: verify_tls must be true or false")
    for setting in waits.DEFAULTS:
        if setting in settings:
            settings[setting] = waits.checked(setting, settings[setting], where)
    return EnvironmentConfig(name=name, **settings)


def _resolve_url(url: str, base: Path, where: str) -> str:
    if url.startswith(SQLITE_SCHEME):
        file = Path(url.removeprefix(SQLITE_SCHEME)).expanduser()
        if not str(file) or str(file) == ".":
            raise UsageError(
                f"{where}: url {url!r} names no file; write sqlite:///optctl.db (relative to optctl.toml) or sqlite:////absolute/path.db"
            )
        return sqlite_url(file if file.is_absolute() else base / file)
    if url.startswith(ARANGO_SCHEMES):
        return url
    raise UsageError(f"{where}: url {url!r} is neither sqlite:///... nor arangodb://... / arangodb+https://...")
