"""Where every service stands in every environment: the matrix ``optctl status`` shows.

Pure: it takes the documents and history entries already read and returns rows. Effective
values (TTL, minimum tokens) fall back to the schema's defaults, as the service-side wrapper's
``from_dict`` does, so the matrix shows what the wrapper will actually use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Mapping

from optctl.stores.base import HistoryEntry, StoredDocument


@dataclass(frozen=True)
class Cell:
    """One service in one environment."""

    present: bool
    has_optimization: bool = False
    enabled: bool | None = None  # None with an optimization field: not a valid object
    ttl_seconds: int | None = None
    min_tokens_to_cache: int | None = None
    revision: str | None = None
    last_change: HistoryEntry | None = None

    def to_json(self) -> dict[str, Any]:
        last = self.last_change
        return {
            "present": self.present,
            "optimization": self.has_optimization,
            "enabled": self.enabled,
            "ttl_seconds": self.ttl_seconds,
            "min_tokens_to_cache": self.min_tokens_to_cache,
            "revision": self.revision,
            "last_change": None
            if last is None
            else {"actor": last.actor, "at": last.at, "action": last.action, "revision": last.revision},
        }


@dataclass(frozen=True)
class Row:
    service: str
    cells: dict[str, Cell]  # environment name -> cell

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "environments": {env: cell.to_json() for env, cell in self.cells.items()}}


def cell(stored: StoredDocument | None, last: HistoryEntry | None) -> Cell:
    if stored is None:
        return Cell(present=False, last_change=last)
    optimization = stored.optimization
    if optimization is None:
        return Cell(present=True, revision=stored.revision, last_change=last)
    cache_settings = optimization.get("cache", {}) if isinstance(optimization, dict) else None
    if not isinstance(cache_settings, dict):  # written by something other than optctl
        return Cell(present=True, has_optimization=True, revision=stored.revision, last_change=last)
    defaults = _cache_defaults()
    return Cell(
        present=True,
        has_optimization=True,
        enabled=bool(cache_settings.get("enabled", defaults["enabled"])),
        ttl_seconds=cache_settings.get("default_ttl_seconds", defaults["default_ttl_seconds"]),
        min_tokens_to_cache=cache_settings.get("min_tokens_to_cache", defaults["min_tokens_to_cache"]),
        revision=stored.revision,
        last_change=last,
    )


def matrix(
    documents: Mapping[str, Mapping[str, StoredDocument]],
    last: Mapping[str, Mapping[str, HistoryEntry]],
) -> list[Row]:
    """Rows for every service found in any environment, environments in the order given."""
    services = sorted({service for docs in documents.values() for service in docs})
    return [
        Row(service, {env: cell(docs.get(service), last.get(env, {}).get(service)) for env, docs in documents.items()})
        for service in services
    ]


@cache
def _cache_defaults() -> dict[str, Any]:
    from optctl.contract.schemas import load_schema

    properties = load_schema("optimization")["properties"]["cache"]["properties"]
    return {name: spec.get("default") for name, spec in properties.items()}
