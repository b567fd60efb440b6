"""``optctl status``: the matrix of services by environments, for people and for scripts.

Run without a console, the renderers write to stdout and import rich only for what needs it:
the JSON needs none, and neither does the answer of a store with nothing in it when stdout is
no terminal (two plain lines, which rich would write exactly as they are). rich is a third of
such a run's start-up (issue 12: ``status`` on an empty store within 8x ``python -c pass``).
The matrix itself is always a rich table.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from optctl.render.console import cell_break, plain, stdout
from optctl.render.context import context_line, emit_result, print_context

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from optctl.commands.status import StatusResult
    from optctl.services.status import Cell

LEGEND = "cell: caching, TTL s, min tokens to cache / last change: who, when (UTC)"


def status_text(result: StatusResult, console: Console | None = None) -> None:
    """The matrix, or what to do when there is nothing in it; ``console`` None: stdout."""
    if console is None and not result.rows and not result.unreachable and plain(sys.stdout):
        sys.stdout.write(f"{_nothing(result)}\n{context_line(result.context)}\n")
        return
    from rich.text import Text

    console = console or stdout()
    if not result.rows:
        console.print(Text(_nothing(result)), soft_wrap=True)
    else:
        from optctl.render.services import aligned_table, print_table

        matrix = aligned_table("SERVICE", *(env.upper() for env in result.environments))
        for row in result.rows:
            matrix.add_row(
                row.service,
                *(
                    _cell(row.cells[env], cell_break(console)) if env in row.cells else Text("unreachable", "bold red")
                    for env in result.environments
                ),
            )
        print_table(console, matrix)
        console.print(LEGEND, style="dim")
    for env, why in result.unreachable.items():
        console.print(Text.assemble((f"{env}: unreachable: ", "bold red"), why))
    print_context(result.context, console)


def _nothing(result: StatusResult) -> str:
    if result.empty_embedded:
        return f"no services: {result.context.embedded_hint}"
    return "no services yet: `optctl init --example` loads examples, `optctl import FILE --env E` loads yours"


def _cell(cell: Cell, line_break: str) -> Text:
    from rich.text import Text

    if not cell.present:
        text = Text("absent", "dim")
    elif not cell.has_optimization:
        text = Text("no optimization", "yellow")
    elif cell.enabled is None:
        text = Text("invalid optimization", "bold red")
    else:
        text = Text.assemble(
            ("on ", "bold green") if cell.enabled else ("off", "dim"), f" {cell.ttl_seconds}s {cell.min_tokens_to_cache}"
        )
    last = cell.last_change
    if last is not None:
        text.append(f"{line_break}{last.actor} {last.at[5:16].replace('T', ' ')}", "dim")
    return text


def status_json(result: StatusResult, console: Console | None = None) -> None:
    """``--output json``; ``console`` None: stdout, without rich."""
    emit_result(
        {
            "environments": result.environments,
            "services": [row.to_json() for row in result.rows],
            "unreachable": result.unreachable,
        },
        result.context,
        sys.stdout if console is None else console.file,
    )
