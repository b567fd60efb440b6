"""``optctl validate``: check documents against the contract (work in progress)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
