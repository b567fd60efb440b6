"""One discipline for every SQLite file optctl writes (the embedded store, the rollout control store).

WAL so readers never wait for a writer; ``synchronous = FULL`` so a committed change survives
a power cut; a busy timeout so concurrent operators queue instead of failing; and transactions
that take the write lock at ``BEGIN IMMEDIATE``, so the read and the write of a compare-and-swap
can never interleave with another process's.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

BUSY_TIMEOUT_SECONDS = 30

Unavailable = Callable[[sqlite3.Error], Exception]


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating the folder) in autocommit mode: transactions are always explicit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


@contextmanager
def immediate(conn: sqlite3.Connection, unavailable: Unavailable) -> Iterator[None]:
    """All or nothing: commit if the block finishes, roll back on any exception."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        raise unavailable(err) from None
    try:
        yield
        conn.execute("COMMIT")
    except sqlite3.OperationalError as err:
        conn.execute("ROLLBACK")
        raise unavailable(err) from None
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def query(conn: sqlite3.Connection, sql: str, params: Sequence[Any], unavailable: Unavailable) -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as err:
        raise unavailable(err) from None


def iterate(conn: sqlite3.Connection, sql: str, params: Sequence[Any], unavailable: Unavailable,
            batch: int = 1000) -> Iterator[tuple]:
    """Rows a batch at a time, for results too long to hold (the whole history)."""
    try:
        cursor = conn.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            yield from rows
    except sqlite3.OperationalError as err:
        raise unavailable(err) from None
