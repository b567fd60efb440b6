"""Which usage belongs to which service: the ``[savings]`` tables of optctl.toml.

The usage report knows API keys, workspaces and models, not services. The project file says
which API key id or workspace id each service uses in each environment, and which prompt
fixtures stand for a service (for the dry-run prediction beside the measurement)::

    [savings.attribution.production]
    indexing = { api_key_ids = ["apikey_01Rj2N8SVvo6BePZj99NhmiT"] }
    query    = { workspace_ids = ["wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"] }

    [savings.fixtures]
    indexing = ["prompts/indexing-service.json"]     # relative to optctl.toml

A row is attributed by its API key first (the narrower claim), then by its workspace. An id
claimed by two services is shared: its usage cannot be split between them, so it is reported
as unattributed rather than guessed; so is usage whose key and workspace nobody claims.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optctl.errors import UsageError
from optctl.savings.admin_http import ReportRow
from optctl.savings.usage import Usage, UsageRecord

Owner = tuple[str, str]  # (service, environment)


@dataclass(frozen=True)
class Attribution:
    keys: dict[str, list[Owner]] = field(default_factory=dict)  # api key id -> its owners
    workspaces: dict[str, list[Owner]] = field(default_factory=dict)
    fixtures: dict[str, list[Path]] = field(default_factory=dict)  # service -> fixture files

    @property
    def empty(self) -> bool:
        return not self.keys and not self.workspaces

    def owners(self, row: ReportRow) -> list[Owner]:
        if row.api_key_id and row.api_key_id in self.keys:
            return self.keys[row.api_key_id]
        if row.workspace_id and row.workspace_id in self.workspaces:
            return self.workspaces[row.workspace_id]
        return []


@dataclass(frozen=True)
class Unattributed:
    """Usage the report holds but cannot give to one service, and why."""

    why: str  # "shared by indexing/production, query/production" | "no service claims key ..., workspace ..."
    usage: Usage

    def to_json(self) -> dict[str, Any]:
        return {"why": self.why, "input_tokens": self.usage.input_tokens, "cache_read_input_tokens": self.usage.cache_read}


def load_attribution(project_file: Path | None, environments: list[str]) -> Attribution:
    """The ``[savings]`` tables of the project file; none (or no file) means nothing is mapped."""
    if project_file is None:
        return Attribution()
    try:
        data = tomllib.loads(project_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"{project_file}: cannot read ({err})") from None
    return parse_attribution(data.get("savings"), project_file, environments)


def parse_attribution(table: Any, path: Path, environments: list[str]) -> Attribution:
    where = f"{path}: [savings]"
    if table is None:
        return Attribution()
    if not isinstance(table, dict) or set(table) - {"attribution", "fixtures"}:
        raise UsageError(f"{where} holds two tables: [savings.attribution.ENV] and [savings.fixtures]")
    keys: dict[str, list[Owner]] = {}
    workspaces: dict[str, list[Owner]] = {}
    for env, services in _table(table.get("attribution", {}), f"{where}.attribution").items():
        if env not in environments:
            raise UsageError(
                f"{where}.attribution.{env}: no environment {env!r} in the project; choose one of: {', '.join(environments)}"
            )
        for service, ids in _table(services, f"{where}.attribution.{env}").items():
            here = f"{where}.attribution.{env}.{service}"
            ids = _table(ids, here)
            unknown = set(ids) - {"api_key_ids", "workspace_ids"}
            if unknown or not ids:
                raise UsageError(f'{here}: write {{ api_key_ids = ["apikey_..."] }} and/or {{ workspace_ids = ["wrkspc_..."] }}')
            for name, claims in (("api_key_ids", keys), ("workspace_ids", workspaces)):
                for value in _strings(ids.get(name, []), f"{here}.{name}"):
                    owners = claims.setdefault(value, [])
                    if (service, env) not in owners:
                        owners.append((service, env))
    fixtures = {
        service: [path.parent / p for p in _strings(files, f"{where}.fixtures.{service}")]
        for service, files in _table(table.get("fixtures", {}), f"{where}.fixtures").items()
    }
    return Attribution(keys, workspaces, fixtures)


def attribute(rows: list[ReportRow], attribution: Attribution) -> tuple[list[UsageRecord], list[Unattributed]]:
    """Report rows as records of their one owner; shared and unclaimed usage set aside, summed by reason."""
    records: list[UsageRecord] = []
    aside: dict[str, Usage] = {}
    for row in rows:
        owners = attribution.owners(row)
        if len(owners) == 1:
            service, env = owners[0]
            records.append(UsageRecord(service, env, row.model, row.start, row.end, row.usage))
            continue
        if owners:
            why = "shared by " + ", ".join(f"{s}/{e}" for s, e in owners)
        else:
            why = f"no service claims api key {row.api_key_id or '(none)'} or workspace {row.workspace_id or '(default)'}"
        aside[why] = aside.get(why, Usage(calls=None)) + row.usage
    return records, [Unattributed(why, usage) for why, usage in sorted(aside.items())]


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{where} must be a table")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"{where} must be a list of strings")
    return value
