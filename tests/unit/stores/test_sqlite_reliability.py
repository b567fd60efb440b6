"""The embedded store under concurrent writers and under SIGKILL, with real processes.

No sleeps: the racing processes start together on a barrier, and the kill points are chosen by
counting SQLite VM steps (a progress handler that SIGKILLs its own process), so every run
kills inside the write at a reproducible, random place.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap

from optctl.settings.project import EnvironmentConfig, sqlite_url
from optctl.stores.sqlite import SqliteStore
from tests.support.samples import ai_config

FLIPS = 500
SERVICES = 200


def _env(path) -> EnvironmentConfig:
    return EnvironmentConfig("dev", sqlite_url(path))


def _flip_once(store) -> None:
    """One flip of ``indexing``, re-reading and retrying after every lost race, until one is written.

    The other process may flip between the read of the flag and the plan, so the plan can come
    out empty ("already enabled"): that is a lost race too, not a flip.
    """
    from optctl.services import actions as control
    from optctl.errors import ConflictError

    while True:
        enabled = store.read("indexing").optimization["cache"]["enabled"]
        try:
            if control.commit(store, control.plan_flip(store, ["indexing"], not enabled), "racer"):
                return
        except ConflictError:
            continue


def _flipper(path: str, barrier) -> None:
    """Flip one service FLIPS times."""
    store = SqliteStore.open(EnvironmentConfig("dev", sqlite_url(path)))
    barrier.wait()
    for _ in range(FLIPS):
        _flip_once(store)
    store.close()


class _OtherProcessFlipsFirst:
    """A store whose first read is stale: the other process flips just after it, before the plan."""

    def __init__(self, store):
        self._store, self._stale = store, True

    def read(self, service):
        found = self._store.read(service)
        if self._stale:
            self._stale = False
            other = {
                **found.document,
                "optimization": {**found.optimization, "cache": {**found.optimization["cache"], "enabled": True}},
            }
            self._store.put_documents([other], actor="other")
        return found

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_flip_that_found_its_work_done_by_the_other_process_tries_again(tmp_path):
    store = SqliteStore.open(_env(tmp_path / "optctl.db"))
    store.put_documents([ai_config("indexing")], actor="seed")
    _flip_once(_OtherProcessFlipsFirst(store))
    assert [(e.actor, e.after["cache"]["enabled"]) for e in store.history("indexing")] == [
        ("seed", False),
        ("other", True),
        ("racer", False),
    ]
    store.close()


def test_two_processes_flipping_one_service_lose_no_update(tmp_path):
    path = tmp_path / "optctl.db"
    seed = SqliteStore.open(_env(path))
    seed.put_documents([ai_config("indexing")], actor="seed")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    racers = [context.Process(target=_flipper, args=(str(path), barrier), daemon=True) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=120)
    assert [racer.exitcode for racer in racers] == [0, 0]

    history = seed.history("indexing")
    final = seed.read("indexing")
    seed.close()

    assert len(history) == 1 + 2 * FLIPS  # the import, then exactly one entry per successful write
    assert [int(entry.revision) for entry in history] == list(range(1, 2 * FLIPS + 2))
    for earlier, later in zip(history, history[1:]):
        assert later.before == earlier.after  # each write saw the one before it: nothing lost
    assert final.optimization == history[-1].after and final.revision == history[-1].revision


_WRITER = textwrap.dedent("""
    import os, signal, sys
    from optctl.services import actions as control
    from optctl.settings.project import EnvironmentConfig, sqlite_url
    from optctl.stores.sqlite import SqliteStore

    path, kill_at = sys.argv[1], int(sys.argv[2])
    store = SqliteStore.open(EnvironmentConfig("dev", sqlite_url(path)))
    services = store.list_services()
    enable = not store.read(services[0]).optimization["cache"]["enabled"]
    plan = control.plan_flip(store, services, enable)
    steps = 0

    def step():
        global steps
        steps += 1
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return 0

    store._conn.set_progress_handler(step, 50)
    control.commit(store, plan, "writer")
    print(steps)
""")


def _write_all(path, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _WRITER, str(path), str(kill_at)], capture_output=True, text=True, timeout=60)


def _assert_consistent(path) -> bool:
    """Every service entirely old or entirely new, together; the history agrees. Returns the state."""
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = SqliteStore.open(_env(path))
    documents = store.read_many()
    states = {doc.optimization["cache"]["enabled"] for doc in documents.values()}
    assert len(documents) == SERVICES and len(states) == 1
    for service, doc in documents.items():
        last = store.history(service, limit=1)[0]
        assert last.revision == doc.revision and last.after == doc.optimization
        assert {k: v for k, v in doc.document.items() if k != "optimization"} == {
            k: v for k, v in ai_config(service).items() if k != "optimization"
        }
    store.close()
    return states.pop()


def test_sigkill_during_a_200_service_write_leaves_all_old_or_all_new(tmp_path):
    path = tmp_path / "optctl.db"
    seed = SqliteStore.open(_env(path))
    seed.put_documents([ai_config(f"svc-{i:03d}") for i in range(SERVICES)], actor="seed")
    seed.close()
    full = _write_all(path, kill_at=0)  # a complete write, to learn how many steps one takes
    assert full.returncode == 0, full.stderr
    total_steps = int(full.stdout)
    assert _assert_consistent(path) is True

    rng = random.Random(20261125)
    state, flips, killed = True, 1, 0
    for kill_at in sorted(rng.sample(range(1, total_steps + 1), 8)):
        run = _write_all(path, kill_at)
        assert run.returncode in (0, -signal.SIGKILL), run.stderr
        killed += run.returncode == -signal.SIGKILL
        now = _assert_consistent(path)
        if run.returncode == 0:
            assert now is not state
        flips += now is not state
        state = now
        store = SqliteStore.open(_env(path))
        assert sum(e.action in ("enable", "disable") for e in store.history()) == SERVICES * flips
        store.close()
    assert killed >= 6  # the kill points lie inside the write, so nearly every run dies mid-way


def test_the_killed_runs_really_died_inside_the_transaction(tmp_path):
    """A kill before COMMIT leaves the old state; the write then succeeds when run again."""
    path = tmp_path / "optctl.db"
    seed = SqliteStore.open(_env(path))
    seed.put_documents([ai_config(f"svc-{i:03d}") for i in range(SERVICES)], actor="seed")
    seed.close()

    run = _write_all(path, kill_at=3)
    assert run.returncode == -signal.SIGKILL
    assert _assert_consistent(path) is False

    again = _write_all(path, kill_at=0)
    assert again.returncode == 0, again.stderr
    assert _assert_consistent(path) is True
    assert int(again.stdout) > 3
