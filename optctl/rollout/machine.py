"""The rollout state machine: (rollout, gate results, now) -> the next action and the next record.

Pure: no I/O and no clock of its own, so tests walk a 24 h soak by passing a later ``now``.
``operations`` performs what ``next_action`` asks for (writes to stores, runs gates) and feeds
the outcome back through the transition functions below, saving each new record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeAlias

from optctl.errors import UsageError
from optctl.rollout.binding import Binding
from optctl.rollout.plan import Plan, duration_seconds
from optctl.rollout.records.base import normalise
from optctl.rollout.state import (
    APPLIED_STATES,
    Applied,
    GateResult,
    GateStatus,
    Rollout,
    RolloutState,
    StageRecord,
    Step,
    iso,
    parse_iso,
)

EXTERNAL_GATES = ("check", "metrics", "savings")

ActionKind = Literal["apply", "evaluate", "promote", "rollback", "complete", "wait", "idle"]


@dataclass(frozen=True)
class _Action:
    kind: ActionKind
    stage: int | None = None  # 0-based
    gates: tuple[int, ...] = ()  # evaluate: indexes of the gates to run now
    until: datetime | None = None  # wait: when something can next change without a person
    reason: str = ""


@dataclass(frozen=True)
class StageAction(_Action):
    """An action on one stage: ``stage`` is always given, so its performers need not check."""

    kind: Literal["apply", "evaluate", "promote", "wait"]
    stage: int


@dataclass(frozen=True)
class RolloutAction(_Action):
    """An action on the rollout as a whole (a rollback covers every stage with applied services)."""

    kind: Literal["rollback", "complete", "idle"]


# What the rollout waits for next; ``kind`` tells the two apart (``if action.kind == "apply"``
# narrows to a StageAction), and both have every field for the renderers.
Action: TypeAlias = StageAction | RolloutAction


def start(
    rollout_id: str,
    plan: Plan,
    services: list[list[str]],
    actor: str,
    now: datetime,
    actor_key: str | None = None,
    bound: Binding | None = None,
) -> Rollout:
    """A new record; ``services`` is each stage's list with ``all`` already resolved; ``actor_key``
    is the starter's principal (what an approval must differ from)."""
    stages = [
        StageRecord(
            environment=stage.environment,
            services=names,
            on_failure=plan.on_failure_of(stage),
            gates=[GateStatus(gate=gate.model_dump(mode="json")) for gate in stage.gates],
        )
        for stage, names in zip(plan.stages, services)
    ]
    at = iso(now)
    return Rollout(
        id=rollout_id,
        name=plan.name,
        started_by=actor,
        started_by_key=actor_key or normalise(actor),
        started_at=at,
        updated_at=at,
        stages=stages,
        bound=bound,
    )


def next_action(rollout: Rollout, now: datetime) -> Action:
    step = rollout.step
    if step is not None and not (step.op == "apply" and rollout.state == "paused"):
        if step.op == "rollback":
            return RolloutAction("rollback", step.stage, reason="finish the interrupted rollback")
        assert step.stage is not None  # begin_apply names the stage it applies
        return StageAction("apply", step.stage, reason="finish the interrupted apply")
    if rollout.state != "running":
        return RolloutAction("idle", reason=f"rollout is {rollout.state}" + (f": {rollout.reason}" if rollout.reason else ""))
    index = rollout.current_stage()
    if index is None:
        return RolloutAction("complete")
    stage = rollout.stages[index]
    if stage.state == "pending":
        return StageAction("apply", index)
    if stage.state == "failed":
        return RolloutAction("rollback", index, reason=rollout.reason or "a gate failed")
    soak_end = _soak_end(stage)
    if soak_end is not None and now < soak_end:
        return StageAction("wait", index, until=soak_end, reason="soaking")
    due, retry_at = [], []
    for gate_index, gate in enumerate(stage.gates):
        if gate.kind in EXTERNAL_GATES and gate.result != "pass":
            next_try = _next_try(gate)
            if next_try is None or now >= next_try:
                due.append(gate_index)
            else:
                retry_at.append(next_try)
    if due:
        return StageAction("evaluate", index, gates=tuple(due))
    if retry_at:
        return StageAction("wait", index, until=min(retry_at), reason="retrying inconclusive gates")
    if _needs_approval(stage):
        return StageAction("wait", index, reason=f"awaiting approval by someone other than {rollout.started_by}")
    return StageAction("promote", index)


def observe(rollout: Rollout, now: datetime) -> Rollout:
    """The record as ``status`` shows it at ``now``: soak and approval gates settled, stage state named."""
    seen = rollout.copy_deep()
    index = seen.current_stage()
    if index is None or seen.stages[index].state not in ("soaking", "awaiting_approval"):
        return seen
    stage = seen.stages[index]
    soak_end = _soak_end(stage)
    for gate in stage.gates:
        if gate.kind == "soak" and soak_end is not None and now >= soak_end and gate.result is None:
            gate.result, gate.at, gate.attempts = "pass", iso(soak_end), 1
    automatic_done = all(g.result == "pass" for g in stage.gates if g.kind != "approval")
    stage.state = "awaiting_approval" if automatic_done and _needs_approval(stage) else "soaking"
    return seen


# --- transitions: each returns a new record ---------------------------------------------


def begin_apply(rollout: Rollout, index: int, actor: str, now: datetime) -> Rollout:
    new = _touched(rollout, now)
    new.stages[index].state = "applying"
    new.step = Step(op="apply", stage=index, at=iso(now), actor=actor)
    return new


def finish_apply(rollout: Rollout, index: int, applied: list[Applied], unchanged: list[str], now: datetime) -> Rollout:
    new = _touched(rollout, now)
    stage = new.stages[index]
    stage.state, stage.applied_at, stage.applied, stage.unchanged = "soaking", iso(now), applied, unchanged
    new.step = None
    return observe(new, now)


def settle_interrupted_apply(rollout: Rollout, index: int, landed: list[Applied], now: datetime) -> Rollout:
    """Close an apply that was cut short with what had landed; a stage where nothing did is pending again."""
    if landed:
        return finish_apply(rollout, index, landed, [], now)
    new = _touched(rollout, now)
    new.stages[index].state, new.step = "pending", None
    return new


def step_failed(rollout: Rollout, error: str, now: datetime) -> Rollout:
    """An operation stopped cleanly on an error: the intent stays open, with the reason."""
    new = _touched(rollout, now)
    assert new.step is not None
    new.step.error = error
    return new


def record_gates(rollout: Rollout, index: int, outcomes: dict[int, tuple[GateResult, str]], now: datetime) -> Rollout:
    """Gate results in; a fail (or an inconclusive past its retries) fails the stage."""
    new = _touched(rollout, now)
    stage = new.stages[index]
    for gate_index, (result, detail) in outcomes.items():
        gate = stage.gates[gate_index]
        gate.result, gate.detail, gate.at, gate.attempts = result, detail, iso(now), gate.attempts + 1
    failed = next((g for g in stage.gates if _gave_up(g)), None)
    if failed is not None:
        stage.state = "failed"
        new.reason = f"stage {index + 1} ({stage.environment}): {failed.kind} gate {'failed' if failed.result == 'fail' else 'stayed inconclusive'}: {failed.detail}"
        # Too little traffic to judge savings is no reason to roll back: it pauses (issue 14).
        if stage.on_failure == "pause" or (failed.kind == "savings" and failed.result == "inconclusive"):
            new.state = "paused"
        return new
    return observe(new, now)


def promote(rollout: Rollout, index: int, now: datetime) -> Rollout:
    new = observe(_touched(rollout, now), now)
    new.stages[index].state = "passed"
    if new.current_stage() is None:
        new.state = "completed"
    return new


def complete(rollout: Rollout, now: datetime) -> Rollout:
    new = _touched(rollout, now)
    new.state = "completed"
    return new


def stage_to_approve(rollout: Rollout) -> int:
    """The index of the stage an approval would pass; ``UsageError`` when there is none to approve."""
    if rollout.state not in ("running", "paused"):
        raise UsageError(f"rollout {rollout.id} is {rollout.state}; there is nothing to approve")
    index = rollout.current_stage()
    if index is None or not any(g.kind == "approval" for g in rollout.stages[index].gates):
        raise UsageError(
            f"rollout {rollout.id}: the current stage has no approval gate; see `optctl rollout status {rollout.id}`"
        )
    stage = rollout.stages[index]
    if stage.state not in APPLIED_STATES:
        raise UsageError(
            f"rollout {rollout.id}: stage {index + 1} ({stage.environment}) is {stage.state}; approve it once it is applied and soaking"
        )
    return index


def approve(rollout: Rollout, actor: str, now: datetime, actor_key: str | None = None) -> Rollout:
    """``actor_key`` is the approver's principal (default: the normalised label), compared with the starter's."""
    index = stage_to_approve(rollout)
    if (actor_key or normalise(actor)) == (rollout.started_by_key or normalise(rollout.started_by)):
        raise UsageError(
            f"rollout {rollout.id} was started by {rollout.started_by}; the approval must come from someone else, "
            "authenticated as another user; nothing was done"
        )
    new = _touched(rollout, now)
    stage = new.stages[index]
    stage.approved_by = actor
    for gate in stage.gates:
        if gate.kind == "approval":
            gate.result, gate.at, gate.detail, gate.attempts = "pass", iso(now), f"approved by {actor}", 1
    return observe(new, now)


def pause(rollout: Rollout, reason: str, now: datetime) -> Rollout:
    if rollout.state != "running":
        raise UsageError(f"rollout {rollout.id} is {rollout.state}; only a running rollout can be paused")
    new = _touched(rollout, now)
    new.state, new.reason = "paused", reason
    return new


def resume(rollout: Rollout, now: datetime) -> Rollout:
    """Back to running; a stage paused by a failed gate gets its failed gates evaluated afresh."""
    if rollout.state != "paused":
        raise UsageError(f"rollout {rollout.id} is {rollout.state}; only a paused rollout can be resumed")
    new = _touched(rollout, now)
    new.state, new.reason = "running", None
    index = new.current_stage()
    if index is not None and new.stages[index].state == "failed":
        stage = new.stages[index]
        stage.state = "soaking"
        for gate in stage.gates:
            if gate.result != "pass":
                gate.result, gate.attempts, gate.detail = None, 0, None
    return observe(new, now)


def begin_rollback(rollout: Rollout, final: RolloutState, actor: str, reason: str, force: bool, now: datetime) -> Rollout:
    new = _touched(rollout, now)
    new.reason = reason
    new.step = Step(op="rollback", at=iso(now), actor=actor, final=final, force=force)
    return new


def finish_rollback_stage(rollout: Rollout, index: int, restored: list[str], left_alone: list[str], now: datetime) -> Rollout:
    new = _touched(rollout, now)
    stage = new.stages[index]
    stage.applied = [a for a in stage.applied if a.service not in restored]
    stage.left_alone = left_alone
    stage.state = "failed" if stage.applied else "rolled_back"
    return new


def finish_rollback(rollout: Rollout, now: datetime) -> Rollout:
    new = _touched(rollout, now)
    assert new.step is not None and new.step.final is not None
    new.state, new.step = new.step.final, None
    return new


def stages_to_roll_back(rollout: Rollout) -> list[int]:
    """Newest first: every stage that still has services this rollout enabled."""
    return [i for i in reversed(range(len(rollout.stages))) if rollout.stages[i].applied]


# --- helpers ----------------------------------------------------------------------------


def _touched(rollout: Rollout, now: datetime) -> Rollout:
    new = rollout.copy_deep()
    new.updated_at = iso(now)
    return new


def soak_seconds(stage: StageRecord) -> int | None:
    """How long the stage soaks once applied (its longest soak gate); None: it has no soak."""
    soaks = [duration_seconds(g.gate["duration"]) for g in stage.gates if g.kind == "soak"]
    return max(soaks) if soaks else None


def _soak_end(stage: StageRecord) -> datetime | None:
    soak = soak_seconds(stage)
    if soak is None or stage.applied_at is None:
        return None
    return parse_iso(stage.applied_at) + timedelta(seconds=soak)


def soak_left(stage: StageRecord, now: datetime) -> float | None:
    end = _soak_end(stage)
    return None if end is None else max(0.0, (end - now).total_seconds())


def _next_try(gate: GateStatus) -> datetime | None:
    if gate.result != "inconclusive" or gate.at is None:
        return None
    return parse_iso(gate.at) + timedelta(seconds=duration_seconds(gate.gate["retry_interval"]))


def _gave_up(gate: GateStatus) -> bool:
    if gate.result == "fail":
        return True
    return gate.result == "inconclusive" and gate.attempts > gate.gate["retries"]


def _needs_approval(stage: StageRecord) -> bool:
    return any(g.kind == "approval" for g in stage.gates) and stage.approved_by is None
