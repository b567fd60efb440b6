"""Rendering of rollouts: the status screen, the list, what an advance did; and their JSON.

``status --output json`` is a stable, versioned shape (``schema_version: 1``), documented in
the README: ``{"schema_version", "rollout": {"id", "name", "state", "stages": [{"environment",
"services", "state", "gates": [...]}], ...}}``. Fields are only ever added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from optctl.documents.redact import redact
from optctl.render.console import JSON_OUTPUT_VERSION, cell_break, emit_json
from optctl.render.context import context_text, print_context, with_context

if TYPE_CHECKING:
    from optctl.commands.rollout import Outcome, Preview, RolloutList, View
    from optctl.rollout.machine import Action
    from optctl.rollout.state import GateStatus, Rollout, StageRecord


_STYLE = {
    "running": "cyan",
    "paused": "yellow",
    "completed": "green",
    "failed": "red",
    "aborted": "red",
    "pending": "dim",
    "applying": "yellow",
    "soaking": "cyan",
    "awaiting_approval": "yellow",
    "passed": "green",
    "rolled_back": "magenta",
    "pass": "green",
    "fail": "red",
    "inconclusive": "yellow",
}


# --- JSON --------------------------------------------------------------------------------


def status_payload(view: View) -> dict[str, Any]:
    rollout, events, next_action, did = view.rollout, view.events, view.next, view.did
    payload = {
        "schema_version": JSON_OUTPUT_VERSION,
        "rollout": {
            "id": rollout.id,
            "name": rollout.name,
            "state": rollout.state,
            "reason": rollout.reason,
            "started_by": rollout.started_by,
            "started_at": rollout.started_at,
            "updated_at": rollout.updated_at,
            "interrupted": None if rollout.step is None else rollout.step.model_dump(mode="json"),
            "next": _next_json(next_action),
            "stages": [_stage_json(stage, number, left) for number, (stage, left) in enumerate(_with_soak(view), 1)],
            "events": [event.to_json() for event in events],
        },
    }
    if did:
        payload["did"] = list(did)
    return redact(payload)


def _next_json(action: Action) -> dict[str, Any]:
    from optctl.rollout.state import iso

    return {
        "action": action.kind,
        "stage": None if action.stage is None else action.stage + 1,
        "reason": action.reason or None,
        "at": None if action.until is None else iso(action.until),
    }


def _with_soak(view: View) -> list[tuple[StageRecord, float | None]]:
    """Each stage beside the soak time its view computed for it."""
    left = view.soak_left or (None,) * len(view.rollout.stages)
    return list(zip(view.rollout.stages, left))


def _stage_json(stage: StageRecord, number: int, soak_left: float | None) -> dict[str, Any]:
    return {
        "number": number,
        "environment": stage.environment,
        "services": stage.services,
        "state": stage.state,
        "on_failure": stage.on_failure,
        "applied_at": stage.applied_at,
        "enabled": [a.service for a in stage.applied],
        "unchanged": stage.unchanged,
        "left_alone": stage.left_alone,
        "approved_by": stage.approved_by,
        "gates": [_gate_json(gate, soak_left) for gate in stage.gates],
    }


def _gate_json(gate: GateStatus, soak_left: float | None) -> dict[str, Any]:
    shown = {"kind": gate.kind, "result": gate.result, "attempts": gate.attempts, "at": gate.at, "detail": gate.detail}
    shown |= {k: v for k, v in gate.gate.items() if k != "kind"}
    if gate.kind == "soak":
        shown["remaining_seconds"] = None if soak_left is None else int(soak_left)
    return shown


def list_json(listed: RolloutList, console: Console) -> None:
    emit_json(
        with_context(
            {
                "schema_version": JSON_OUTPUT_VERSION,
                "rollouts": [
                    {
                        "id": r.id,
                        "name": r.name,
                        "state": r.state,
                        "started_by": r.started_by,
                        "started_at": r.started_at,
                        "updated_at": r.updated_at,
                        "stage": _position(r),
                    }
                    for r in listed.rollouts
                ],
            },
            listed.context,
        ),
        console.file,
    )


# --- people ------------------------------------------------------------------------------


def status_view(view: View, line_break: str = "\n") -> RenderableType:
    """The status screen: header, stage table, what happens next, recent events.

    ``line_break`` joins the lines of a cell: ``render.console.cell_break`` (one line per stage off a terminal)."""
    rollout, events, next_action, did = view.rollout, view.events, view.next, view.did
    header = Text.assemble(
        ("rollout ", "bold"),
        (rollout.id, "bold"),
        f"  {rollout.name}  ",
        (rollout.state, _STYLE[rollout.state]),
        f"  started by {rollout.started_by} at {rollout.started_at}",
    )
    parts: list[RenderableType] = [header]
    if rollout.reason:
        parts.append(Text(f"reason: {rollout.reason}", style=_STYLE.get(rollout.state, "")))
    if rollout.step is not None:
        parts.append(
            Text(
                f"interrupted: {'an apply' if rollout.step.op == 'apply' else 'a rollback'} by {rollout.step.actor} at {rollout.step.at} did not finish"
                + (f" ({rollout.step.error})" if rollout.step.error else "")
                + f"; `optctl rollout {'advance' if rollout.step.op == 'apply' else 'abort'} {rollout.id}` finishes it",
                style="yellow",
            )
        )
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("#", "environment", "services", "state", "gates"):
        table.add_column(column, overflow="fold")
    for number, (stage, left) in enumerate(_with_soak(view), 1):
        table.add_row(
            str(number),
            stage.environment,
            _services(stage, line_break),
            Text(stage.state, style=_STYLE[stage.state]),
            Text(line_break).join(_gate_text(g, stage, left) for g in stage.gates) or Text("-", style="dim"),
        )
    parts.append(table)
    for line in did:
        parts.append(Text(f"done: {line}"))
    parts.append(Text(f"next: {_next_text(rollout, next_action, view.next_in)}", style="bold"))
    if events:
        parts.append(Text("recent:", style="dim"))
        parts.extend(
            Text(
                f"  {e.at}  {e.actor:<12} {e.kind}"
                + (f" stage {e.stage}" if e.stage else "")
                + (f": {e.detail}" if e.detail else ""),
                style="dim",
                overflow="fold",
            )
            for e in events
        )
    return Group(*parts)


def _services(stage: StageRecord, line_break: str) -> Text:
    shown = stage.services if len(stage.services) <= 6 else [*stage.services[:5], f"... +{len(stage.services) - 5} more"]
    text = Text(", ".join(shown))
    if stage.unchanged:
        text.append(f"{line_break}(already on: {', '.join(stage.unchanged)})", style="dim")
    if stage.left_alone:
        text.append(f"{line_break}left alone: {', '.join(stage.left_alone)}", style="red")
    return text


def _gate_text(gate: GateStatus, stage: StageRecord, soak_left: float | None) -> Text:
    from optctl.rollout.plan import format_seconds

    label = gate.kind if gate.kind != "soak" else f"soak {gate.gate['duration']}"
    text = Text(f"{label}: ")
    if gate.result is not None:
        text.append(gate.result, style=_STYLE[gate.result])
    elif gate.kind == "soak" and soak_left is not None:
        text.append(f"{format_seconds(soak_left)} left", style="cyan")
    else:
        text.append("waiting" if stage.state not in ("pending", "applying") else "-", style="dim")
    if gate.detail and gate.result in ("fail", "inconclusive"):
        text.append(f" ({gate.detail})", style="dim")
    return text


def _next_text(rollout: Rollout, action: Action, next_in: float | None) -> str:
    from optctl.rollout.plan import format_seconds

    if action.kind == "idle":
        if rollout.state == "paused":
            return f"paused; `optctl rollout resume {rollout.id}` to go on, or abort it"
        return {
            "completed": "nothing: the rollout is complete",
            "failed": "nothing: the rollout failed and was rolled back; `optctl rollout list`, then a new plan",
            "aborted": "nothing: the rollout was aborted",
        }.get(rollout.state, action.reason)
    if action.kind == "wait" and next_in is not None:
        return f"{action.reason}: stage {action.stage + 1} can move in {format_seconds(next_in)}; then `optctl rollout advance`"
    if action.kind == "wait":
        return f"{action.reason}: `optctl rollout approve {rollout.id}`"
    return f"`optctl rollout advance {rollout.id}` will {action.kind}" + (
        f" stage {action.stage + 1}" if action.stage is not None else ""
    )


def list_text(listed: RolloutList, console: Console) -> None:
    rollouts = listed.rollouts
    if not rollouts:
        console.print("no rollouts yet; `optctl rollout plan --services a,b -o plan.yaml` then `optctl rollout start plan.yaml`")
        print_context(listed.context, console)
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("id", "name", "state", "stage", "started (UTC)"):
        table.add_column(column, no_wrap=column != "name")
    for r in rollouts:
        started = f"{r.started_at[5:16].replace('T', ' ')} by {r.started_by}"
        table.add_row(r.id, r.name, Text(r.state, style=_STYLE[r.state]), _position(r), started)
    console.print(table)
    print_context(listed.context, console)


def _position(rollout: Rollout) -> str:
    index = rollout.current_stage()
    if index is None:
        return f"{len(rollout.stages)}/{len(rollout.stages)}"
    return f"{index + 1}/{len(rollout.stages)} {rollout.stages[index].environment} {rollout.stages[index].state}"


# --- what a command did, and what a write will do -------------------------------------------


def preview_view(preview: Preview, dry_run: bool) -> RenderableType:
    parts: list[RenderableType] = [
        Text(f"{preview.command}{' (dry run: nothing is written)' if dry_run else ''} will:", style="bold")
    ]
    parts += [Text(f"  {line}") for line in preview.transitions]
    if preview.flips:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for column in ("environment", "service", "cache.enabled", "when"):
            table.add_column(column)
        for flip in preview.flips:
            table.add_row(flip.environment, flip.service, f"{_flag(flip.before)} -> {_flag(flip.after)}", flip.when or "")
        parts.append(table)
    return Group(*parts)


def _flag(value: bool | None) -> str:
    return "absent" if value is None else str(value).lower()


def preview_text(preview: Preview, dry_run: bool, console: Console) -> None:
    console.print(preview_view(preview, dry_run))


def outcome_view(outcome: Outcome) -> RenderableType:
    """What ``status --watch`` redraws in place: every rollout, then the project/store line."""
    footer = [] if outcome.context is None else [context_text(outcome.context)]
    return Group(*(status_view(v) for v in outcome.views), *footer)


def outcome_text(outcome: Outcome, console: Console, errors: Console) -> None:
    for note in outcome.notes:
        errors.print(note, markup=False, highlight=False)
    if outcome.cancelled:
        errors.print("cancelled; nothing was written", markup=False)
    if not (outcome.dry_run or outcome.cancelled):  # else the preview was the answer
        for view in outcome.views:
            console.print(status_view(view, cell_break(console)))
        if outcome.timed_out:
            errors.print("timed out (--timeout); the rollout goes on without this command", markup=False)
    if outcome.context is not None:
        print_context(outcome.context, console)


def outcome_json(outcome: Outcome, console: Console) -> None:
    """One rollout: the status payload (``rollout``); several: ``rollouts``; plus the preview, and
    ``dry_run``/``timed_out`` when they apply. Fields are only ever added."""
    payloads = [status_payload(v) for v in outcome.views]
    shown: dict[str, Any] = {"schema_version": JSON_OUTPUT_VERSION}
    if len(payloads) == 1:
        shown |= payloads[0]
    shown["rollouts"] = [p["rollout"] for p in payloads]
    if outcome.preview is not None:
        shown["preview"] = redact(outcome.preview.to_json())
    shown |= {
        "dry_run": outcome.dry_run,
        "written": outcome.written,
        "cancelled": outcome.cancelled,
        "timed_out": outcome.timed_out,
        "notes": list(outcome.notes),
    }
    emit_json(shown if outcome.context is None else with_context(shown, outcome.context), console.file)
