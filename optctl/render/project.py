"""What ``init`` did and what ``schema`` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optctl.render.console import emit_json
from optctl.render.context import print_context

if TYPE_CHECKING:
    from rich.console import Console

    from optctl.commands.init import InitResult
    from optctl.commands.schema import SchemaResult


def init_text(result: InitResult, console: Console) -> None:
    console.print(f"wrote {result.project_file}" if result.written else f"{result.project_file} exists; left as it is")
    if result.context is None:
        return
    for env, loaded in result.loaded.items():
        if loaded is None:
            console.print(f"{env}: not an embedded store; examples not loaded")
        else:
            console.print(f"{env}: loaded {len(loaded)} example service(s)" + ("" if loaded else " (all were there already)"))
    console.print("next: optctl status")
    print_context(result.context, console)


def schema_output(result: SchemaResult, console: Console) -> None:
    """The schema as JSON, or the names one per line."""
    if result.schema is not None:
        emit_json(result.schema, console.file)
        return
    for name in result.names:
        console.print(name)
