"""The embedded store's files are private, and its faults (a lock held too long, a full disk, a
damaged page) are one line saying what to do, with nothing half written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

from optctl.errors import EnvironmentProblem
from optctl.settings import waits
from optctl.settings.project import EnvironmentConfig, sqlite_url
from optctl.stores import sqlite as sqlite_store
from optctl.stores.sqlite import SqliteStore
from optctl.stores.sqlite_connection import connect
from tests.support.samples import ai_config


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_a_new_store_is_a_private_folder_of_private_files_whatever_the_umask(tmp_path, umask):
    path = tmp_path / "home" / "optctl.db"
    store = SqliteStore.open(EnvironmentConfig("dev", sqlite_url(path)))
    store.put_documents([ai_config("indexing")], actor="test")
    assert mode(path.parent) == 0o700
    assert {name: mode(path.parent / name) for name in os.listdir(path.parent)} == {
        "optctl.db": 0o600,
        "optctl.db-wal": 0o600,
        "optctl.db-shm": 0o600,
    }
    store.close()


def test_an_existing_folder_keeps_its_mode(tmp_path, umask):
    os.chmod(tmp_path, 0o755)
    connect(tmp_path / "optctl.db").close()
    assert mode(tmp_path) == 0o755 and mode(tmp_path / "optctl.db") == 0o600


def test_an_existing_store_file_others_can_read_is_warned_about(tmp_path):
    path = tmp_path / "optctl.db"
    connect(path).close()
    os.chmod(path, 0o644)
    notices: list[str] = []
    connect(path, notify=notices.append).close()
    assert len(notices) == 1 and f"chmod 600 {path}" in notices[0] and "0644" in notices[0]
    os.chmod(path, 0o640)  # shared with a group on purpose: not warned about
    notices.clear()
    connect(path, notify=notices.append).close()
    assert notices == []


@pytest.fixture
def lock_holder(tmp_path):
    """Another process holding the store's write lock until the test ends."""
    path = tmp_path / "optctl.db"
    SqliteStore.open(EnvironmentConfig("dev", sqlite_url(path))).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sqlite3, sys
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        print("holding", flush=True)
        sys.stdin.read()
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "holding\n"
    yield path, holder.pid
    holder.stdin.close()
    holder.wait(timeout=10)


def test_a_blocked_writer_says_what_it_waits_for_then_gives_up_in_one_line(lock_holder, monkeypatch):
    path, pid = lock_holder
    monkeypatch.setattr(waits, "NOTICE_AFTER_SECONDS", 0.05)
    monkeypatch.setenv("OPTCTL_LOCK_TIMEOUT", "0.3")
    notices: list[str] = []
    monkeypatch.setattr(sqlite_store, "connect", lambda p, timeout: connect(p, timeout, notify=notices.append))
    store = SqliteStore(path, EnvironmentConfig("dev", sqlite_url(path)))
    with pytest.raises(EnvironmentProblem) as raised:
        store.put_documents([ai_config("indexing")], actor="test")
    assert len(notices) == 1 and f"waiting for the write lock on {path}, held by process {pid}" in notices[0]
    assert "OPTCTL_LOCK_TIMEOUT" in notices[0]
    message = str(raised.value)
    assert str(path) in message and "waited 0.3 s" in message and f"process {pid}" in message
    assert "nothing was written" in message and "\n" not in message
    store.close()


def test_the_lock_timeout_comes_from_the_environment_variable_else_the_project_file():
    assert waits.seconds("lock_timeout", None, {}) == 30
    assert waits.seconds("lock_timeout", 5, {}) == 5
    assert waits.seconds("lock_timeout", 5, {"OPTCTL_LOCK_TIMEOUT": "0.5"}) == 0.5
    with pytest.raises(Exception, match="OPTCTL_LOCK_TIMEOUT=soon: not a number"):
        waits.seconds("lock_timeout", None, {"OPTCTL_LOCK_TIMEOUT": "soon"})


def test_a_full_disk_during_a_write_writes_nothing_and_says_so(tmp_path, monkeypatch):
    path = tmp_path / "optctl.db"
    env = EnvironmentConfig("dev", sqlite_url(path))
    seed = SqliteStore.open(env)
    seed.put_documents([ai_config("indexing")], actor="seed")
    seed.close()

    def full_disk(p, timeout):  # the connection seam: the file may not grow by a single page
        conn = connect(p, timeout)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(sqlite_store, "connect", full_disk)
    store = SqliteStore.open(env)
    with pytest.raises(EnvironmentProblem) as raised:
        store.put_documents([ai_config("indexing", notes="x" * 200_000), ai_config("query")], actor="test")
    assert "the disk is full" in str(raised.value) and "nothing was written" in str(raised.value)
    assert store.list_services() == ["indexing"] and len(store.history()) == 1
    assert not store._conn.in_transaction  # the connection is usable: no transaction left open
    store.close()


def damage(path) -> None:
    """Overwrite the inside of every page but the first (the header) with garbage."""
    size = os.path.getsize(path)
    with open(path, "r+b") as file:
        for page in range(1, size // 4096):
            file.seek(page * 4096 + 8)
            file.write(b"\xff" * 300)


def test_a_malformed_page_is_one_line_naming_the_file_and_the_way_out(tmp_path):
    path = tmp_path / "optctl.db"
    env = EnvironmentConfig("dev", sqlite_url(path))
    store = SqliteStore.open(env)
    store.put_documents([ai_config(f"service-{i}") for i in range(30)], actor="seed")
    store.close()
    damage(path)
    store = SqliteStore.open(env)
    for operation in (store.list_services, store.read_many, lambda: store.put_documents([ai_config("x")], actor="t")):
        with pytest.raises(EnvironmentProblem) as raised:
            operation()
        assert "damaged" in str(raised.value) and f"sqlite3 {path} .recover" in str(raised.value)
    store.close()


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    path = tmp_path / "optctl.db"
    path.write_bytes(b"these are not the pages you are looking for" * 200)
    with pytest.raises(EnvironmentProblem, match="not a SQLite database"):
        SqliteStore.open(EnvironmentConfig("dev", sqlite_url(path)))
