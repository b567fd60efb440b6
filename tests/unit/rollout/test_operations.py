"""The rollout operations against real SQLite stores seeded with the bundled example services."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from optctl.errors import ConflictError, EnvironmentProblem, NotFoundError, UsageError
from optctl.rollout import operations as ops
from optctl.stores.base import Change
from tests.unit.rollout.conftest import SERVICES, enabled, person, three_stage_plan

SOAK = {"kind": "soak", "duration": "24h"}
CHECK = {"kind": "check", "command": "true"}


def originals(stores):
    return {(env, s): copy.deepcopy(store.read(s).optimization) for env, store in stores.items() for s in SERVICES}


def rollout_entries(stores, rollout_id, action):
    return [
        (e.env, e.service) for store in stores.values() for e in store.history() if e.rollout == rollout_id and e.action == action
    ]


def test_start_applies_stage_one_only_and_history_carries_the_rollout_id(runtime, stores):
    result = ops.start(runtime, three_stage_plan())
    rollout = result.rollout
    assert [s.state for s in rollout.stages] == ["soaking", "pending", "pending"]
    assert all(enabled(stores["dev"], s) for s in SERVICES)
    assert not any(enabled(stores["staging"], s) for s in SERVICES)
    assert sorted(rollout_entries(stores, rollout.id, "enable")) == [("dev", s) for s in SERVICES]
    assert [a.service for a in rollout.stages[0].applied] == SERVICES


def test_each_advance_applies_one_stage_until_completed(runtime, stores):
    rollout_id = ops.start(runtime, three_stage_plan()).rollout.id
    states = []
    for _ in range(3):
        result = ops.advance(runtime, rollout_id)
        states.append([s.state for s in result.rollout.stages])
    assert states == [["passed", "soaking", "pending"], ["passed", "passed", "soaking"], ["passed", "passed", "passed"]]
    assert result.rollout.state == "completed"
    assert enabled(stores["production"], "agent") and not enabled(stores["production"], "query")
    assert len(rollout_entries(stores, rollout_id, "enable")) == 7
    again = ops.advance(runtime, rollout_id)
    assert again.did == [] and again.next.kind == "idle"


def test_a_24h_soak_is_walked_with_the_injected_clock(runtime, stores, clock):
    rollout_id = ops.start(runtime, three_stage_plan(dev=[SOAK])).rollout.id
    for _ in range(23):
        clock.tick(hours=1)
        waiting = ops.advance(runtime, rollout_id)
        assert waiting.did == [] and waiting.next.reason == "soaking"
    clock.tick(minutes=59, seconds=59)
    assert ops.advance(runtime, rollout_id).did == []
    clock.tick(seconds=1)
    moved = ops.advance(runtime, rollout_id)
    assert moved.did == ["stage 1 passed", "applied stage 2 (staging)"]
    assert all(enabled(stores["staging"], s) for s in SERVICES)


def test_check_gate_runs_with_the_stage_context_and_a_failure_rolls_back(runtime, stores):
    before = originals(stores)
    runtime.evaluators.script["check"] = ["pass", "fail"]
    rollout_id = ops.start(runtime, three_stage_plan(dev=[CHECK], staging=[CHECK])).rollout.id
    ops.advance(runtime, rollout_id)  # dev's check passes, staging applied
    failed = ops.advance(runtime, rollout_id).rollout  # staging's check fails
    assert failed.state == "failed" and "check gate failed" in failed.reason
    assert [s.state for s in failed.stages] == ["rolled_back", "rolled_back", "pending"]
    assert originals(stores) == before
    kinds = [(kind, ctx.stage, ctx.environment, ctx.services) for kind, ctx in runtime.evaluators.calls]
    assert kinds == [("check", 1, "dev", tuple(SERVICES)), ("check", 2, "staging", tuple(SERVICES))]


def test_inconclusive_gates_are_retried_then_fail_the_stage(runtime, stores, clock):
    runtime.evaluators.script["metrics"] = ["inconclusive"]
    gate = {
        "kind": "metrics",
        "url": "http://127.0.0.1:9/m",
        "conditions": ["is_optimized == true"],
        "retries": 2,
        "retry_interval": "1m",
    }
    rollout_id = ops.start(runtime, three_stage_plan(dev=[gate])).rollout.id
    for _ in range(2):
        assert ops.advance(runtime, rollout_id).rollout.state == "running"
        assert ops.advance(runtime, rollout_id).did == []  # within the retry interval: nothing runs
        clock.tick(minutes=1)
    assert ops.advance(runtime, rollout_id).rollout.state == "failed"
    assert len(runtime.evaluators.calls) == 3


def test_approval_by_someone_else_lets_the_rollout_go_on(runtime, stores):
    rollout_id = ops.start(runtime, three_stage_plan(dev=[{"kind": "approval"}])).rollout.id
    assert ops.advance(runtime, rollout_id).next.reason.startswith("awaiting approval")
    with pytest.raises(UsageError, match="someone else"):
        ops.approve(runtime, rollout_id)
    ops.approve(replace(runtime, principal=person("bob")), rollout_id)
    assert ops.advance(runtime, rollout_id).rollout.stages[1].state == "soaking"


def test_start_refuses_unknown_services_and_services_in_another_rollout(runtime):
    plan = three_stage_plan()
    bad = plan.model_copy(update={"stages": [plan.stages[0].model_copy(update={"services": ["nope"]})]})
    with pytest.raises(NotFoundError, match="no service 'nope' in dev"):
        ops.start(runtime, bad)
    assert runtime.records.list() == []
    first = ops.start(runtime, plan).rollout.id
    with pytest.raises(ConflictError, match=f"in active rollout {first}"):
        ops.start(runtime, plan)


def _to_state(runtime, clock, state):
    """A rollout driven into ``state``; returns its id."""
    plans = {
        "applying": three_stage_plan(),
        "soaking": three_stage_plan(dev=[SOAK]),
        "awaiting_approval": three_stage_plan(staging=[{"kind": "approval"}]),
    }
    plans["paused_by_gate"] = three_stage_plan(staging=[CHECK]).model_copy(update={"on_failure": "pause"})
    plan = plans.get(state, three_stage_plan(staging=[CHECK]))
    if state == "applying":
        rollout_id = ops.start(runtime, plan).rollout.id
        crashing = replace(runtime, on_step=lambda step, _: _raise(step == "apply:written"))
        with pytest.raises(Crash):
            ops.advance(crashing, rollout_id)
        return rollout_id
    rollout_id = ops.start(runtime, plan).rollout.id
    if state in ("awaiting_approval", "paused", "completed", "failed", "aborted", "paused_by_gate"):
        ops.advance(runtime, rollout_id)
    if state == "paused":
        ops.pause(runtime, rollout_id, "costs look odd")
    if state == "completed":
        ops.advance(runtime, rollout_id)
        ops.advance(runtime, rollout_id)
    if state in ("failed", "paused_by_gate"):
        runtime.evaluators.script["check"] = ["fail"]
        assert ops.advance(runtime, rollout_id).rollout.state == ("paused" if state == "paused_by_gate" else "failed")
    if state == "aborted":
        ops.abort(runtime, rollout_id, "first abort")
    return rollout_id


class Crash(BaseException):
    pass


def _raise(really: bool) -> None:
    if really:
        raise Crash()


@pytest.mark.parametrize(
    "state", ["soaking", "applying", "awaiting_approval", "paused", "paused_by_gate", "completed", "failed", "aborted"]
)
def test_abort_from_every_state_puts_every_flag_back(runtime, stores, clock, state):
    before = originals(stores)
    rollout_id = _to_state(runtime, clock, state)
    result = ops.abort(runtime, rollout_id, "3am page")
    assert result.rollout.state == "aborted"
    assert result.rollout.step is None
    assert originals(stores) == before
    assert all(s.state in ("rolled_back", "pending") for s in result.rollout.stages)
    # Each service enabled by the rollout is restored once, never twice.
    enables = rollout_entries(stores, rollout_id, "enable")
    assert sorted(rollout_entries(stores, rollout_id, "rollback")) == sorted(enables)


def test_abort_leaves_a_service_changed_by_hand_alone_unless_forced(runtime, stores):
    before = originals(stores)
    rollout_id = ops.start(runtime, three_stage_plan()).rollout.id
    ops.advance(runtime, rollout_id)
    dev = stores["dev"]
    hand = copy.deepcopy(dev.read("query").optimization)
    hand["cache"]["min_tokens_to_cache"] = 2048
    dev.write([Change("query", dev.read("query").revision, hand, "set", "tuning by hand")], "carol")
    aborted = ops.abort(runtime, rollout_id, "stop").rollout
    assert aborted.state == "aborted"
    assert aborted.stages[0].left_alone == ["query"] and aborted.stages[0].state == "failed"
    assert dev.read("query").optimization == hand
    assert not enabled(dev, "agent") and originals(stores) | {("dev", "query"): hand} == originals(stores)
    forced = ops.abort(runtime, rollout_id, "stop", force=True).rollout
    assert forced.stages[0].state == "rolled_back" and forced.stages[0].left_alone == []
    assert originals(stores) == before


def test_a_service_disabled_by_hand_counts_as_restored(runtime, stores):
    rollout_id = ops.start(runtime, three_stage_plan()).rollout.id
    dev = stores["dev"]
    back = copy.deepcopy(dev.read("agent").optimization)
    back["cache"]["enabled"] = False
    dev.write([Change("agent", dev.read("agent").revision, back, "disable")], "carol")
    aborted = ops.abort(runtime, rollout_id, "stop").rollout
    assert aborted.stages[0].state == "rolled_back"
    assert rollout_entries(stores, rollout_id, "rollback") == [("dev", "query"), ("dev", "indexing")]


class Unreachable:
    """A store whose server went away: every call fails as the real backends report it."""

    def __init__(self, store):
        self.env = store.env

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise EnvironmentProblem(
                f"environment {self.env!r}: cannot reach the store (connection refused); nothing was written; run again"
            )

        return fail


def test_a_store_unreachable_mid_stage_leaves_a_truthful_record_and_advance_finishes_later(runtime, stores):
    rollout_id = ops.start(runtime, three_stage_plan()).rollout.id
    down = replace(runtime, stores=lambda env: Unreachable(stores[env]) if env == "staging" else stores[env])
    with pytest.raises(EnvironmentProblem):
        ops.advance(down, rollout_id)
    rollout = runtime.records.get(rollout_id)
    assert rollout.stages[1].state == "applying"
    assert rollout.step.op == "apply" and "connection refused" in rollout.step.error
    assert not any(enabled(stores["staging"], s) for s in SERVICES)
    finished = ops.advance(runtime, rollout_id).rollout
    assert finished.step is None and finished.stages[1].state == "soaking"
    assert len(rollout_entries(stores, rollout_id, "enable")) == 6


def test_two_concurrent_advances_end_with_one_advance(runtime, stores, request, tmp_path):
    import threading

    from optctl.rollout.records.sqlite import SqliteRecords
    from tests.support.stores import OPENERS

    backend = OPENERS[request.node.callspec.params["store_factory"]]

    rollout_id = ops.start(runtime, three_stage_plan()).rollout.id
    both_loaded = threading.Barrier(2)
    outcomes = []

    def operator(name):
        own = {env: backend(request, tmp_path, env, {}) for env in stores}  # this "process's" own handles
        records = SqliteRecords(runtime.records.path)
        rt = replace(
            runtime,
            records=records,
            stores=own.__getitem__,
            principal=person(name),
            on_step=lambda step, _: both_loaded.wait() if step == "loaded" else None,
        )
        try:
            outcomes.append(ops.advance(rt, rollout_id).did)
        except ConflictError as err:
            outcomes.append(str(err))
        finally:
            records.close()
            for store in own.values():
                store.close()

    threads = [threading.Thread(target=operator, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    advanced = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, str)]
    assert len(advanced) == 1 and len(refused) == 1 and "changed since it was read" in refused[0]
    assert sorted(rollout_entries(stores, rollout_id, "enable")) == sorted(
        [("dev", s) for s in SERVICES] + [("staging", s) for s in SERVICES]
    )
    assert runtime.records.get(rollout_id).stages[1].state == "soaking"


def test_an_advance_that_loses_a_store_race_to_another_advance_leaves_the_record_to_the_winner(runtime, stores):
    """Two advances of one stage at once: the loser's document write conflicts; it must not stamp the
    open intent with an error (that save would make the winner's outcome lose its compare-and-swap)."""
    rollout_id = ops.start(runtime, three_stage_plan()).rollout.id
    staging = stores["staging"]

    class Racing:
        """The staging store, where another writer enables a service between our read and our write."""

        def __getattr__(self, name):
            return getattr(staging, name)

        def write(self, changes, actor):
            current = staging.read("agent")
            after = copy.deepcopy(current.optimization)
            after["cache"]["enabled"] = True
            staging.write([Change("agent", current.revision, after, "enable", rollout=rollout_id)], "the other advance")
            return staging.write(changes, actor)

    racing = replace(runtime, stores=lambda env: Racing() if env == "staging" else stores[env])
    with pytest.raises(ConflictError, match="agent in staging changed since it was read"):
        ops.advance(racing, rollout_id)
    record = runtime.records.get(rollout_id)
    assert record.step is not None and record.step.op == "apply" and record.step.error is None
    assert [e.kind for e in runtime.records.events(rollout_id)][-1] == "apply-intent"


def test_services_all_skips_a_service_without_an_optimization_field_and_says_so(runtime, stores):
    bare = stores["dev"].read("agent")
    stores["dev"].write([Change("agent", bare.revision, None, "set")], "carol")
    plan = ops.Plan.model_validate({"name": "p", "stages": [{"environment": "dev", "services": "all"}]})
    result = ops.start(runtime, plan)
    documents = stores["dev"].read_many()
    assert result.rollout.stages[0].services == [s for s, d in documents.items() if d.optimization is not None]
    assert "agent" not in result.rollout.stages[0].services
    assert any(
        line.endswith("no optimization field (add one with `optctl apply` to include it)") and "agent" in line
        for line in result.did
    )
    assert "skipping" in runtime.records.events(result.rollout.id)[0].detail
