"""Any sequence of operator actions, gate outcomes, clock jumps and kills keeps the rollout's
promises: the record tells the truth, no service is enabled twice without a rollback between,
and a final abort puts every service back exactly as it was."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optctl.errors import UsageError
from optctl.rollout import operations as ops
from tests.unit.rollout.conftest import person, three_stage_plan
from tests.unit.rollout.test_crash_recovery import Killed, World, assert_record_is_truthful

CHECK = {"kind": "check", "command": "true", "retries": 1, "retry_interval": "10m"}
PLAN = three_stage_plan(
    dev=[CHECK], staging=[{"kind": "soak", "duration": "24h"}, CHECK, {"kind": "approval"}], production=[CHECK]
)

# Weighted so that stories often get deep (approvals, later stages, completion) and still fail,
# stall, pause and die on the way.
actions = st.sampled_from(
    [("advance", "pass")] * 8
    + [("advance", "fail"), ("advance", "inconclusive")]
    + [("kill", n) for n in range(7)]
    + [("tick", 0.2), ("tick", 1), ("tick", 25)] * 2
    + [("approve", None)] * 3
    + [("pause", None), ("resume", None)]
)


def act(world: World, rollout_id: str, kind: str, arg) -> None:
    calm = world.calm
    if kind == "advance":
        world.runtime.evaluators.script["check"] = [arg]
        ops.advance(calm, rollout_id)
    elif kind == "kill":
        world.kill_at = len(world.steps) + arg
        try:
            ops.advance(world.runtime, rollout_id)
        except Killed:
            pass
        world.kill_at = None
    elif kind == "tick":
        calm.clock.tick(hours=arg)
    else:
        try:
            {
                "approve": lambda: ops.approve(replace(calm, principal=person("bob")), rollout_id),
                "pause": lambda: ops.pause(calm, rollout_id, "look"),
                "resume": lambda: ops.resume(calm, rollout_id),
            }[kind]()
        except UsageError:
            pass  # not allowed in this state: refused, nothing changed


def assert_never_enabled_twice(world: World, rollout_id: str) -> None:
    for store in world.stores.values():
        by_service: dict[str, list[str]] = {}
        for entry in store.history():
            if entry.rollout == rollout_id:
                by_service.setdefault(entry.service, []).append(entry.action)
        for service, actions_seen in by_service.items():
            assert all(a != b for a, b in zip(actions_seen, actions_seen[1:])), (store.env, service, actions_seen)
            assert actions_seen[0] == "enable"


@settings(max_examples=60, deadline=None)
@given(st.lists(actions, min_size=1, max_size=30))
def test_any_history_keeps_the_rollouts_promises(steps):
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        world = World(Path(folder), "sqlite", monkeypatch)
        try:
            rollout_id = ops.start(world.calm, PLAN).rollout.id
            for kind, arg in steps:
                act(world, rollout_id, kind, arg)
                assert_record_is_truthful(world, rollout_id)
                assert_never_enabled_twice(world, rollout_id)
            ops.abort(world.calm, rollout_id, "end of the story")
            assert world.records.get(rollout_id).state == "aborted"
            assert world.optimizations() == world.originals
            assert_never_enabled_twice(world, rollout_id)
        finally:
            world.close()
