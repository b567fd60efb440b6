"""``schema [NAME]``: a bundled JSON schema for editors and other tools, or the list of their names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optctl.contract.schemas import load_schema, schema_names
from optctl.errors import EXIT_OK


@dataclass(frozen=True)
class SchemaResult:
    names: list[str]  # every bundled schema (the listing, when no name was given)
    schema: dict[str, Any] | None = None  # the one asked for
    exit_code: int = EXIT_OK


def schema(name: str | None = None) -> SchemaResult:
    if name is None:
        return SchemaResult(schema_names())
    return SchemaResult([], load_schema(name.removesuffix(".schema.json")))
