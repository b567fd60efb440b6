"""TEST FIXTURE: an ArangoDB stand-in that speaks HTTP on 127.0.0.1, for the parts of the API optctl uses.

No ArangoDB server can run where this project is built, so the tests run
``optctl.stores.arango`` against this stand-in, and against a real server when
``OPTCTL_TEST_ARANGO_URL`` is set (``harness.py``). It is not ArangoDB and must never shape
the backend: every behaviour here is written from ArangoDB's 3.12 documentation or source,
cited where it is implemented:

- ``http.py``: coordinators (threaded HTTP/1.1 listeners, optional TLS) sharing one state,
  forwarding of requests about another coordinator's transaction or cursor, authentication
  in the server's order (Basic and JWT), and faults: a reply dropped before or after the
  request was processed, another answer (503, a body that is not JSON), a held reply.
- ``routes.py``: the endpoints (documents, cursors, explain, stream transactions,
  collections, indexes, version, role, permissions).
- ``state.py``: databases, per-user grants, documents with revisions and snapshots, stream
  transactions (key-lock waits, allowImplicit, idle timeout, size limit, final states),
  unique indexes, cursors with ttl.
- ``aql.py``: the query texts the backends send, matched verbatim, with their plans.

python-arango reaches it through its own transport (requests and urllib3), so retries, host
fallback, timeouts and TLS run as against a real deployment.
"""

from __future__ import annotations

import ssl
from typing import Any, Callable

from tests.arango_server.http import Coordinator, Fault, Faults, Seen
from tests.arango_server.state import State, User

__all__ = ["ArangoStandIn", "Fault", "Seen", "State", "User"]


class ArangoStandIn:
    """``coordinators`` endpoints over one state; ``urls`` in the order they were started."""

    def __init__(
        self,
        users: dict[str, User] | None = None,
        *,
        coordinators: int = 1,
        tls: ssl.SSLContext | None = None,
        clock: Callable[[], float] | None = None,
    ):
        self.state = State(users, **({"clock": clock} if clock else {}))
        self.faults = Faults()
        self.coordinators: dict[int, Coordinator] = {}
        for short_id in range(1, coordinators + 1):
            self.coordinators[short_id] = Coordinator(self.state, self.faults, short_id, self.coordinators, tls)

    @property
    def urls(self) -> list[str]:
        return [c.url for c in self.coordinators.values()]

    @property
    def requests(self) -> list[Seen]:
        return self.faults.seen

    @property
    def errors(self) -> list[str]:
        """Tracebacks of requests the stand-in itself failed on (never a client that went away)."""
        return self.faults.errors

    def close(self) -> None:
        """Stop every coordinator; a failure of the stand-in's own while serving fails the test here."""
        for coordinator in self.coordinators.values():
            coordinator.stop()
        if self.errors:
            raise AssertionError("the ArangoDB stand-in failed while serving a request:\n" + "\n".join(self.errors))

    # Faults, counted across all coordinators from now on (at=1: the next request).

    def drop_reply(
        self, at: int | None = None, *, where: Callable[[Seen], bool] | None = None, processed: bool = True, times: int = 1
    ) -> None:
        """Close the connection instead of replying; ``processed``: after the server acted on it."""
        self.faults.add(Fault(self._match(at, where), "drop-after" if processed else "drop", times=times))

    def answer(
        self,
        status: int,
        raw: bytes | str,
        *,
        at: int | None = None,
        where: Callable[[Seen], bool] | None = None,
        content_type: str = "application/json",
        times: int = 1,
        processed: bool = False,
    ) -> None:
        """Answer this instead: e.g. a 503, or a body that is not JSON; ``processed``: after acting on it."""
        body = raw.encode() if isinstance(raw, str) else raw
        self.faults.add(
            Fault(self._match(at, where), "answer-after" if processed else "answer", status, body, content_type, times=times)
        )

    def hold(self, release: Any, *, at: int | None = None, where: Callable[[Seen], bool] | None = None) -> None:
        """Keep the reply until ``release`` (a threading.Event) is set."""
        self.faults.add(Fault(self._match(at, where), "hold", release=release))

    def clear_faults(self) -> None:
        with self.faults.lock:
            self.faults.planned.clear()

    def _match(self, at: int | None, where: Callable[[Seen], bool] | None) -> Callable[[Seen], bool]:
        if (at is None) == (where is None):
            raise ValueError("name the request by at= or by where=")
        return self.faults.at(at) if at is not None else where  # type: ignore[return-value]
