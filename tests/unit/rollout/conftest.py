"""A rollout world: real stores for dev/staging/production seeded with the bundled example
services (once per backend: SQLite, and ArangoDB through the store contract suite's openers),
rollout records, and a clock the test moves by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from optctl.services.examples import load_examples
from optctl.rollout.records.base import Principal
from optctl.rollout.records.sqlite import SqliteRecords
from optctl.rollout import operations
from optctl.rollout.operations import Runtime
from optctl.rollout.plan import Plan

SERVICES = ["agent", "indexing", "query"]


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeEvaluators:
    """Gate outcomes scripted per kind (the last one repeats); records every evaluation."""

    def __init__(self) -> None:
        self.script = {"check": ["pass"], "metrics": ["pass"]}
        self.calls = []

    def evaluate(self, gate, context):
        self.calls.append((gate["kind"], context))
        queue = self.script[gate["kind"]]
        result = queue.pop(0) if len(queue) > 1 else queue[0]
        return result, f"scripted {result}"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def stores(store_factory):
    opened = {env: store_factory(env) for env in ("dev", "staging", "production")}
    for store in opened.values():
        load_examples(store, "seed")
    return opened


@pytest.fixture
def runtime(stores, clock, tmp_path):
    records = SqliteRecords(tmp_path / "rollouts.db")
    rt = Runtime(records=records, stores=stores.__getitem__, clock=clock, principal=person("alice"), evaluators=FakeEvaluators())
    yield rt
    records.close()


def person(name: str) -> Principal:
    """Someone the embedded store knows only by OS user name."""
    return Principal(name, None, "os-user")


def three_stage_plan(**gates_by_stage) -> Plan:
    """dev (all three), staging (all three), production (agent): each with the given gates."""
    stages = [
        {"environment": "dev", "services": SERVICES},
        {"environment": "staging", "services": SERVICES},
        {"environment": "production", "services": ["agent"]},
    ]
    for stage in stages:
        stage["gates"] = gates_by_stage.get(stage["environment"], [])
    return Plan.model_validate({"name": "caching", "stages": stages})


def enabled(store, service: str) -> bool:
    return store.read(service).optimization["cache"]["enabled"]


def kill_an_advance_after_its_write(actor: str = "cron") -> None:
    """``advance`` the active rollout on the real edges and kill it right after the store write,
    as SIGKILL would (a ``BaseException``: no clean-up code runs)."""

    class Killed(BaseException):
        pass

    def kill(step, rollout):
        if step == "apply:written":
            raise Killed()

    from optctl.settings.project import load_project
    from optctl.stores.factory import open_store

    with pytest.raises(Killed), operations.opened_runtime(load_project(None), actor, open_store, kill) as rt:
        operations.advance(rt, rt.records.list(["running"])[0].id)
