"""One discipline for every SQLite file optctl writes (the embedded store, the rollout control store).

WAL so readers never wait for a writer; ``synchronous = FULL`` so a committed change survives
a power cut; transactions that take the write lock at ``BEGIN IMMEDIATE``, so the read and the
write of a compare-and-swap can never interleave with another process's.

A second writer waits for the lock (``lock_timeout``, see ``optctl.settings.waits``) instead of
failing at once, and says on stderr what it waits for once it has waited a moment: SQLite's own
busy timeout does the waiting, in two steps, so nothing here polls.

The files hold API keys: a folder optctl creates for them is 0700, a database file it creates
is 0600 whatever the umask (SQLite gives the ``-wal`` and ``-shm`` files the database file's
mode), and an existing file that anyone on the machine may read is reported.

Every SQLite failure becomes ``unavailable(err)`` with ``what_went_wrong(err)`` saying what to do:
a full disk, a damaged file or a lock held too long is one line, never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from optctl.settings import waits

Unavailable = Callable[[sqlite3.Error], Exception]
Notify = Callable[[str], None]

FOLDER_MODE = 0o700
FILE_MODE = 0o600
COMPANIONS = ("-wal", "-shm")  # the files SQLite keeps beside a WAL database


def to_stderr(message: str) -> None:
    """The default ``notify``: one line on stderr, where it never mixes with machine output."""
    print(f"optctl: {message}", file=sys.stderr, flush=True)


class StoreConnection(sqlite3.Connection):
    """A connection that knows its file and how long a write may wait for the lock."""

    path: Path
    lock_timeout: float
    notify: Notify


class LockTimeout(sqlite3.OperationalError):
    """The write lock stayed with another connection for the whole ``lock_timeout``."""


def connect(path: Path, lock_timeout: float | None = None, notify: Notify = to_stderr) -> StoreConnection:
    """Open (creating a private folder and file) in autocommit mode: transactions are always explicit.

    ``lock_timeout`` is the project file's value, if any; ``OPTCTL_LOCK_TIMEOUT`` overrides it.
    """
    seconds = waits.seconds("lock_timeout", lock_timeout)
    _create_private(path, notify)
    conn = sqlite3.connect(path, timeout=seconds, isolation_level=None, factory=StoreConnection)
    conn.path, conn.lock_timeout, conn.notify = path, seconds, notify
    conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _create_private(path: Path, notify: Notify) -> None:
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=FOLDER_MODE, exist_ok=True)
        os.chmod(path.parent, FOLDER_MODE)  # mkdir's mode passes through the umask
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        _warn_if_readable(path, notify)
        return
    try:
        os.fchmod(descriptor, FILE_MODE)  # exactly 0600, whatever the umask
    finally:
        os.close(descriptor)


def _warn_if_readable(path: Path, notify: Notify) -> None:
    readable = []
    for file in (path, *(path.with_name(path.name + suffix) for suffix in COMPANIONS)):
        try:
            mode = file.stat().st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and mode & stat.S_IROTH:
            readable.append((file, stat.S_IMODE(mode)))
    if readable:
        modes = ", ".join(f"{file.name} {mode:04o}" for file, mode in readable)
        files = " ".join(str(file) for file, _ in readable)
        notify(
            f"warning: {path} can be read by every user of this machine ({modes}) and may hold API keys; run: chmod 600 {files}"
        )


@contextmanager
def immediate(conn: StoreConnection, unavailable: Unavailable) -> Iterator[None]:
    """All or nothing: commit if the block finishes, roll back on any exception."""
    _begin(conn, unavailable)
    try:
        yield
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as err:
        _roll_back(conn)
        raise unavailable(err) from None
    except BaseException:
        _roll_back(conn)
        raise


def _begin(conn: StoreConnection, unavailable: Unavailable) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock; after a moment, say who holds it."""
    first = min(conn.lock_timeout, waits.NOTICE_AFTER_SECONDS)
    try:
        return _begin_within(conn, first)
    except sqlite3.OperationalError as err:
        if not _busy(err) or conn.lock_timeout <= first:
            raise unavailable(_timed_out(conn, err)) from None
    holder = lock_holder(conn.path)
    conn.notify(
        f"waiting for the write lock on {conn.path}{holder}, up to {conn.lock_timeout:g} s "
        f"(lock_timeout in optctl.toml or {waits.variable('lock_timeout')} sets how long)"
    )
    try:
        return _begin_within(conn, conn.lock_timeout - first)
    except sqlite3.OperationalError as err:
        raise unavailable(_timed_out(conn, err, holder)) from None


def _begin_within(conn: StoreConnection, seconds: float) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(conn.lock_timeout * 1000)}")


def _busy(err: sqlite3.Error) -> bool:
    """Another connection holds the lock (SQLITE_BUSY or one of its extended codes)."""
    return (getattr(err, "sqlite_errorname", None) or "").startswith("SQLITE_BUSY")


def _timed_out(conn: StoreConnection, err: sqlite3.OperationalError, holder: str | None = None) -> sqlite3.Error:
    if not _busy(err):
        return err
    holder = lock_holder(conn.path) if holder is None else holder
    return LockTimeout(
        f"waited {conn.lock_timeout:g} s for the write lock{holder}; run again once it is free, "
        f"or wait longer with lock_timeout in optctl.toml or {waits.variable('lock_timeout')}"
    )


def _roll_back(conn: sqlite3.Connection) -> None:
    """Undo what the transaction did, if SQLite has not already (a full disk, an I/O error)."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolls back by itself when a rollback fails; the first error is the one to report


def lock_holder(path: Path | None) -> str:
    """ ", held by process 123 (optctl enable ...)" where Linux's /proc/locks says who holds the lock."""
    if path is None:
        return ""
    try:
        wanted = {_file_id(path.with_name(path.name + "-shm")), _file_id(path)}
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            pids = {
                int(fields[4])
                for fields in map(str.split, locks)
                if len(fields) > 5 and fields[3] == "WRITE" and fields[5] in wanted and fields[4].isdigit()
            }
    except OSError:
        return ""
    pids.discard(os.getpid())
    if not pids:
        return ""
    pid = min(pids)
    return f", held by process {pid}{_command_of(pid)}"


def _file_id(path: Path) -> str:
    """A file as /proc/locks names it: MAJOR:MINOR:INODE, the device numbers in hex."""
    found = path.stat()
    return f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}:{found.st_ino}"


def _command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            words = cmdline.read().split(b"\0")
    except OSError:
        return ""
    command = " ".join(
        Path(words[0].decode(errors="replace")).name if i == 0 else word.decode(errors="replace")
        for i, word in enumerate(words)
        if word
    )
    command = " ".join(command.split())  # one line, whatever the arguments hold
    return f" ({command[:80]})" if command else ""


def what_went_wrong(err: sqlite3.Error, path: Path | str = "FILE") -> str:
    """What a SQLite failure means for the person running optctl, and what to do about it."""
    name = getattr(err, "sqlite_errorname", "") or ""
    if isinstance(err, LockTimeout):
        return str(err)
    if name == "SQLITE_FULL":
        return "the disk is full (or the file reached its size limit); free some space, then run again"
    if name == "SQLITE_CORRUPT" or "malformed" in str(err):
        return (
            "the file is damaged (a malformed database page); restore it from a backup "
            f"(`sqlite3 {path} .recover` saves what is still readable)"
        )
    if name == "SQLITE_NOTADB":
        return "the file is not a SQLite database; check the url in optctl.toml (or OPTCTL_HOME)"
    if name in ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_AUTH"):
        return f"it cannot be opened for writing ({err}); check the permissions of the file and its folder"
    if name.startswith("SQLITE_IOERR"):
        return f"the disk reported an error ({err}); check the disk, then run again"
    if _busy(err):
        return f"another process holds the lock ({err}); run again once it is free"
    return f"it is unavailable ({err}); run again"


def query(conn: sqlite3.Connection, sql: str, params: Sequence[Any], unavailable: Unavailable) -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.DatabaseError as err:
        raise unavailable(err) from None


def iterate(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any], unavailable: Unavailable, batch: int = 1000
) -> Iterator[tuple]:
    """Rows a batch at a time, for results too long to hold (the whole history)."""
    try:
        cursor = conn.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            yield from rows
    except sqlite3.DatabaseError as err:
        raise unavailable(err) from None
