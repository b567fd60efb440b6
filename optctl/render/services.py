"""Change plans, status, documents, history and environment differences, for people and for scripts.

Formatting only: every figure, diff and verdict is already in the result object. Output goes
to the ``Console`` the CLI passes in (JSON to its file). Every payload passes through ``redact``
on its way out, even those that should hold no secret (optimization objects): the last line of
defence costs nothing.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from optctl.documents.redact import REDACTED, encoded_is_clean, is_secret_pointer, plain_record_is_clean, redact, scrub
from optctl.render.console import JSON_OUTPUT_VERSION, cell_break, emit_json
from optctl.render.context import emit_result, print_context

if TYPE_CHECKING:
    from rich.console import Console

    from optctl.commands.change import ChangeResult
    from optctl.commands.inspect import (
        DiffResult,
        ExportResult,
        HistoryLine,
        HistoryResult,
        HistoryStream,
        ShowResult,
    )
    from optctl.services.diff import Difference
    from optctl.stores.base import HistoryEntry


def _difference(d: Difference) -> Text:
    secret = is_secret_pointer("/" + d.path.replace(".", "/"))  # a leaf diff of an apiKey: its values are secrets

    def value(shown: Any) -> str:
        return json.dumps(REDACTED if secret else redact(shown), ensure_ascii=False)

    if d.kind == "added":
        return Text.assemble((f"+ {d.path}: ", "green"), value(d.after))
    if d.kind == "removed":
        return Text.assemble((f"- {d.path}: ", "red"), value(d.before))
    return Text.assemble((f"~ {d.path}: ", "yellow"), f"{value(d.before)} -> {value(d.after)}")


def _print_lines(console: Console, lines: list[Text]) -> None:
    """Many short lines as one ``Text``: printing them one by one would cost more than planning them."""
    text = Text("\n").join(lines)
    if console.color_system is None:  # a pipe, a file, NO_COLOR: rich would only copy the characters, slowly
        console.file.write(text.plain + "\n")
    else:
        console.print(text, soft_wrap=True)


def aligned_table(*headers: str) -> Table:
    """Aligned columns like ``kubectl get``: no borders, so the output stays easy to grep."""
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 3, 0, 0), header_style="bold")
    for header in headers:
        table.add_column(header, no_wrap=True)
    return table


def print_table(console: Console, table: Table) -> None:
    """On a terminal the table fits the window; off one nothing is cut: whole rows, for grep and for files."""
    if console.color_system is None:
        # Without colour rich would only lay out the characters, at twice the cost of reading 1,500
        # documents: the same columns, written as text.
        console.file.write(plain_columns(table))
        return
    if not console.is_terminal:
        console.width = max(console.width, 1_000_000)  # the table keeps its natural width (it does not expand)
    console.print(table)


def plain_columns(table: Table) -> str:
    """The table's cells as aligned plain text, a row as tall as its tallest cell, as rich lays it out."""

    def lines(cell: Any) -> list[str]:
        return (cell.plain if isinstance(cell, Text) else str(cell)).split("\n")

    columns = [[lines(column.header), *(lines(cell) for cell in column.cells)] for column in table.columns]
    widths = [max(cell_len(line) for cell in column for line in cell) for column in columns]
    gap = table.padding[1]  # rich keeps padding as (top, right, bottom, left)
    out: list[str] = []
    for row in zip(*columns):
        for depth in range(max(len(cell) for cell in row)):
            parts = [(cell[depth] if depth < len(cell) else "") for cell in row]
            out.append("".join(part + " " * (width - cell_len(part) + gap) for part, width in zip(parts, widths)).rstrip())
    return "\n".join(out) + "\n"


def _json(console: Console, payload: dict[str, Any], result: Any) -> None:
    emit_result(payload, result.context, console.file)


# --- changes (enable, disable, set, apply, rollback, import) ---------------------------


def change_preview(result: ChangeResult, console: Console) -> None:
    """What a change command would write, shown before it asks (and on a dry run)."""
    plan = result.plan
    lines: list[Text] = []
    for planned in plan.changes:
        revision = f"revision {planned.revision}" if planned.revision else "new"
        lines.append(Text.assemble((planned.service, "bold"), f" in {plan.env} ({revision}): {planned.action}"))
        lines += [Text.assemble("  ", _difference(d)) for d in planned.differences]
        lines += [Text.assemble(("  warning: ", "yellow"), warning) for warning in planned.warnings]
    lines += [Text.assemble((service, "bold"), f" in {plan.env}: {why}") for service, why in plan.unchanged]
    if result.dry_run and plan.changes:
        lines.append(Text(f"dry run: {len(plan.changes)} change(s) to {plan.env} shown, nothing written"))
    if lines:
        _print_lines(console, lines)


def change_text(result: ChangeResult, console: Console, errors: Console) -> None:
    """After the preview: what was recorded, or that a person said no; then where."""
    if result.cancelled:
        errors.print("cancelled; nothing was written")
    if result.written:
        revisions = ", ".join(f"{e.service}@{e.revision}" for e in result.written)
        console.print(f"wrote {len(result.written)} change(s) to {result.plan.env}: {revisions}")
    print_context(result.context, console)


def change_json(result: ChangeResult, console: Console) -> None:
    plan = result.plan
    _json(
        console,
        {
            "env": plan.env,
            "dry_run": result.dry_run,
            "changes": [planned.to_json() for planned in plan.changes],
            "unchanged": [{"service": service, "why": why} for service, why in plan.unchanged],
            "written": [entry.to_json() for entry in result.written],
        },
        result,
    )


# --- one document, and whole environments ----------------------------------------------


def document_text(result: ShowResult, console: Console) -> None:
    from rich.json import JSON

    stored = result.stored
    console.print(Text.assemble((stored.service, "bold"), f" in {result.env}, revision {stored.revision} (secrets redacted)"))
    console.print(JSON.from_data(redact(stored.document), ensure_ascii=False), soft_wrap=True)
    print_context(result.context, console)


def document_json(result: ShowResult, console: Console) -> None:
    stored = result.stored
    _json(
        console, {"service": stored.service, "env": result.env, "revision": stored.revision, "document": stored.document}, result
    )


def documents_export(result: ExportResult, json_lines: bool, console: Console, errors: Console) -> None:
    """Exactly what ``import`` (and ``arangoimport``) reads back, so where it came from goes to stderr."""
    if json_lines:
        console.file.writelines(json.dumps(doc, ensure_ascii=False) + "\n" for doc in result.documents)
    else:
        emit_json(list(result.documents), console.file)
    if result.empty_embedded:
        errors.print(f"nothing to export: {result.context.embedded_hint}", soft_wrap=True)
    print_context(result.context, errors)


# --- history ---------------------------------------------------------------------------


def history_text(result: HistoryResult, console: Console) -> None:
    if result.empty_embedded:
        console.print(f"no history: {result.context.embedded_hint}", soft_wrap=True)
    elif not result.lines:
        console.print("no history yet")
    else:
        print_table(console, _history_table(result.lines, cell_break(console)))
        if result.more:
            console.print(f"the newest {result.limit} entries; older ones: --limit N, --since 7d, or --all", style="dim")
    print_context(result.context, console)


def _history_table(lines: Iterable[HistoryLine], line_break: str, header: bool = True) -> Table:
    table = aligned_table("AT (UTC)", "ENV", "SERVICE", "REV", "ACTOR", "ACTION", "CHANGE", "REASON", "ROLLOUT")
    table.show_header = header
    for line in lines:
        entry = line.entry
        change = Text(line_break).join(_difference(d) for d in line.differences) if line.differences else Text("-", "dim")
        table.add_row(
            entry.at[:19].replace("T", " "),
            entry.env,
            entry.service,
            entry.revision,
            entry.actor,
            entry.action,
            change,
            scrub(entry.reason or ""),
            entry.rollout or "",
        )
    return table


def history_json(result: HistoryResult, console: Console) -> None:
    _json(console, {"entries": [entry.to_json() for entry in result.entries], "limit": result.limit, "more": result.more}, result)


HISTORY_BLOCK = 500  # rows per table when streaming: columns line up within a block


def history_stream_text(stream: HistoryStream, console: Console) -> None:
    """``history --all``: the table a block of rows at a time, so memory stays flat."""
    shown = False
    for block in _blocks(stream.lines(), HISTORY_BLOCK):
        print_table(console, _history_table(block, cell_break(console), header=not shown))
        shown = True
    if not shown:
        console.print("no history yet")
    print_context(stream.context, console)


def history_stream_json(stream: HistoryStream, console: Console) -> None:
    """``history --all --output json``: JSON Lines, one entry a line, each with its ``schema_version``."""
    console.file.writelines(f"{history_line(entry)}\n" for entry in stream.entries)


_encode_line = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
# Where an entry's optimization objects go, side by side as ``to_json`` orders them.
_NULL_OBJECTS = '"before": null, "after": null'


def history_line(entry: HistoryEntry) -> str:
    """``encode(redact({"schema_version": 1, **entry.to_json()}))``, at a fraction of the cost.

    Redacting every value of a long history was most of ``history --all``'s time (issue 12).
    Here the entry's plain fields are redacted only when ``plain_record_is_clean`` cannot vouch for
    them, and each object is encoded and vouched for (``encoded_is_clean``) or redacted once per
    distinct object, as a history holds the same optimization objects many times over. Their
    text then takes the place of the two ``null``s, which no string in the line can hold (its
    quotes would be escaped). tests/unit/render/test_history_line.py holds the result to the
    formula above.
    """
    fields = {"schema_version": JSON_OUTPUT_VERSION, **entry.to_json()}
    plain = {**fields, "before": None, "after": None}
    if plain_record_is_clean(plain):
        head, found, tail = _encode_line(plain).partition(_NULL_OBJECTS)
        if found:
            before, after = (_redacted_json(_encode_line(fields[key])) for key in ("before", "after"))
            return f'{head}"before": {before}, "after": {after}{tail}'
    return _encode_line(redact(fields))


# Enough for two objects of each of 8,000 services (about 5 MB when full, as an object vouched for
# is its own answer): past that, objects that recur only after thousands of lines are vouched for
# each time they come round, at about the cost of redacting them.
@lru_cache(maxsize=16384)
def _redacted_json(text: str) -> str:
    """An object's JSON ``text`` with the redaction rule applied: the same for the same text."""
    return text if encoded_is_clean(text) else _encode_line(redact(json.loads(text)))


def _blocks(items: Iterable[HistoryLine], size: int) -> Iterator[list[HistoryLine]]:
    block: list[HistoryLine] = []
    for item in items:
        block.append(item)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


# --- two environments ------------------------------------------------------------------


def env_diff_text(result: DiffResult, console: Console) -> None:
    if not result.services:
        console.print(f"{result.first} and {result.second} hold the same services with the same settings")
    else:
        lines = [Text(f"{result.first} -> {result.second}", "bold")]
        for item in result.services:
            if item.only_in:
                lines.append(Text.assemble((item.service, "bold"), f": only in {item.only_in}"))
            else:
                lines.append(Text(item.service, "bold"))
                lines += [Text.assemble("  ", _difference(d)) for d in item.differences]
        _print_lines(console, lines)
    print_context(result.context, console)


def env_diff_json(result: DiffResult, console: Console) -> None:
    _json(console, {"environments": [result.first, result.second], "services": [f.to_json() for f in result.services]}, result)
