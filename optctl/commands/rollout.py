"""The rollout commands as plain functions (``arguments, WriteOptions, Edges`` in, an ``Outcome`` out).

Every write (start, advance, approve, pause, resume, abort) first builds a ``Preview``: the
services whose caching it will flip (environment, before -> after) and the record's own
transitions. It goes to ``edges.preview``; then --dry-run stops (nothing written), --yes goes
on, and otherwise ``edges.confirm`` asks a person (no terminal: refused, nothing written).

Exit codes of the waiting commands (``advance --wait``, ``status --watch``) are distinct and
documented in the README: 0 completed, 1 failed or aborted, 4 waiting for a person (an approval
or a pause), 5 timed out.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Sequence

from optctl.commands.change import WriteOptions
from optctl.commands.edges import Advance, Edges, Progress, nothing_done
from optctl.errors import NotFoundError, UsageError
from optctl.rollout import machine
from optctl.rollout import operations as ops
from optctl.rollout.records.base import Event
from optctl.rollout.state import ACTIVE, Rollout
from optctl.settings.context import RunContext
from optctl.settings.project import Project

EXIT_COMPLETED, EXIT_FAILED, EXIT_NEEDS_PERSON, EXIT_TIMED_OUT = 0, 1, 4, 5
Settled = Literal["completed", "failed", "person", "moving"]


# --- what a write will do -----------------------------------------------------------------


@dataclass(frozen=True)
class Flip:
    """One service whose ``cache.enabled`` a write changes; ``when`` qualifies a change that depends on gates."""

    environment: str
    service: str
    before: bool | None
    after: bool | None
    when: str | None = None


@dataclass
class Preview:
    command: str
    rollouts: list[str] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.flips and not self.transitions

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "rollouts": self.rollouts,
            "transitions": self.transitions,
            "changes": [vars(f) for f in self.flips],
        }


@dataclass(frozen=True)
class View:
    """One rollout as ``status`` shows it: observed at ``now``, its recent events, what comes next."""

    rollout: Rollout
    events: list[Event]
    next: machine.Action
    now: datetime
    did: tuple[str, ...] = ()
    soak_left: tuple[float | None, ...] = ()  # seconds of soak left per stage at ``now`` (None: no soak running)

    @property
    def settled(self) -> Settled:
        return settled(self.rollout, self.next)

    @property
    def next_in(self) -> float | None:
        """Seconds from ``now`` until the next action may happen (None: it waits on nothing timed)."""
        return None if self.next.until is None else (self.next.until - self.now).total_seconds()


@dataclass(frozen=True)
class Outcome:
    """What a command did: the rollouts as they are now, the preview it asked about, whether it wrote."""

    views: list[View]
    preview: Preview | None = None
    written: bool = False
    notes: tuple[str, ...] = ()
    timed_out: bool = False
    dry_run: bool = False
    cancelled: bool = False  # a person answered no
    context: RunContext | None = None  # which project and stores; set by every command (None only mid-command)

    @property
    def exit_code(self) -> int:
        """For the one-shot commands: 1 if a person said no, or any rollout failed, was aborted or is
        held by a failed gate."""
        return EXIT_FAILED if self.cancelled or any(v.settled == "failed" for v in self.views) else 0

    @property
    def abort_exit_code(self) -> int:
        """abort: 1 if a person said no, or a service was left alone (changed by hand since)."""
        left_alone = any(stage.left_alone for v in self.views for stage in v.rollout.stages)
        return EXIT_FAILED if self.cancelled or left_alone else 0

    @property
    def fingerprint(self) -> tuple:
        """Changes whenever what ``status`` shows changes (``--watch`` off a terminal prints each once)."""
        return tuple((v.rollout.id, v.rollout.version, tuple(s.state for s in v.rollout.stages)) for v in self.views)

    def wait_exit_code(self) -> int:
        """For ``--wait`` / ``--watch``: the documented distinct codes."""
        if any(v.settled == "failed" for v in self.views):
            return EXIT_FAILED
        if self.timed_out:
            return EXIT_TIMED_OUT
        if any(v.settled == "person" for v in self.views):
            return EXIT_NEEDS_PERSON
        return EXIT_COMPLETED


def settled(rollout: Rollout, action: machine.Action) -> Settled:
    if rollout.state == "completed":
        return "completed"
    if rollout.state in ("failed", "aborted") or any(stage.state == "failed" for stage in rollout.stages):
        return "failed"
    if rollout.state == "paused" or (action.kind == "wait" and action.until is None):
        return "person"
    return "moving"


# --- the runtime for one command -----------------------------------------------------------


@contextmanager
def runtime(
    config: Path | None,
    edges: Edges,
    on_step: Callable[[str, Rollout], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[tuple[ops.Runtime, Project]]:
    project = edges.load_project(config)
    with ops.opened_runtime(project, edges.actor(), edges.open_store, on_step, clock or ops.utc_now) as rt:
        yield rt, project


def run_context(project: Project, rollouts: Sequence[Rollout] = (), preview: Preview | None = None) -> RunContext:
    """The rollout records' environment, then every environment the rollouts (or the preview) touch."""
    names = [
        project.rollouts_config().environment,
        *(s.environment for r in rollouts for s in r.stages),
        *(f.environment for f in (preview.flips if preview else ())),
    ]
    return RunContext.of(project, [project.env(name) for name in dict.fromkeys(names)])


def _told(project: Project, outcome: Outcome) -> Outcome:
    """``outcome`` saying which project and stores it used."""
    return replace(outcome, context=run_context(project, [v.rollout for v in outcome.views], outcome.preview))


def _go_ahead(preview: Preview, options: WriteOptions, edges: Edges) -> bool | None:
    """True: write. False: --dry-run, nothing to write. None: a person said no."""
    edges.preview(preview)
    if preview.empty:
        return True
    if options.dry_run:
        return False
    if options.yes:
        return True
    answer = edges.confirm(f"{preview.command}: go ahead?")
    if answer is None:
        raise UsageError("not a terminal, so nothing to ask: pass --yes to write, or --dry-run to only look; nothing was written")
    return True if answer else None


def _stopped(views: list[View], preview: Preview, go: bool | None, notes: tuple[str, ...] = ()) -> Outcome:
    return Outcome(views, preview, notes=notes, dry_run=go is False, cancelled=go is None)


def view(rt: ops.Runtime, rollout_id: str, did: Sequence[str] = ()) -> View:
    now = rt.clock()
    seen = machine.observe(rt.records.get(rollout_id), now)
    return View(
        seen,
        rt.records.events(rollout_id, limit=8),
        machine.next_action(seen, now),
        now,
        tuple(did),
        tuple(machine.soak_left(stage, now) for stage in seen.stages),
    )


def targets(rt: ops.Runtime, rollout_id: str | None, every: bool = False, latest: bool = False) -> list[str]:
    """The named rollout; ``every``: all active ones; neither: the one active rollout (several: all of
    them for reads, a usage error naming them for writes unless ``every``)."""
    if rollout_id:
        return [rollout_id]
    active = [r.id for r in rt.records.list(ACTIVE)]
    if every or latest:
        if active:
            return active
        if latest:
            past = rt.records.list()
            if past:
                return [past[-1].id]
        return []
    if len(active) > 1:
        raise UsageError(f"{len(active)} rollouts are active ({', '.join(active)}); name one, or use --all")
    return active


def _none_active() -> NotFoundError:
    return NotFoundError("no active rollout; `optctl rollout list` shows past ones, `optctl rollout start PLAN` starts one")


# --- previews -------------------------------------------------------------------------------


def _enabled(optimization: dict[str, Any] | None) -> bool | None:
    return None if optimization is None else bool((optimization.get("cache") or {}).get("enabled"))


def _stage_flips(rt: ops.Runtime, rollout: Rollout, index: int, when: str | None = None) -> list[Flip]:
    stage = rollout.stages[index]
    documents = rt.stores(stage.environment).read_many(stage.services)
    return [
        Flip(stage.environment, s, _enabled(documents[s].optimization) if s in documents else None, True, when)
        for s in stage.services
        if s not in documents or not _enabled(documents[s].optimization)
    ]


def _restore_flips(rt: ops.Runtime, rollout: Rollout) -> list[Flip]:
    flips = []
    for index in machine.stages_to_roll_back(rollout):
        stage = rollout.stages[index]
        documents = rt.stores(stage.environment).read_many([a.service for a in stage.applied])
        for applied in reversed(stage.applied):
            current = documents.get(applied.service)
            now = _enabled(current.optimization) if current else None
            if current is not None and current.optimization != applied.before:
                flips.append(Flip(stage.environment, applied.service, now, _enabled(applied.before)))
    return flips


def preview_advance(rt: ops.Runtime, rollout: Rollout, preview: Preview) -> None:
    now = rt.clock()
    action = machine.next_action(machine.observe(rollout, now), now)
    label, index = f"{rollout.id}:", action.stage
    if action.kind == "apply" and index is not None:
        stage = rollout.stages[index]
        preview.transitions.append(
            f"{label} apply stage {index + 1} ({stage.environment})"
            + (" (finishing the interrupted apply)" if rollout.step else "")
        )
        preview.flips += _stage_flips(rt, rollout, index)
    elif action.kind in ("evaluate", "promote") and index is not None:
        stage = rollout.stages[index]
        when = "if the gates pass" if action.kind == "evaluate" else None
        if action.kind == "evaluate":
            kinds = ", ".join(stage.gates[i].kind for i in action.gates)
            preview.transitions.append(f"{label} run the gates of stage {index + 1} ({stage.environment}): {kinds}")
        if index + 1 == len(rollout.stages):
            preview.transitions.append(
                f"{label} stage {index + 1} passes and the rollout completes" + (f" {when}" if when else "")
            )
        else:
            after = rollout.stages[index + 1]
            preview.transitions.append(
                f"{label} stage {index + 1} passes, stage {index + 2} ({after.environment}) is applied"
                + (f" {when}" if when else "")
            )
            preview.flips += _stage_flips(rt, rollout, index + 1, when)
    elif action.kind == "rollback":
        preview.transitions.append(f"{label} roll back ({action.reason})")
        preview.flips += _restore_flips(rt, rollout)
    elif action.kind == "complete":
        preview.transitions.append(f"{label} running -> completed")
    if preview.transitions and preview.transitions[-1].startswith(label):
        preview.rollouts.append(rollout.id)


def preview_abort(rt: ops.Runtime, rollout: Rollout, preview: Preview) -> None:
    preview.rollouts.append(rollout.id)
    preview.transitions.append(f"{rollout.id}: {rollout.state} -> aborted")
    preview.flips += _restore_flips(rt, rollout)


# --- commands ---------------------------------------------------------------------------------


def start(
    plan_file: str, options: WriteOptions = WriteOptions(), edges: Edges = Edges(), on_step: Callable | None = None
) -> Outcome:
    plan, warnings = ops.load_plan(plan_file)
    with runtime(options.config, edges, on_step) as (rt, project):
        resolved = ops.resolve(rt, plan)
        preview = Preview("start")
        first = plan.stages[0]
        documents = rt.stores(first.environment).read_many(resolved.services[0])
        preview.transitions.append(
            f"new rollout of plan {plan.name}: {len(plan.stages)} stage(s); stage 1 ({first.environment}) is applied"
        )
        preview.flips += [
            Flip(first.environment, s, _enabled(documents[s].optimization), True)
            for s in resolved.services[0]
            if not _enabled(documents[s].optimization)
        ]
        notes = tuple(warnings) + tuple(resolved.skipped)
        go = _go_ahead(preview, options, edges)
        if not go:
            return _told(project, _stopped([], preview, go, notes))
        result = ops.start(rt, plan, resolved)
        return _told(project, Outcome([view(rt, result.rollout.id, result.did)], preview, True, notes))


def advance(
    rollout_id: str | None,
    options: WriteOptions = WriteOptions(),
    edges: Edges = Edges(),
    *,
    wait: Waiting | None = None,
    on_step: Callable | None = None,
) -> Outcome:
    """Advance the named rollout (without one: every active rollout); with ``wait``, again and again
    through soaks and retries until it ends, a person is needed, or the deadline passes."""
    with runtime(options.config, edges, on_step, wait.clock if wait else None) as (rt, project):
        ids = targets(rt, rollout_id, every=True)
        if not ids:
            raise _none_active()
        for rid in ids:
            rt.load(rid)  # refuses, before anything, a rollout bound to other stores
        preview = Preview("advance")
        for rid in ids:
            preview_advance(rt, rt.records.get(rid), preview)
        go = _go_ahead(preview, options, edges)
        if not go:
            return _told(project, _stopped([view(rt, rid) for rid in ids], preview, go))
        did: dict[str, list[str]] = {rid: [] for rid in ids}
        timed_out = False
        for rid in ids:
            if wait is None:
                did[rid] += ops.advance(rt, rid).did
            else:
                timed_out = _advance_until_settled(rt, rid, wait, did[rid], edges.progress) or timed_out
        return _told(project, Outcome([view(rt, rid, did[rid]) for rid in ids], preview, not preview.empty, timed_out=timed_out))


@dataclass(frozen=True)
class Waiting:
    """How long ``--wait`` / ``--watch`` may take, and the clock and sleep they use (tests inject both)."""

    timeout: float | None  # seconds; None: no deadline
    sleep: Callable[[float], None]
    interval: float = 60.0  # the longest single wait before the rollout is looked at again
    clock: Callable[[], datetime] | None = None  # None: the real clock
    tick: float = 1.0  # the longest single sleep of a soak, so that its time left counts down on a terminal

    def deadline(self, now: datetime) -> datetime | None:
        return None if self.timeout is None else now + timedelta(seconds=self.timeout)


def _advance_until_settled(rt: ops.Runtime, rollout_id: str, wait: Waiting, did: list[str], progress: Progress) -> bool:
    """True if the deadline passed first. A soak being waited out is shown to ``progress``: its time left."""
    deadline = wait.deadline(rt.clock())
    with _SoakBar(progress) as soak:
        while True:
            result = ops.advance(rt, rollout_id)
            did += result.did
            if settled(result.rollout, result.next) != "moving":
                return False
            now = rt.clock()
            if deadline is not None and now >= deadline:
                return True
            if result.next.kind != "wait":
                continue  # something is due now (the gates of a stage just applied)
            until = result.next.until or now + timedelta(seconds=wait.interval)
            if deadline is not None:
                until = min(until, deadline)
            pause = max(0.0, min(wait.interval, (until - now).total_seconds()))
            rt.on_step("waiting", result.rollout)
            if soak.show(result.rollout, result.next.stage, now):
                _sleep_through(wait, pause, rt.clock, soak.advance)
            else:
                wait.sleep(pause)


class _SoakBar:
    """The soak being waited out, as a bar of its time left (``edges.progress``, in seconds): one bar
    a stage's soak, kept across the sleeps and looks of the wait."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.shown = ExitStack()
        self.stage: int | None = None
        self.advance: Advance = nothing_done

    def __enter__(self) -> _SoakBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shown.close()

    def show(self, rollout: Rollout, stage: int | None, now: datetime) -> bool:
        """Whether ``stage`` is soaking at ``now``; if so its bar is up (and any other one gone)."""
        record = rollout.stages[stage] if stage is not None else None
        left = machine.soak_left(record, now) if record is not None else None
        total = machine.soak_seconds(record) if record is not None else None
        soaking = record is not None and bool(left) and bool(total)
        if (stage if soaking else None) == self.stage:
            return soaking
        self.shown.close()
        self.stage, self.advance = None, nothing_done
        if record is not None and stage is not None and left and total:
            label = f"{rollout.id}: stage {stage + 1} ({record.environment}) soaking"
            self.stage = stage
            self.advance = self.shown.enter_context(self.progress(label, total, "seconds"))
            self.advance(total - left)
        return soaking


def _sleep_through(wait: Waiting, seconds: float, clock: Callable[[], datetime], advance: Advance) -> None:
    """``seconds`` of sleep in ticks, each told to ``advance`` as the clock saw it go by."""
    last = clock()
    while seconds > 0:
        step = min(wait.tick, seconds)
        wait.sleep(step)
        seconds -= step
        now = clock()
        advance((now - last).total_seconds())
        last = now


def status(rollout_id: str | None, config: Path | None = None, edges: Edges = Edges()) -> Outcome:
    """The named rollout; without one every active rollout, or the newest if none is active."""
    with runtime(config, edges) as (rt, project):
        ids = targets(rt, rollout_id, latest=True)
        if not ids:
            raise NotFoundError("no rollouts yet; `optctl rollout start PLAN` starts one")
        return _told(project, Outcome([view(rt, rid) for rid in ids]))


def watch(
    rollout_id: str | None, wait: Waiting, show: Callable[[Outcome], None], config: Path | None = None, edges: Edges = Edges()
) -> Outcome:
    """``show`` the status whenever it changes until every rollout shown ends or needs a person, or the deadline."""
    with runtime(config, edges, clock=wait.clock) as (rt, project):
        ids = targets(rt, rollout_id, latest=True)
        if not ids:
            raise NotFoundError("no rollouts yet; `optctl rollout start PLAN` starts one")
        deadline = wait.deadline(rt.clock())
        while True:
            outcome = _told(project, Outcome([view(rt, rid) for rid in ids]))
            show(outcome)
            if all(v.settled != "moving" for v in outcome.views):
                return outcome
            if deadline is not None and rt.clock() >= deadline:
                return replace(outcome, timed_out=True)
            left = None if deadline is None else (deadline - rt.clock()).total_seconds()
            wait.sleep(wait.interval if left is None else max(0.0, min(wait.interval, left)))


def _simple(
    rollout_id: str | None,
    every: bool,
    command: str,
    options: WriteOptions,
    edges: Edges,
    transition: Callable[[ops.Runtime, Rollout], str | None],
    act: Callable[[ops.Runtime, str], ops.Result],
    none_active_note: str | None = None,
) -> Outcome:
    """approve / pause / resume: a record-only write on one rollout (or, ``every``, all active ones)."""
    with runtime(options.config, edges) as (rt, project):
        ids = targets(rt, rollout_id, every=every)
        if not ids:
            if none_active_note is not None:
                return _told(project, Outcome([], notes=(none_active_note,)))
            raise _none_active()
        rollouts = [rt.load(rid) for rid in ids]
        preview = Preview(command)
        for rollout in rollouts:
            line = transition(rt, rollout)
            if line:
                preview.rollouts.append(rollout.id)
                preview.transitions.append(f"{rollout.id}: {line}")
        go = _go_ahead(preview, options, edges)
        if not go:
            return _told(project, _stopped([view(rt, rid) for rid in ids], preview, go))
        did = {rid: act(rt, rid).did for rid in preview.rollouts}
        return _told(project, Outcome([view(rt, rid, did.get(rid, ())) for rid in ids], preview, True))


def approve(rollout_id: str | None, options: WriteOptions = WriteOptions(), edges: Edges = Edges()) -> Outcome:
    def line(rt: ops.Runtime, rollout: Rollout) -> str:
        index = rollout.current_stage()
        where = f"stage {index + 1} ({rollout.stages[index].environment})" if index is not None else "no stage"
        return f"{where}: approved by {rt.actor}"

    return _simple(rollout_id, False, "approve", options, edges, line, ops.approve)


def pause(rollout_id: str | None, options: WriteOptions = WriteOptions(), edges: Edges = Edges(), every: bool = False) -> Outcome:
    reason = options.reason or ""
    ops.require_reason(reason)
    return _simple(
        rollout_id,
        every,
        "pause",
        options,
        edges,
        lambda rt, r: "running -> paused" if r.state == "running" else None,
        lambda rt, rid: ops.pause(rt, rid, reason),
        none_active_note="no active rollout: nothing to pause; go on",
    )


def resume(rollout_id: str | None, options: WriteOptions = WriteOptions(), edges: Edges = Edges()) -> Outcome:
    return _simple(rollout_id, False, "resume", options, edges, lambda rt, r: f"{r.state} -> running", ops.resume)


def abort(
    rollout_id: str | None,
    options: WriteOptions = WriteOptions(),
    edges: Edges = Edges(),
    *,
    force: bool = False,
    every: bool = False,
    on_step: Callable | None = None,
) -> Outcome:
    reason = options.reason or ""
    ops.require_reason(reason)
    with runtime(options.config, edges, on_step) as (rt, project):
        ids = targets(rt, rollout_id, every=every)
        if not ids:
            raise _none_active()
        rollouts = [rt.load(rid) for rid in ids]
        preview = Preview("abort")
        for rollout in rollouts:
            preview_abort(rt, rollout, preview)
        go = _go_ahead(preview, options, edges)
        if not go:
            return _told(project, _stopped([view(rt, rid) for rid in ids], preview, go))
        did = {rid: ops.abort(rt, rid, reason, force).did for rid in ids}
        return _told(project, Outcome([view(rt, rid, did[rid]) for rid in ids], preview, True))


@dataclass(frozen=True)
class RolloutList:
    """Every rollout, oldest first, and where their records were read."""

    rollouts: list[Rollout]
    context: RunContext

    @property
    def exit_code(self) -> int:
        return 0


def list_rollouts(config: Path | None = None, edges: Edges = Edges()) -> RolloutList:
    from optctl.rollout.records import open_records

    project = edges.load_project(config)
    records = open_records(project)
    try:
        return RolloutList(records.list(), run_context(project))
    finally:
        records.close()


@dataclass(frozen=True)
class PlanWritten:
    text: str
    path: Path | None


def write_plan(
    services: str,
    soak: str,
    check: str | None,
    approval: bool,
    name: str,
    out: Path | None,
    force: bool,
    savings_gate: str | None = None,
) -> PlanWritten:
    """The guide's default plan as text, or written to ``out`` (never over a file without ``force``)."""
    from optctl.contract.schemas import schema_path
    from optctl.rollout.plan import PLAN_SCHEMA, default_plan, plan_document
    from optctl.savings.gate import parse_gate_spec

    names = [s.strip() for s in services.split(",") if s.strip()]
    gate = parse_gate_spec(savings_gate) if savings_gate else None
    # Editors find the schema where optctl is installed (`optctl schema rollout-plan` prints it).
    text = plan_document(
        default_plan(names, soak, check, approval, name, gate),
        json_format=bool(out and out.suffix == ".json"),
        schema=str(schema_path(PLAN_SCHEMA)),
    )
    if out is None:
        return PlanWritten(text, None)
    if out.exists() and not force:
        raise UsageError(f"{out}: already exists; pass --force to overwrite it, or choose another --out; nothing was written")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{out}: cannot write the plan ({err.strerror or err}); nothing was written") from None
    return PlanWritten(text, out)
