"""TEST FIXTURE: the stand-in's coordinators: real HTTP/1.1 listeners on 127.0.0.1 sharing one ``State``.

python-arango talks to these through its real transport (requests, urllib3, sockets, TLS), so
retries, host fallback and lost replies happen as they do against a cluster. Each
coordinator has a short id; transaction and cursor ids carry it, and a request about another
coordinator's transaction or cursor is forwarded to it, as arangod's
``RestVocbaseBaseHandler::forwardingTarget`` / ``RestCursorHandler::forwardingTarget`` do.
When a coordinator stops, its transactions are aborted (``Manager::buildCallbackGuard``:
"abort the transaction once the coordinator goes away").

Faults (``Faults``) are matched per request, across all coordinators: drop the connection
before or after the request was processed, answer something else (a 503, a body that is
not JSON), or hold the reply until a test releases it.
"""

from __future__ import annotations

import base64
import json
import re
import selectors
import socket
import ssl
import sys
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from tests.arango_server import routes
from tests.arango_server.state import ArangoError, State


@dataclass(frozen=True)
class Seen:
    """One request as a coordinator received it."""

    coordinator: int
    method: str
    path: str
    trx: str | None
    body: Any
    forwarded_to: int | None = None


@dataclass
class Fault:
    matches: Callable[[Seen], bool]
    action: str  # "drop" (before processing), "drop-after", "answer", "answer-after" (processed), "hold"
    status: int = 503
    raw: bytes = b""
    content_type: str = "application/json"
    release: threading.Event | None = None
    times: int = 1


@dataclass
class Faults:
    """What goes wrong, and the log of every request that arrived."""

    seen: list[Seen] = field(default_factory=list)
    planned: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[str] = field(default_factory=list)  # tracebacks of the stand-in's own failures

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.planned.append(fault)

    def at(self, n: int) -> Callable[[Seen], bool]:
        """The n-th request from now (1 = the next one), on any coordinator."""
        target = len(self.seen) + n
        return lambda seen: len(self.seen) == target

    def arrive(self, seen: Seen) -> Fault | None:
        with self.lock:
            self.seen.append(seen)
            for fault in self.planned:
                if fault.times > 0 and fault.matches(seen):
                    fault.times -= 1
                    return fault
        return None


class Coordinator:
    """One endpoint: a threaded HTTP server (optionally TLS) in front of the shared state."""

    def __init__(
        self, state: State, faults: Faults, short_id: int, peers: dict[int, Coordinator], tls: ssl.SSLContext | None = None
    ):
        self.state, self.faults, self.short_id, self.peers = state, faults, short_id, peers
        self.running = True
        handler = type("Handler", (_Handler,), {"coordinator": self})
        self.httpd = _Server(("127.0.0.1", 0), handler, faults)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._wake, self._waker = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name=f"arango-stand-in-{short_id}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        """Accept connections until ``stop``, which wakes this loop at once (``serve_forever`` would
        notice only at its next poll, and the tests start and stop thousands of coordinators)."""
        with selectors.DefaultSelector() as ready:
            ready.register(self.httpd, selectors.EVENT_READ)
            ready.register(self._wake, selectors.EVENT_READ)
            while self.running:
                if any(key.fileobj is self.httpd for key, _ in ready.select()) and self.running:
                    self.httpd.handle_request()

    def stop(self) -> None:
        """Take the coordinator away: its port refuses connections, its transactions are aborted."""
        if not self.running:
            return
        self.running = False
        self._waker.send(b"\0")
        self._thread.join()
        self.httpd.server_close()
        self._wake.close()
        self._waker.close()
        with self.state.lock:
            for trx_id, trx in list(self.state.transactions.items()):
                if State.owner_of(trx_id) == self.short_id and trx.status == "running":
                    self.state.finish(trx_id, trx.database, "aborted")

    # One request, after authentication: route it here or to the coordinator that owns its id.

    def serve(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any, user: str
    ) -> tuple[int, Any]:
        with self.state.lock:
            self.state.collect_garbage()
            return routes.route(self.state, self.short_id, method, path, query, headers, body, user)

    def owner_for(self, endpoint: str, trx: str | None) -> int:
        if trx:
            return State.owner_of(trx)
        if match := re.fullmatch(r"/_api/(?:transaction|cursor)/(\d+)", endpoint):
            return State.owner_of(match.group(1))
        return self.short_id


class _Server(ThreadingHTTPServer):
    """The listener: a client that went away is its own business; the stand-in's own failures are kept."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], faults: Faults):
        super().__init__(address, handler)
        self.faults = faults

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection the client closed or reset before the reply was written (it timed out, a
        test dropped it) is what a real server shrugs at: nothing is printed. Anything else is a
        fault in the stand-in: printed as socketserver does, and kept in ``Faults.errors`` so that
        ``ArangoStandIn.close`` fails the test that caused it."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # BrokenPipeError, ConnectionResetError, ConnectionAbortedError
            return
        with self.faults.lock:
            self.faults.errors.append(traceback.format_exc())
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    coordinator: Coordinator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one reply is two writes (headers, body): do not wait for an ACK between them

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _handle(self) -> None:
        coordinator = self.coordinator
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        database, endpoint = _database_and_endpoint(unquote(url.path))
        owner = coordinator.owner_for(endpoint, headers.get("x-arango-trx-id"))
        seen = Seen(
            coordinator.short_id,
            self.command,
            url.path,
            headers.get("x-arango-trx-id"),
            body,
            owner if owner != coordinator.short_id else None,
        )
        fault = coordinator.faults.arrive(seen)
        if fault and fault.action == "drop":
            return self._drop()
        if fault and fault.action == "hold":
            assert fault.release is not None
            fault.release.wait(30)
        if fault and fault.action == "answer":
            return self._reply(fault.status, fault.raw, fault.content_type)
        status, payload = self._execute(coordinator, owner, database, endpoint, url.query, headers, body)
        if fault and fault.action == "drop-after":
            return self._drop()
        if fault and fault.action == "answer-after":
            return self._reply(fault.status, fault.raw, fault.content_type)
        self._reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _execute(
        self, coordinator: Coordinator, owner: int, database: str, endpoint: str, query: str, headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        try:
            if endpoint == "/_open/auth" and self.command == "POST":
                return 200, {"jwt": _issue_token(coordinator.state, body)}
            user = _authenticate(coordinator.state, headers.get("authorization"), database)
            target = coordinator.peers.get(owner)
            if target is None or not target.running:
                # The owner is gone: its transactions were aborted and its ids are unknown here.
                about_transaction = "/_api/transaction/" in endpoint or bool(headers.get("x-arango-trx-id"))
                raise ArangoError(
                    404, 1655 if about_transaction else 1600, "transaction not found" if about_transaction else "cursor not found"
                )
            params = {k: v[-1] for k, v in parse_qs(query).items()}
            return target.serve(self.command, f"/_db/{database}{endpoint}", params, headers, body, user)
        except ArangoError as err:
            return err.status, err.body()

    def _reply(self, status: int, raw: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Server", "ArangoDB")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _drop(self) -> None:
        """Close the connection without a reply: the client sees the connection reset."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _database_and_endpoint(path: str) -> tuple[str, str]:
    match = re.fullmatch(r"/_db/([^/]+)(/.*)", path)
    return (match.group(1), match.group(2)) if match else ("_system", path)


def _authenticate(state: State, authorization: str | None, database: str) -> str:
    """CommTask::prepareExecution, in its order: credentials, then access to the database name,
    then whether it exists. A wrong password, no access, and an unknown database the user has no
    access to all answer 401 / errorNum 11; only a user with access to the name learns 404/1228."""
    user = _user(state, authorization)
    unauthorized = ArangoError(401, 11, "not authorized to execute this request")
    if user is None:
        raise unauthorized
    if state.users[user].database_level(database) == "none":
        raise unauthorized
    if database not in state.databases:
        raise ArangoError(404, 1228, "database not found")
    return user


def _user(state: State, authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "basic":
        name, _, password = base64.b64decode(credentials).decode().partition(":")
        found = state.users.get(name)
        return name if found is not None and found.password == password else None
    if scheme.lower() == "bearer":  # develop/http-api/authentication.md: JWT, HS256 with the server secret
        try:
            claims = jwt.decode(credentials, state.jwt_secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        name = claims.get("preferred_username")
        return name if name in state.users else None
    return None


def _issue_token(state: State, body: Any) -> str:
    """POST /_open/auth: a JWT for valid credentials, else 401 (develop/http-api/authentication.md)."""
    import time

    name, password = (body or {}).get("username"), (body or {}).get("password")
    found = state.users.get(name) if isinstance(name, str) else None
    if found is None or found.password != password:
        raise ArangoError(401, 401, "Wrong credentials")
    now = int(time.time())
    return jwt.encode(
        {"preferred_username": name, "iss": "arangodb", "iat": now, "exp": now + 3600}, state.jwt_secret, algorithm="HS256"
    )
