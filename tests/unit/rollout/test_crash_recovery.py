"""A process killed at every step of a 3-stage rollout (and of its abort): the record tells the
truth about what happened, and ``advance`` or ``abort`` finishes without applying anything twice.

The kill is a ``BaseException`` raised from the operations' step hook: like SIGKILL, no
``except OptctlError`` clean-up runs for it. SQLite's own atomicity under a real SIGKILL is
the store's contract test; this test covers what the rollout journal adds on top.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import replace

import pytest

from optctl.settings.project import RolloutsConfig, embedded_project
from optctl.stores.factory import open_store
from optctl.services.examples import load_examples
from optctl.rollout import operations as ops
from optctl.rollout.records.sqlite import SqliteRecords
from optctl.rollout.operations import Runtime
from tests.arango_server.harness import Harness
from tests.unit.rollout.conftest import SERVICES, FakeClock, FakeEvaluators, person, three_stage_plan

CHECK = {"kind": "check", "command": "true"}
PLAN = three_stage_plan(dev=[CHECK], staging=[CHECK], production=[CHECK])
EXPECTED_ENABLES = sorted([("dev", s) for s in SERVICES] + [("staging", s) for s in SERVICES] + [("production", "agent")])


class Killed(BaseException):
    pass


class World:
    """Three environments and the rollout records in the project's own store (the SQLite file of the
    documents, or the ArangoDB database of production), seen through two handles: the one that is
    killed, and another (a second OPTCTL_HOME with the same optctl.toml) that finishes the job."""

    def __init__(self, home, backend, monkeypatch):
        if backend == "sqlite":
            project = embedded_project({"OPTCTL_HOME": str(home)})
            self.stores = {name: open_store(env) for name, env in project.environments.items()}
            records = [SqliteRecords(home / "optctl.db") for _ in range(2)]
        else:  # a fresh ArangoDB stand-in per world
            from optctl.rollout.records.arango import ArangoRecords

            self.harness = Harness(monkeypatch)
            self.stores = {name: self.harness.open(name) for name in ("dev", "staging", "production")}
            where = RolloutsConfig("production")
            for name in (where.collection, where.journal_collection):
                self.harness.server.state.create_collection(self.harness.database, name)
            records = [ArangoRecords.open(self.harness.environment("production"), where) for _ in range(2)]
        for store in self.stores.values():
            load_examples(store, "seed")
        self.records, self.other = records
        self.steps: list[str] = []
        self.kill_at: int | None = None
        self.runtime = Runtime(self.records, self.stores.__getitem__, FakeClock(), person("alice"), FakeEvaluators(), self._step)
        self.calm = replace(self.runtime, records=self.other, on_step=lambda step, rollout: None)
        self.originals = self.optimizations()

    def _step(self, step, rollout):
        self.steps.append(step)
        if self.kill_at is not None and len(self.steps) - 1 == self.kill_at:
            raise Killed(step)

    def optimizations(self):
        return {(env, s): copy.deepcopy(store.read(s).optimization) for env, store in self.stores.items() for s in SERVICES}

    def entries(self, rollout_id, action):
        return sorted(
            (e.env, e.service)
            for store in self.stores.values()
            for e in store.history()
            if e.rollout == rollout_id and e.action == action
        )

    def run_to_completion(self, runtime):
        rollout_id = self.rollout_id(runtime)
        while self.records.get(rollout_id).state == "running":
            ops.advance(runtime, rollout_id)
        return rollout_id

    def rollout_id(self, runtime):
        every = self.records.list()
        return every[-1].id if every else ops.start(runtime, PLAN).rollout.id

    def close(self):
        self.records.close()
        self.other.close()
        if hasattr(self, "harness"):
            self.harness.close()
        for store in self.stores.values():
            store.close()


def assert_record_is_truthful(world, rollout_id):
    """Every stage the record calls applied is enabled in its store (unless a rollback was caught
    mid-way, with its intent still open), pending ones are untouched, and a stage caught mid-write
    is marked applying with the intent still open."""
    rollout = world.records.get(rollout_id)
    for stage in rollout.stages:
        store = world.stores[stage.environment]
        on = {s for s in stage.services if store.read(s).optimization["cache"]["enabled"]}
        if stage.state in ("soaking", "awaiting_approval", "passed"):
            if rollout.step is not None and rollout.step.op == "rollback":
                # A rollback caught mid-way (status says so): some of its services may be restored.
                assert on <= {a.service for a in stage.applied} == set(stage.services)
            else:
                assert on == {a.service for a in stage.applied} == set(stage.services)
        elif stage.state in ("pending", "rolled_back"):
            assert on == set()
        elif stage.state == "applying":
            assert rollout.step is not None and rollout.step.op == "apply"
    if rollout.step is None:
        assert not any(s.state == "applying" for s in rollout.stages)


@pytest.fixture(params=["sqlite", "arango"])
def backend(request, monkeypatch):
    return lambda home: World(home, request.param, monkeypatch)


def step_count(tmp_path, drive, backend) -> list[str]:
    world = backend(tmp_path / "count")
    drive(world, world.runtime)
    world.close()
    return world.steps


def forward(world, runtime):
    world.run_to_completion(runtime)


def test_the_rollout_goes_through_every_journal_step(tmp_path, backend):
    steps = Counter(step_count(tmp_path, forward, backend))
    assert steps["apply:intent-saved"] == steps["apply:written"] == steps["apply:done"] == 3
    assert steps["gates:evaluated"] == 3


@pytest.mark.parametrize("finish", ["advance", "abort"])
def test_a_kill_at_every_step_of_a_three_stage_rollout(tmp_path, finish, backend):
    total = len(step_count(tmp_path, forward, backend))
    for kill_at in range(total):
        world = backend(tmp_path / f"{finish}-{kill_at}")
        world.kill_at = kill_at
        with pytest.raises(Killed):
            world.run_to_completion(world.runtime)
        rollout_id = world.rollout_id(world.calm)
        assert_record_is_truthful(world, rollout_id)
        if finish == "advance":
            world.run_to_completion(world.calm)
            assert world.records.get(rollout_id).state == "completed", world.steps[-1]
            assert world.entries(rollout_id, "enable") == EXPECTED_ENABLES, world.steps[-1]
        else:
            ops.abort(world.calm, rollout_id, "killed at " + world.steps[-1])
            assert world.records.get(rollout_id).state == "aborted"
            assert world.optimizations() == world.originals, world.steps[-1]
            enables = world.entries(rollout_id, "enable")
            assert len(set(enables)) == len(enables) and world.entries(rollout_id, "rollback") == enables
        assert_record_is_truthful(world, rollout_id)
        world.close()


def test_a_kill_at_every_step_of_an_abort(tmp_path, backend):
    def drive(world, runtime):
        rollout_id = ops.start(world.calm, PLAN).rollout.id
        ops.advance(world.calm, rollout_id)
        ops.advance(world.calm, rollout_id)  # production applied: three stages to put back
        world.steps.clear()
        ops.abort(runtime, rollout_id, "stop")

    total = len(step_count(tmp_path, drive, backend))
    assert total >= 5
    for kill_at in range(total):
        world = backend(tmp_path / f"abort-{kill_at}")
        world.kill_at = kill_at
        with pytest.raises(Killed):
            drive(world, world.runtime)
        rollout_id = world.rollout_id(world.calm)
        ops.abort(world.calm, rollout_id, "again")
        assert world.records.get(rollout_id).state == "aborted"
        assert world.optimizations() == world.originals
        assert world.entries(rollout_id, "rollback") == EXPECTED_ENABLES
        world.close()
