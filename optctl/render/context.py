"""The line that says which project and which stores a command used, and its JSON fields."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from optctl.render.console import JSON_OUTPUT_VERSION, emit_json

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from optctl.settings.context import RunContext


def context_line(context: RunContext) -> str:
    """``project: FILE; store: dev, staging: sqlite PATH; production: arangodb URL collection C``."""
    stores = "; ".join(f"{', '.join(envs)}: {where}" for envs, where in context.grouped_stores())
    return f"project: {context.project}" + (f"; store: {stores}" if stores else "")


def context_text(context: RunContext) -> Text:
    """The line, dimmed: it says where, it is not the answer."""
    from rich.text import Text

    return Text(context_line(context), style="dim")


def print_context(context: RunContext, console: Console) -> None:
    console.print(context_text(context), soft_wrap=True)


def with_context(payload: dict[str, Any], context: RunContext) -> dict[str, Any]:
    """``payload`` with the ``project`` and ``store`` fields added after its own keys (existing keys win)."""
    return {**payload, **{k: v for k, v in context.to_json().items() if k not in payload}}


def emit_result(payload: dict[str, Any], context: RunContext, file: IO[str]) -> None:
    """A command's JSON answer: ``schema_version``, its own fields, then where it looked; redacted."""
    from optctl.documents.redact import redact  # here: a text answer never needs it

    emit_json(redact(with_context({"schema_version": JSON_OUTPUT_VERSION, **payload}, context)), file)
