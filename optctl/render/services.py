"""Rendering of services, plans, history and environment differences, for people and for scripts.

Every payload passes through ``redact`` on its way out, even those that should hold no secret
(optimization objects): the last line of defence costs nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional, Sequence

from rich.text import Text

from optctl.documents.redact import redact
from optctl.render.console import emit_json, stdout

if TYPE_CHECKING:
    from rich.console import Console

    from optctl.commands.change import ChangeResult
    from optctl.services.changes import Difference
    from optctl.services.actions import ServiceDifference
    from optctl.services.status import Cell, Row
    from optctl.stores.base import HistoryEntry, StoredDocument

SCHEMA_VERSION = 1
Piece = tuple[str, Optional[str]]  # a run of text and its rich style
Line = list[Piece]


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _difference(d: Difference) -> Line:
    d = _redacted(d)
    if d.kind == "added":
        return [(f"+ {d.path}: ", "green"), (_value(d.after), None)]
    if d.kind == "removed":
        return [(f"- {d.path}: ", "red"), (_value(d.before), None)]
    return [(f"~ {d.path}: ", "yellow"), (f"{_value(d.before)} -> {_value(d.after)}", None)]


# --- plans (enable, disable, set, apply, rollback, import) -----------------------------


def change_preview(result: ChangeResult, console: Console) -> None:
    """What a change command would write, shown before it asks (and on a dry run)."""
    plan = result.plan
    lines: list[Line] = []
    for planned in plan.changes:
        revision = f"revision {planned.revision}" if planned.revision else "new"
        lines.append([(planned.service, "bold"), (f" in {plan.env} ({revision}): {planned.action}", None)])
        lines += [[("  ", None), *_difference(d)] for d in planned.differences]
        lines += [[("  warning: ", "yellow"), (warning, None)] for warning in planned.warnings]
    lines += [[(service, "bold"), (f" in {plan.env}: {why}", None)] for service, why in plan.unchanged]
    if result.dry_run and plan.changes:
        lines.append([(f"dry run: {len(plan.changes)} change(s) to {plan.env} shown, nothing written", None)])
    if lines:
        _print_columns(console, columns([[[line]] for line in lines]))


def _print_lines(lines: list[Line]) -> None:
    _print_columns(stdout(), columns([[[line]] for line in lines]))


def change_text(result: ChangeResult, console: Console, errors: Console) -> None:
    """After the preview: what was recorded, or that a person said no."""
    if result.cancelled:
        errors.print("cancelled; nothing was written")
    if result.written:
        revisions = ", ".join(f"{e.service}@{e.revision}" for e in result.written)
        console.print(f"wrote {len(result.written)} change(s) to {result.plan.env}: {revisions}")


def change_json(result: ChangeResult, console: Console) -> None:
    plan = result.plan
    emit_json(redact({
        "schema_version": SCHEMA_VERSION,
        "env": plan.env,
        "dry_run": result.dry_run,
        "changes": [planned.to_json() for planned in plan.changes],
        "unchanged": [{"service": service, "why": why} for service, why in plan.unchanged],
        "written": [entry.to_json() for entry in result.written],
    }), console.file)


def _redacted(d: Difference) -> Difference:
    from dataclasses import replace

    return replace(d, before=redact(d.before), after=redact(d.after))


# --- status ----------------------------------------------------------------------------


def status_text(env_names: Sequence[str], rows: Sequence[Row]) -> None:
    console = stdout()
    if not rows:
        console.print("no services yet: `optctl init --example` loads examples, `optctl import FILE --env E` loads yours")
        return
    header = [[[("SERVICE", "bold")]], *([[(env.upper(), "bold")]] for env in env_names)]
    body = [[[[(row.service, None)]], *(_cell(row.cells[env]) for env in env_names)] for row in rows]
    _print_columns(console, columns([header, *body]))
    console.print("cell: caching, TTL s, min tokens to cache / last change: who, when (UTC)", style="dim")


def _print_columns(console: Any, text: Text) -> None:
    # Without colour (a pipe, a file, NO_COLOR) rich would only copy the characters, slowly.
    if console.color_system is None:
        console.file.write(text.plain + "\n")
    else:
        console.print(text, soft_wrap=True)


def columns(rows: Sequence[Sequence[list[Line]]], gap: int = 3) -> Text:
    """Plain aligned columns, like ``kubectl get``: cheap for thousands of rows, easy to grep.

    Each cell is a list of lines, so a row is as tall as its tallest cell. The output is one
    ``Text`` built from one string and its style spans: building thousands of small ``Text``
    objects would cost more than reading the store.
    """
    from rich.cells import cell_len
    from rich.text import Span

    def width(line: Line) -> int:
        return sum(cell_len(text) for text, _ in line)

    widths = [max(width(line) for row in rows for line in row[i]) for i in range(len(rows[0]))]
    plain: list[str] = []
    spans: list[Span] = []
    offset = 0
    for row in rows:
        for depth in range(max(len(cell) for cell in row)):
            pieces: list[str] = []
            for i, cell in enumerate(row):
                line = cell[depth] if depth < len(cell) else []
                for text, style in line:
                    if style:
                        spans.append(Span(offset, offset + len(text), style))
                    pieces.append(text)
                    offset += len(text)
                if i < len(row) - 1:
                    padding = " " * (widths[i] - width(line) + gap)
                    pieces.append(padding)
                    offset += len(padding)
            text = "".join(pieces)
            stripped = text.rstrip()
            plain.append(stripped + "\n")
            offset += 1 - (len(text) - len(stripped))
    return Text("".join(plain).rstrip("\n"), spans=spans)


def _cell(cell: Cell) -> list[Line]:
    if not cell.present:
        lines = [[("absent", "dim")]]
    elif not cell.has_optimization:
        lines = [[("no optimization", "yellow")]]
    elif cell.enabled is None:
        lines = [[("invalid optimization", "bold red")]]
    else:
        lines = [[("on " , "bold green") if cell.enabled else ("off", "dim"), (f" {cell.ttl_seconds}s {cell.min_tokens_to_cache}", None)]]
    last = cell.last_change
    if last is not None:
        lines.append([(f"{last.actor} {last.at[5:16].replace('T', ' ')}", "dim")])
    return lines


def status_json(env_names: Sequence[str], rows: Sequence[Row]) -> None:
    emit_json({"schema_version": SCHEMA_VERSION, "environments": list(env_names), "services": [row.to_json() for row in rows]})


# --- one document ----------------------------------------------------------------------


def document_json(stored: StoredDocument, env: str) -> None:
    emit_json({"schema_version": SCHEMA_VERSION, "service": stored.service, "env": env,
               "revision": stored.revision, "document": redact(stored.document)})


def document_text(stored: StoredDocument, env: str) -> None:
    from rich.json import JSON

    console = stdout()
    console.print(Text.assemble((stored.service, "bold"), f" in {env}, revision {stored.revision} (secrets redacted)"))
    console.print(JSON.from_data(redact(stored.document), ensure_ascii=False), soft_wrap=True)


def documents_export(documents: Sequence[dict[str, Any]], json_lines: bool) -> None:
    """Exactly what ``import`` (and ``arangoimport``) reads back; redaction was decided upstream."""
    import sys

    if json_lines:
        sys.stdout.writelines(json.dumps(doc, ensure_ascii=False) + "\n" for doc in documents)
    else:
        emit_json(list(documents))


# --- history ---------------------------------------------------------------------------


def history_text(entries: Sequence[HistoryEntry]) -> None:
    from optctl.services.changes import diff

    if not entries:
        stdout().print("no history yet")
        return
    header = [[[(column, "bold")]] for column in ("AT (UTC)", "ENV", "SERVICE", "REV", "ACTOR", "ACTION", "CHANGE", "REASON", "ROLLOUT")]
    body = [
        [*([[(text, None)]] for text in (entry.at[:19].replace("T", " "), entry.env, entry.service, entry.revision, entry.actor, entry.action)),
         [_difference(d) for d in diff(entry.before, entry.after)] or [[("-", "dim")]],
         [[(entry.reason or "", None)]], [[(entry.rollout or "", None)]]]
        for entry in entries
    ]
    _print_columns(stdout(), columns([header, *body]))


def history_json(entries: Sequence[HistoryEntry]) -> None:
    emit_json(redact({"schema_version": SCHEMA_VERSION, "entries": [entry.to_json() for entry in entries]}))


# --- two environments ------------------------------------------------------------------


def env_diff_text(first: str, second: str, found: Sequence[ServiceDifference]) -> None:
    if not found:
        stdout().print(f"{first} and {second} hold the same services with the same settings")
        return
    lines: list[Line] = [[(f"{first} -> {second}", "bold")]]
    for item in found:
        if item.only_in:
            lines.append([(item.service, "bold"), (f": only in {item.only_in}", None)])
        else:
            lines.append([(item.service, "bold")])
            lines += [[("  ", None), *_difference(d)] for d in item.differences]
    _print_lines(lines)


def env_diff_json(first: str, second: str, found: Sequence[ServiceDifference]) -> None:
    emit_json(redact({"schema_version": SCHEMA_VERSION, "environments": [first, second], "services": [f.to_json() for f in found]}))
