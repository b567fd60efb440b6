"""The bundled JSON schemas (``schemas/`` in the repo, ``optctl/schemas`` in the wheel)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from optctl.errors import UsageError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "schemas"  # installed wheel
_REPO_DIR = Path(__file__).resolve().parents[2] / "schemas"  # editable install / checkout


def schema_dir() -> Path:
    return _PACKAGE_DIR if _PACKAGE_DIR.is_dir() else _REPO_DIR


def schema_names() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in schema_dir().glob("*.schema.json"))


def schema_path(name: str) -> Path:
    """The bundled schema's file: what a ``$schema`` reference can point at and find."""
    path = schema_dir() / f"{name}.schema.json"
    if not path.is_file():
        raise UsageError(f"no bundled schema named {name!r}; choose one of: {', '.join(schema_names())}")
    return path


@cache
def load_schema(name: str) -> dict[str, Any]:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))
