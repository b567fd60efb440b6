"""The pure state machine: what comes next, for a given record and moment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from optctl.errors import UsageError
from optctl.rollout import machine
from optctl.rollout.plan import Plan
from optctl.rollout.state import Applied

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def plan(*stages_gates, on_failure="rollback") -> Plan:
    envs = ["dev", "staging", "production", "production"]
    return Plan.model_validate(
        {
            "name": "p",
            "on_failure": on_failure,
            "stages": [
                {"environment": envs[i], "services": [f"s{i}"], "gates": list(gates)} for i, gates in enumerate(stages_gates)
            ],
        }
    )


def started(*stages_gates, on_failure="rollback"):
    p = plan(*stages_gates, on_failure=on_failure)
    return machine.start("r1", p, [[f"s{i}"] for i in range(len(p.stages))], "alice", T0)


def applied(rollout, index, at=T0):
    rollout = machine.begin_apply(rollout, index, "alice", at)
    return machine.finish_apply(rollout, index, [Applied(service=f"s{index}", revision="2", before={}, after={})], [], at)


SOAK_24H = {"kind": "soak", "duration": "24h"}
CHECK = {"kind": "check", "command": "true", "retries": 2, "retry_interval": "5m"}
APPROVAL = {"kind": "approval"}


def test_a_new_rollout_applies_its_first_stage():
    rollout = started([SOAK_24H], [])
    assert machine.next_action(rollout, T0) == machine.StageAction("apply", 0)
    assert [s.state for s in rollout.stages] == ["pending", "pending"]


def test_an_open_intent_is_finished_before_anything_else():
    rollout = machine.begin_apply(started([], []), 0, "alice", T0)
    assert rollout.stages[0].state == "applying"
    assert machine.next_action(rollout, T0 + timedelta(days=3)).kind == "apply"


def test_a_24h_soak_walked_with_the_clock():
    rollout = applied(started([SOAK_24H], []), 0)
    for hours in (0, 1, 12, 23.99):
        action = machine.next_action(rollout, T0 + timedelta(hours=hours))
        assert action.kind == "wait" and action.until == T0 + timedelta(hours=24)
        assert machine.observe(rollout, T0 + timedelta(hours=hours)).stages[0].state == "soaking"
        assert machine.soak_left(rollout.stages[0], T0 + timedelta(hours=hours)) == pytest.approx((24 - hours) * 3600)
    assert machine.next_action(rollout, T0 + timedelta(hours=24)) == machine.StageAction("promote", 0)
    seen = machine.observe(rollout, T0 + timedelta(hours=24))
    assert seen.stages[0].gates[0].result == "pass"


def test_external_gates_run_only_after_the_soak():
    rollout = applied(started([SOAK_24H, CHECK], []), 0)
    assert machine.next_action(rollout, T0 + timedelta(hours=1)).kind == "wait"
    assert machine.next_action(rollout, T0 + timedelta(hours=24)) == machine.StageAction("evaluate", 0, gates=(1,))


def test_passing_gates_promote_and_the_last_stage_completes_the_rollout():
    rollout = applied(started([CHECK]), 0)
    rollout = machine.record_gates(rollout, 0, {0: ("pass", "ok")}, T0)
    assert machine.next_action(rollout, T0).kind == "promote"
    rollout = machine.promote(rollout, 0, T0)
    assert rollout.state == "completed" and rollout.stages[0].state == "passed"
    assert machine.next_action(rollout, T0).kind == "idle"


def test_inconclusive_retries_after_its_interval_then_gives_up():
    rollout = applied(started([CHECK], []), 0)
    now = T0
    for _ in range(2):  # retries: 2
        rollout = machine.record_gates(rollout, 0, {0: ("inconclusive", "timed out")}, now)
        assert rollout.stages[0].state == "soaking"
        waiting = machine.next_action(rollout, now + timedelta(minutes=4))
        assert waiting.kind == "wait" and waiting.until == now + timedelta(minutes=5)
        now += timedelta(minutes=5)
        assert machine.next_action(rollout, now).kind == "evaluate"
    rollout = machine.record_gates(rollout, 0, {0: ("inconclusive", "timed out")}, now)
    assert rollout.stages[0].state == "failed"
    assert "stayed inconclusive" in rollout.reason
    assert machine.next_action(rollout, now).kind == "rollback"


def test_a_failed_gate_rolls_back_by_default():
    rollout = machine.record_gates(applied(started([CHECK], []), 0), 0, {0: ("fail", "exit 1")}, T0)
    assert rollout.state == "running" and rollout.stages[0].state == "failed"
    assert machine.next_action(rollout, T0).kind == "rollback"


def test_a_failed_gate_pauses_when_the_plan_says_so_and_resume_evaluates_afresh():
    rollout = machine.record_gates(applied(started([CHECK], [], on_failure="pause"), 0), 0, {0: ("fail", "exit 1")}, T0)
    assert rollout.state == "paused" and "check gate failed: exit 1" in rollout.reason
    assert machine.next_action(rollout, T0).kind == "idle"
    resumed = machine.resume(rollout, T0)
    assert resumed.state == "running" and resumed.stages[0].state == "soaking"
    assert machine.next_action(resumed, T0) == machine.StageAction("evaluate", 0, gates=(0,))


def test_approval_must_come_from_someone_else_and_only_once_applied():
    rollout = started([APPROVAL], [])
    with pytest.raises(UsageError, match="once it is applied"):
        machine.approve(rollout, "bob", T0)
    rollout = applied(rollout, 0)
    assert machine.observe(rollout, T0).stages[0].state == "awaiting_approval"
    assert machine.next_action(rollout, T0).reason.startswith("awaiting approval")
    with pytest.raises(UsageError, match="someone else"):
        machine.approve(rollout, "alice", T0)
    approved = machine.approve(rollout, "bob", T0)
    assert approved.stages[0].approved_by == "bob"
    assert machine.next_action(approved, T0).kind == "promote"


def test_approval_waits_for_the_automatic_gates_in_the_status():
    rollout = applied(started([SOAK_24H, APPROVAL], []), 0)
    assert machine.observe(rollout, T0).stages[0].state == "soaking"
    assert machine.observe(rollout, T0 + timedelta(hours=24)).stages[0].state == "awaiting_approval"


def test_pause_and_resume_only_from_the_right_states():
    rollout = started([], [])
    paused = machine.pause(rollout, "watching costs", T0)
    assert paused.state == "paused" and machine.next_action(paused, T0).kind == "idle"
    with pytest.raises(UsageError):
        machine.pause(paused, "again", T0)
    with pytest.raises(UsageError):
        machine.resume(rollout, T0)


def test_rollback_visits_stages_newest_first_and_ends_in_the_final_state():
    rollout = applied(applied(started([], [], []), 0), 1)
    rollout = machine.promote(rollout, 0, T0)
    assert machine.stages_to_roll_back(rollout) == [1, 0]
    rollout = machine.begin_rollback(rollout, "aborted", "alice", "bad", False, T0)
    assert machine.next_action(rollout, T0).kind == "rollback"
    rollout = machine.finish_rollback_stage(rollout, 1, ["s1"], [], T0)
    rollout = machine.finish_rollback_stage(rollout, 0, [], ["s0"], T0)
    assert [s.state for s in rollout.stages] == ["failed", "rolled_back", "pending"]
    assert rollout.stages[0].left_alone == ["s0"] and machine.stages_to_roll_back(rollout) == [0]
    rollout = machine.finish_rollback(rollout, T0)
    assert rollout.state == "aborted" and rollout.step is None


def test_a_paused_rollout_does_not_finish_an_interrupted_apply_until_resumed():
    rollout = machine.pause(machine.begin_apply(started([], []), 0, "alice", T0), "3am", T0)
    assert machine.next_action(rollout, T0).kind == "idle"
    assert machine.next_action(machine.resume(rollout, T0), T0).kind == "apply"
