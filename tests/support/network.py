"""A server that is down, answered at once: a refusing loopback port, and no waits between retries.

``refusing_port`` holds a port bound but not listening, so every connection is refused at once
and no other process (another test, another worker) can take the port while the test runs; a
port that was bound and then released may be handed out again. ``no_backoff`` removes urllib3's
waits between the ArangoDB transport's retries (0.4 s per request): the tests count retries and
read what the user is told, never how long the waits were.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from typing import Iterator

import pytest


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections until the block ends."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from optctl.stores import arango_transport

    monkeypatch.setattr(arango_transport, "BACKOFF", 0.0)
