"""Rendering of services, plans, history and environment differences, for people and for scripts.

Every payload passes through ``redact`` on its way out, even those that should hold no secret
(optimization objects): the last line of defence costs nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from optctl.documents.redact import redact
from optctl.render.console import emit_json, stdout

if TYPE_CHECKING:
    from optctl.changes import Difference, Plan
    from optctl.control import ServiceDifference
    from optctl.status import Cell, Row
    from optctl.stores.base import HistoryEntry, StoredDocument

SCHEMA_VERSION = 1


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _difference(d: Difference) -> Text:
    if d.kind == "added":
        return Text.assemble((f"+ {d.path}: ", "green"), _value(d.after))
    if d.kind == "removed":
        return Text.assemble((f"- {d.path}: ", "red"), _value(d.before))
    return Text.assemble((f"~ {d.path}: ", "yellow"), _value(d.before), " -> ", _value(d.after))


# --- plans (enable, disable, set, apply, rollback, import) -----------------------------


def plan_text(plan: Plan, dry_run: bool) -> None:
    console = stdout()
    for planned in plan.changes:
        revision = f"revision {planned.revision}" if planned.revision else "new"
        console.print(Text.assemble((planned.service, "bold"), f" in {plan.env} ({revision}): {planned.action}"))
        for difference in planned.differences:
            console.print(Text("  ") + _difference(redact_difference(difference)))
    for service, why in plan.unchanged:
        console.print(Text.assemble((service, "bold"), f" in {plan.env}: {why}"))
    if dry_run and plan.changes:
        console.print(f"dry run: {len(plan.changes)} change(s) to {plan.env} shown, nothing written")


def written_text(env: str, entries: Sequence[HistoryEntry]) -> None:
    if entries:
        revisions = ", ".join(f"{e.service}@{e.revision}" for e in entries)
        stdout().print(f"wrote {len(entries)} change(s) to {env}: {revisions}")


def plan_json(plan: Plan, dry_run: bool, written: Sequence[HistoryEntry] = ()) -> None:
    emit_json(redact({
        "schema_version": SCHEMA_VERSION,
        "env": plan.env,
        "dry_run": dry_run,
        "changes": [planned.to_json() for planned in plan.changes],
        "unchanged": [{"service": service, "why": why} for service, why in plan.unchanged],
        "written": [entry.to_json() for entry in written],
    }))


def redact_difference(d: Difference) -> Difference:
    from dataclasses import replace

    return replace(d, before=redact(d.before), after=redact(d.after))


# --- status ----------------------------------------------------------------------------


def status_text(env_names: Sequence[str], rows: Sequence[Row]) -> None:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", caption="caching, TTL seconds, min tokens; last change: who, when (UTC)")
    table.add_column("SERVICE", overflow="fold")
    for env in env_names:
        table.add_column(env.upper(), no_wrap=True)
    for row in rows:
        table.add_row(row.service, *(_cell(row.cells[env]) for env in env_names))
    console = stdout()
    console.print(table)
    if not rows:
        console.print("no services yet: `optctl init --example` loads examples, `optctl import FILE --env E` loads yours")


def _cell(cell: Cell) -> Text:
    if not cell.present:
        state = Text("absent", "dim")
    elif not cell.has_optimization:
        state = Text("no optimization", "yellow")
    else:
        state = Text.assemble(("on ", "bold green") if cell.enabled else ("off", "dim"),
                              f" {cell.ttl_seconds}s {cell.min_tokens_to_cache}")
    last = cell.last_change
    if last is not None:
        state.append(f"\n{last.actor} {last.at[5:16].replace('T', ' ')}", "dim")
    return state


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
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for column in ("AT (UTC)", "ENV", "SERVICE", "REV", "ACTOR", "ACTION"):
        table.add_column(column, no_wrap=True)
    table.add_column("CHANGE", min_width=28, overflow="fold")
    table.add_column("REASON", overflow="fold")
    from optctl.changes import diff

    for entry in entries:
        change = Text("\n").join(_difference(redact_difference(d)) for d in diff(entry.before, entry.after)) or Text("-", "dim")
        table.add_row(entry.at[:16].replace("T", " "), entry.env, entry.service, entry.revision, entry.actor, entry.action,
                      change, entry.reason or "")
    stdout().print(table if entries else "no history yet")


def history_json(entries: Sequence[HistoryEntry]) -> None:
    emit_json(redact({"schema_version": SCHEMA_VERSION, "entries": [entry.to_json() for entry in entries]}))


# --- two environments ------------------------------------------------------------------


def env_diff_text(first: str, second: str, found: Sequence[ServiceDifference]) -> None:
    console = stdout()
    if not found:
        console.print(f"{first} and {second} hold the same services with the same settings")
        return
    console.print(Text.assemble(("- ", "red"), first, "  ", ("+ ", "green"), second))
    for item in found:
        if item.only_in:
            console.print(Text.assemble((item.service, "bold"), f": only in {item.only_in}"))
            continue
        console.print(Text(item.service, "bold"))
        for difference in item.differences:
            console.print(Text("  ") + _difference(redact_difference(difference)))


def env_diff_json(first: str, second: str, found: Sequence[ServiceDifference]) -> None:
    emit_json(redact({"schema_version": SCHEMA_VERSION, "environments": [first, second], "services": [f.to_json() for f in found]}))
