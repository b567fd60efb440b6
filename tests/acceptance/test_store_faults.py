"""Faults of the machine under the real CLI: one line on stderr naming the store file, exit 2, nothing half written."""

from __future__ import annotations

import json
import os
import stat

from optctl.settings import waits
from optctl.stores import sqlite as sqlite_store
from optctl.stores.sqlite_connection import connect
from tests.acceptance import test_store_commands
from tests.support.samples import ai_config
from tests.unit.stores import test_sqlite_faults

# The same fixtures as the store-command and store-fault tests: a folder of examples, a lock held.
project, run = test_store_commands.project, test_store_commands.run
lock_holder, damage = test_sqlite_faults.lock_holder, test_sqlite_faults.damage


def test_the_embedded_store_is_created_private(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("OPTCTL_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    one = tmp_path / "one.json"
    one.write_text(json.dumps([ai_config("indexing")]))
    assert run(capsys, "import", str(one), "--env", "dev", "--yes")[0] == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in home.iterdir()}
    assert files["optctl.db"] == 0o600 and set(files.values()) == {0o600}  # -wal/-shm, while open: the unit test


def test_a_world_readable_store_is_warned_about_on_stderr(project, capsys):
    os.chmod(project / "optctl.db", 0o644)
    code, out, err = run(capsys, "status", "-o", "json")
    assert code == 0 and json.loads(out)
    assert f"chmod 600 {project / 'optctl.db'}" in err


def test_a_full_disk_during_import_is_exit_2_and_nothing_is_written(project, capsys, monkeypatch):
    def full_disk(path, timeout):
        conn = connect(path, timeout)
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        return conn

    big = project / "big.json"
    big.write_text(json.dumps([ai_config("indexing", notes="x" * 300_000), ai_config("newcomer")]))
    before = run(capsys, "export", "--env", "dev")[1]
    with monkeypatch.context() as faulty:
        faulty.setattr(sqlite_store, "connect", full_disk)
        code, _, err = run(capsys, "import", str(big), "--env", "dev", "--yes")
    assert code == 2 and err.count("\n") == 1 and "the disk is full" in err and str(project / "optctl.db") in err
    assert run(capsys, "export", "--env", "dev")[1] == before


def test_a_malformed_page_is_exit_2_naming_the_file(project, capsys):
    damage(project / "optctl.db")
    for argv in (
        ["status"],
        ["show", "indexing", "--env", "dev"],
        ["export", "--env", "dev"],
        ["enable", "indexing", "--env", "dev", "--yes"],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "damaged" in err and str(project / "optctl.db") in err, (argv, err)
        assert "internal error" not in err


def test_a_writer_blocked_by_another_process_says_so_and_the_wait_is_configurable(lock_holder, capsys, monkeypatch):
    path, pid = lock_holder
    (path.parent / "optctl.toml").write_text('[environments.dev]\nurl = "sqlite:///optctl.db"\nlock_timeout = 0.3\n')
    monkeypatch.chdir(path.parent)
    monkeypatch.setattr(waits, "NOTICE_AFTER_SECONDS", 0.05)
    samples = path.parent / "one.json"
    samples.write_text(json.dumps([ai_config("indexing")]))
    code, _, err = run(capsys, "import", str(samples), "--env", "dev", "--yes")
    lines = err.splitlines()
    assert code == 2 and len(lines) == 2
    assert f"waiting for the write lock on {path}, held by process {pid}" in lines[0]
    assert "waited 0.3 s" in lines[1] and "nothing was written" in lines[1]


def test_a_bad_lock_timeout_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "optctl.toml").write_text('[environments.dev]\nurl = "sqlite:///optctl.db"\nlock_timeout = "long"\n')
    code, _, err = run(capsys, "status")
    assert code == 2 and "lock_timeout must be a number of seconds" in err
    monkeypatch.setenv("OPTCTL_LOCK_TIMEOUT", "soon")
    (tmp_path / "optctl.toml").write_text('[environments.dev]\nurl = "sqlite:///optctl.db"\n')
    code, _, err = run(capsys, "status")
    assert code == 2 and "OPTCTL_LOCK_TIMEOUT=soon" in err
