"""The bundled example services (``examples/services`` in the repo, ``optctl/example_services`` in the wheel).

They let a new user see the whole flow (status, enable, history, rollback) on the embedded
store before pointing optctl at a real database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optctl.stores.base import HistoryEntry, Store

_PACKAGE_DIR = Path(__file__).resolve().parents[1] / "example_services"  # installed wheel
_REPO_DIR = Path(__file__).resolve().parents[2] / "examples" / "services"  # editable install / checkout


def services_dir() -> Path:
    return _PACKAGE_DIR if _PACKAGE_DIR.is_dir() else _REPO_DIR


def example_documents() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(services_dir().glob("*.json"))]


def load_examples(store: Store, actor: str) -> list[HistoryEntry]:
    """Put the examples a store does not hold yet; services already there are left alone."""
    from optctl.services.changes import prepare_import

    present = set(store.list_services())
    missing = [doc for doc in example_documents() if doc["_key"] not in present]
    documents = prepare_import(missing, [doc["_key"] for doc in missing])
    return store.put_documents(documents, actor, "optctl init --example") if documents else []
