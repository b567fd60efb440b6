"""The record-store contract, over SQLite and ArangoDB (the stand-in, or a real server): compare-and-swap
saves, one active rollout per service, events in order, who is acting, and a missing rollout."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from optctl.errors import ConflictError, EnvironmentProblem, NotFoundError
from optctl.rollout import machine
from optctl.rollout.records.base import Event
from optctl.rollout.records.sqlite import SqliteRecords
from optctl.rollout.plan import Plan

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
PLAN = Plan.model_validate({"name": "p", "stages": [{"environment": "dev", "services": ["a", "b"]}]})


def rollout(rollout_id, services=("a", "b")):
    return machine.start(rollout_id, PLAN, [list(services)], "alice", T0)


@pytest.fixture
def two_handles(records_factory):
    return records_factory(), records_factory()


def test_of_two_saves_from_the_same_version_exactly_one_wins(two_handles):
    first, second = two_handles
    created = first.create(rollout("r1"), [Event("t0", "alice", "started")])
    mine, theirs = first.get("r1"), second.get("r1")
    first.save(machine.pause(mine, "mine", T0), [Event("t1", "alice", "paused")])
    with pytest.raises(ConflictError, match=r"r1 changed since it was read \(by alice at t1: paused\); nothing was done"):
        second.save(machine.pause(theirs, "theirs", T0), [Event("t1", "bob", "paused")])
    assert second.get("r1").reason == "mine" and second.get("r1").version == created.version + 1
    assert [e.actor for e in second.events("r1")] == ["alice", "alice"]


def test_an_active_rollout_holds_its_services_until_it_ends(two_handles):
    first, second = two_handles
    first.create(rollout("r1"), [])
    with pytest.raises(ConflictError, match="b in dev is in active rollout r1"):
        second.create(rollout("r2", ("b", "c")), [])
    second.create(rollout("r3", ("d",)), [])
    ended = first.get("r1")
    first.save(machine.finish_rollback(machine.begin_rollback(ended, "aborted", "alice", "x", False, T0), T0))
    second.create(rollout("r2", ("b", "c")), [])
    assert {r.id for r in second.list(["running"])} == {"r2", "r3"}


def test_unknown_rollouts_say_what_to_do(records_factory):
    with pytest.raises(NotFoundError, match="rollout list"):
        records_factory().get("nope")


def test_a_rollout_that_ended_frees_its_services_and_lists_keep_their_order(two_handles):
    first, second = two_handles
    first.create(rollout("r1", ("a",)), [Event("t0", "alice", "started", None, "one"), Event("t0", "alice", "applied", 1)])
    ended = first.save(machine.complete(first.get("r1"), T0), [Event("t1", "cron", "completed")])
    assert ended.version == 2 and second.get("r1").state == "completed"
    second.create(rollout("r2", ("a",)), [])
    assert [r.id for r in first.list()] == ["r1", "r2"] and [r.id for r in first.list(["running"])] == ["r2"]
    assert [(e.actor, e.kind, e.stage) for e in second.events("r1")] == [
        ("alice", "started", None),
        ("alice", "applied", 1),
        ("cron", "completed", None),
    ]
    assert [e.kind for e in second.events("r1", limit=1)] == ["completed"]
    with pytest.raises(ConflictError, match="already exists"):
        second.create(rollout("r2", ("z",)), [])


def test_the_principal_is_what_the_store_vouches_for(records_factory):
    records = records_factory()
    me = records.principal("Bob ")
    assert me.label == "Bob "
    if me.strength == "database-user":  # ArangoDB: the user it authenticated as; the label does not count
        assert me.key == me.authenticated.strip().casefold() and records.principal("someone else").key == me.key
    else:  # embedded: the OS user plus the label, names compared trimmed and case-folded
        assert me.key == records.principal("bob").key != records.principal(None).key


def test_unusable_files_say_what_to_do(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(EnvironmentProblem, match="cannot open the rollout records"):
        SqliteRecords(tmp_path / "file" / "rollouts.db")
