"""The savings gate inside a rollout (helper `savings`' file, beside the rollout tests for their fixtures):
real evaluators, a usage log, the injected clock. Working caching promotes, caching that never hits rolls
the stage back, too few calls pauses."""

from __future__ import annotations

import pytest

from optctl.rollout import operations as ops
from optctl.rollout.gates import Evaluators
from tests.support import usage_logs
from tests.unit.rollout.conftest import SERVICES, enabled, three_stage_plan

SOAK = {"kind": "soak", "duration": "1h"}


@pytest.fixture
def real_gates(runtime):
    runtime.evaluators = Evaluators()
    return runtime


def savings(log, **conditions):
    return {"kind": "savings", "window": "1h", "usage_log": str(log), "retries": 0, **conditions}


def dev_plan(log, **conditions):
    return three_stage_plan(dev=[SOAK, savings(log, **conditions)])


def test_caching_that_works_in_every_service_passes_and_the_next_stage_is_applied(real_gates, stores, clock, tmp_path):
    rollout_id = ops.start(
        real_gates, dev_plan(tmp_path / "u.jsonl", min_calls=10, min_cache_read_ratio=0.5, max_cost_change=-0.2)
    ).rollout.id
    usage_logs.burst(tmp_path / "u.jsonl", tuple((s, "works") for s in SERVICES), "dev", clock.now, 12)
    clock.tick(hours=1)
    result = ops.advance(real_gates, rollout_id)
    gate = result.rollout.stages[0].gates[1]
    assert gate.result == "pass" and "read ratio" in gate.detail
    assert result.rollout.stages[1].state == "soaking" and all(enabled(stores["staging"], s) for s in SERVICES)


def test_a_service_whose_caching_never_hits_fails_the_gate_and_the_stage_rolls_back(real_gates, stores, clock, tmp_path):
    log = tmp_path / "u.jsonl"
    rollout_id = ops.start(real_gates, dev_plan(log, min_calls=10, min_cache_read_ratio=0.5)).rollout.id
    usage_logs.burst(log, (("agent", "works"), ("indexing", "never-hits"), ("query", "works")), "dev", clock.now, 12)
    clock.tick(hours=1)
    result = ops.advance(real_gates, rollout_id)
    gate = result.rollout.stages[0].gates[1]
    assert gate.result == "fail" and gate.detail == "indexing: cache read ratio 0.00 is below 0.5"
    assert result.rollout.state == "failed" and result.rollout.stages[0].state == "rolled_back"
    assert not any(enabled(stores["dev"], s) for s in SERVICES)


def test_too_few_calls_pauses_instead_of_rolling_back(real_gates, stores, clock, tmp_path):
    log = tmp_path / "u.jsonl"
    rollout_id = ops.start(real_gates, dev_plan(log, min_calls=100, min_cache_read_ratio=0.5)).rollout.id
    usage_logs.burst(log, tuple((s, "works") for s in SERVICES), "dev", clock.now, 12)
    clock.tick(hours=1)
    result = ops.advance(real_gates, rollout_id)
    assert result.rollout.stages[0].gates[1].result == "inconclusive"
    assert result.rollout.state == "paused" and "the gate needs 100" in result.rollout.reason
    assert all(enabled(stores["dev"], s) for s in SERVICES)  # nothing was rolled back


def test_usage_from_before_the_stage_was_applied_does_not_count(real_gates, stores, clock, tmp_path):
    log = tmp_path / "u.jsonl"
    rollout_id = ops.start(real_gates, dev_plan(log, min_calls=10, min_cache_read_ratio=0.5)).rollout.id
    usage_logs.burst(log, tuple((s, "works") for s in SERVICES), "dev", clock.now.replace(year=2025), 12)
    clock.tick(hours=1)
    gate = ops.advance(real_gates, rollout_id).rollout.stages[0].gates[1]
    assert gate.result == "inconclusive" and "0 call(s) since the stage was applied" in gate.detail


def test_an_unreadable_usage_log_is_inconclusive_with_the_reason(real_gates, clock, tmp_path):
    rollout_id = ops.start(real_gates, dev_plan(tmp_path / "absent.jsonl", min_calls=1, max_cost_change=0)).rollout.id
    clock.tick(hours=1)
    gate = ops.advance(real_gates, rollout_id).rollout.stages[0].gates[1]
    assert gate.result == "inconclusive" and "cannot read the usage log" in gate.detail
