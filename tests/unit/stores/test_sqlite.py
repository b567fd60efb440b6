"""What only the SQLite backend has to say: its file, its schema version."""

from __future__ import annotations

import sqlite3

import pytest

from optctl.settings.project import EnvironmentConfig, sqlite_url
from optctl.errors import EnvironmentProblem
from optctl.stores.sqlite import SqliteStore


def _open(path) -> SqliteStore:
    return SqliteStore.open(EnvironmentConfig("dev", sqlite_url(path)))


def test_a_new_store_is_created_with_its_folders_in_wal_mode(tmp_path):
    path = tmp_path / "a" / "b" / "optctl.db"
    _open(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_file_that_is_not_a_store_is_one_clear_line(tmp_path):
    path = tmp_path / "optctl.db"
    path.write_bytes(b"this is not a database, it is a note" * 100)
    with pytest.raises(EnvironmentProblem, match=rf"cannot open the SQLite store {path}"):
        _open(path)


def test_a_store_from_a_newer_optctl_is_refused(tmp_path):
    path = tmp_path / "optctl.db"
    _open(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(EnvironmentProblem, match="newer optctl"):
        _open(path)


def test_opening_an_existing_store_takes_no_write_lock(tmp_path):
    path = tmp_path / "optctl.db"
    _open(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        store = _open(path)
        assert store.list_services() == []
        store.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_last_changes_agrees_with_the_whole_history(tmp_path):
    from optctl.stores.base import Change
    from tests.support.samples import ai_config

    store = _open(tmp_path / "optctl.db")
    other = SqliteStore.open(EnvironmentConfig("staging", sqlite_url(tmp_path / "optctl.db")))
    store.put_documents([ai_config("a"), ai_config("b")], actor="alice")
    other.put_documents([ai_config("a")], actor="zed")
    for actor in ("bob", "carol"):
        stored = store.read("a")
        store.write([Change("a", stored.revision, {"cache": {"enabled": actor == "bob"}}, "set")], actor=actor)

    assert store.last_changes() == {entry.service: entry for entry in store.history()}
    assert {s: e.actor for s, e in store.last_changes().items()} == {"a": "carol", "b": "alice"}
    store.close()
    other.close()


def _steps(store: SqliteStore, work) -> int:
    """SQLite virtual-machine steps (in hundreds) that ``work`` costs: rows read, not seconds."""
    counted = [0]

    def step() -> int:
        counted[0] += 1
        return 0

    store._conn.set_progress_handler(step, 100)
    try:
        work()
    finally:
        store._conn.set_progress_handler(None, 0)
    return counted[0]


def test_status_reads_one_history_entry_per_service_however_long_the_history(tmp_path):
    from optctl.stores.base import Change
    from tests.support.samples import ai_config

    store = _open(tmp_path / "optctl.db")
    store.put_documents([ai_config(f"s{i}") for i in range(20)], actor="alice")
    short = _steps(store, store.last_changes)
    for round in range(50):
        current = store.read_many()
        store.write(
            [Change(s, d.revision, {"cache": {"enabled": round % 2 == 0}}, "set") for s, d in current.items()], actor="bob"
        )
    assert len(store.history()) == 20 * 51
    assert _steps(store, store.last_changes) <= short + 2  # 51 times the history, the same reads
    assert {e.actor for e in store.last_changes().values()} == {"bob"}
    store.close()


def test_a_version_1_store_gains_the_time_index_on_open(tmp_path):
    path = tmp_path / "optctl.db"
    _open(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("DROP INDEX history_by_time")
        raw.execute("PRAGMA user_version = 1")
    _open(path).close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (2,)
        assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'history_by_time'").fetchone()
