"""The line that says which project and which stores a command used, and its JSON fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from optctl.settings.context import RunContext


def context_text(context: RunContext) -> Text:
    """``project: FILE; store: dev, staging: sqlite PATH; production: arangodb URL collection C``."""
    stores = "; ".join(f"{', '.join(envs)}: {where}" for envs, where in context.grouped_stores())
    return Text(f"project: {context.project}" + (f"; store: {stores}" if stores else ""), style="dim")


def print_context(context: RunContext, console: Console) -> None:
    console.print(context_text(context), soft_wrap=True)


def with_context(payload: dict[str, Any], context: RunContext) -> dict[str, Any]:
    """``payload`` with the ``project`` and ``store`` fields added after its own keys (existing keys win)."""
    return {**payload, **{k: v for k, v in context.to_json().items() if k not in payload}}
