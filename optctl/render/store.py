"""``optctl store init | check | verify`` onto a console: one line per item, then the context footer."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from optctl.commands.store import StoreLinesResult, VerifyResult
from optctl.render.console import JSON_OUTPUT_VERSION, emit_json
from optctl.render.context import print_context, with_context


def lines_text(result: StoreLinesResult, console: Console) -> None:
    for line in result.lines:
        mark = "[green]pass[/]" if line.ok else "[red]FAIL[/]"
        console.print(f"{mark}  {escape(line.what)}: {escape(line.detail)}", highlight=False, soft_wrap=True)
    print_context(result.context, console)


def lines_json(result: StoreLinesResult, console: Console) -> None:
    payload = {
        "schema_version": JSON_OUTPUT_VERSION,
        "env": result.env,
        "ok": result.exit_code == 0,
        "lines": [{"what": line.what, "ok": line.ok, "detail": line.detail, "changed": line.changed} for line in result.lines],
    }
    emit_json(with_context(payload, result.context), console.file)


def verify_text(result: VerifyResult, console: Console) -> None:
    if result.entries:
        services = ", ".join(entry.service for entry in result.entries)
        console.print(
            f"operation {result.operation} in {result.env}: written ({len(result.entries)} history entries: {escape(services)})",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"operation {result.operation} in {result.env}: not written (no history entry has that id)",
            highlight=False,
            soft_wrap=True,
        )
    print_context(result.context, console)


def verify_json(result: VerifyResult, console: Console) -> None:
    payload = {
        "schema_version": JSON_OUTPUT_VERSION,
        "env": result.env,
        "operation": result.operation,
        "written": bool(result.entries),
        "entries": [entry.to_json() for entry in result.entries],
    }
    emit_json(with_context(payload, result.context), console.file)
