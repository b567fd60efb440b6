"""The HTTP transport under python-arango: what may be resent, what a failure was, what trust TLS uses.

python-arango resends any request that ended in ``requests.ConnectionError`` to the next host
(``arango/connection.py``, ``BaseConnection.process_request``), and it turns a 503 whose
errorNum is 503 into such an error too (``prep_response``). A request the server may already
have executed must not go again: inside a stream transaction the next coordinator forwards it
to the transaction's owner (arangod ``RestVocbaseBaseHandler::forwardingTarget``), which runs
it a second time. So this client, plugged in through the driver's public
``ArangoClient(http_client=...)``, lets a connection error through to the driver's fallback
only when the request never reached a server (no connection, TLS handshake failed) or is
safe to repeat (GET, HEAD, a new read cursor); anything else fails with ``ReplyLost``, which
the driver does not catch.

Retries below the driver (urllib3 ``Retry``): connections that were never made, and GET/HEAD
answered 502/503/504, twice with a short backoff; the last answer is kept, so a 503 is reported
as a 503 (not a lost connection, not urllib3's ``RetryError``).

TLS trust is certifi's bundle (what ``requests`` ships), or the environment's ``ca_bundle``,
passed with every request: ``requests`` would otherwise let ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` override the session's setting (``Session.merge_environment_settings``), so
an operator's shell could silently change what optctl trusts, or turn verification back on.
``verify_tls = false`` silences urllib3's ``InsecureRequestWarning`` for these requests only.

A request that lasts ``notice_after`` seconds says what it waits for on stderr: the process's one
watcher thread (``late_notice``) says it, so a fast request starts no thread.
"""

from __future__ import annotations

import json
import sys
import threading
import warnings
from contextlib import contextmanager
from functools import partial
from typing import Any, Callable, Iterator, MutableMapping
from urllib.parse import urlsplit

import certifi
import requests
from arango.http import HTTPClient
from arango.response import Response
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, InsecureRequestWarning, NewConnectionError
from urllib3.util.retry import Retry

from optctl.settings import waits
from optctl.stores.late_notice import WATCHER

CONNECT_TIMEOUT = 10.0
RETRIES = 2
BACKOFF = 0.2  # seconds, doubled per retry (urllib3 Retry.backoff_factor)


class TransportFailure(Exception):
    """A request that got no usable answer; never a ``requests.ConnectionError``, so never resent."""

    def __init__(self, reason: str, *, sent: bool):
        super().__init__(reason)
        self.reason = reason
        self.sent = sent  # the server may have received (and executed) it


class ReplyLost(TransportFailure):
    """The connection broke after the request was sent: it may or may not have been executed."""


class NotArangoDB(TransportFailure):
    """The endpoint answered, but not in ArangoDB's JSON."""


class Transport(HTTPClient):
    """``requests`` sessions with the retry, resend and trust rules above; one per store."""

    def __init__(
        self,
        *,
        verify: bool | str = True,
        timeout: float | None = waits.DEFAULTS["request_timeout"],
        notice_after: float | None = None,
        notice: Callable[[str], None] | None = None,
        backoff: float | None = None,
    ):
        self.verify = certifi.where() if verify is True else verify
        self.request_timeout = timeout
        self.notice_after = waits.NOTICE_AFTER_SECONDS if notice_after is None else notice_after
        self.notice = notice or _to_stderr
        self.doing = "answer"  # what the store is waiting for, for the notice
        self.last_failure: str | None = None  # why the last request failed, for the driver's bare error
        self._backoff = BACKOFF if backoff is None else backoff
        self._resendable = threading.local()

    @contextmanager
    def resendable(self) -> Iterator[None]:
        """Within: a new read cursor (``POST /_api/cursor`` outside a transaction) may go to the next host."""
        self._resendable.on = True
        try:
            yield
        finally:
            self._resendable.on = False

    def create_session(self, host: str) -> requests.Session:
        retry = Retry(
            total=RETRIES,
            connect=RETRIES,
            read=RETRIES,
            status=RETRIES,
            other=0,
            redirect=0,
            allowed_methods=frozenset({"GET", "HEAD"}),
            status_forcelist=frozenset({502, 503, 504}),
            backoff_factor=self._backoff,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def send_request(
        self,
        session: requests.Session,
        method: str,
        url: str,
        headers: Any = None,
        params: MutableMapping[str, str] | None = None,
        data: Any = None,
        auth: Any = None,
    ) -> Response:
        headers = dict(headers or {})
        safe = method.upper() in ("GET", "HEAD") or (
            getattr(self._resendable, "on", False)
            and urlsplit(url).path.endswith("/_api/cursor")
            and "x-arango-trx-id" not in {k.lower() for k in headers}
        )
        endpoint = _endpoint(url)
        watch = WATCHER.watch(self.notice_after, partial(self._waiting, url))
        try:
            with warnings.catch_warnings():
                if self.verify is False:
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                answer = session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    auth=auth,
                    timeout=(CONNECT_TIMEOUT, self.request_timeout),
                    verify=self.verify,
                )
        except requests.ConnectionError as err:
            never_sent = _never_sent(err)
            self.last_failure = reason(err)
            if never_sent or safe:
                raise  # python-arango may try the next host
            raise ReplyLost(self.last_failure, sent=True) from None
        except requests.Timeout as err:
            self.last_failure = f"no answer within {self.request_timeout:g} s (request_timeout)"
            raise TransportFailure(self.last_failure, sent=not isinstance(err, requests.ConnectTimeout)) from None
        finally:
            WATCHER.done(watch)
        if answer.status_code in (502, 503, 504):
            retried = f", {RETRIES + 1} tries" if safe else ""
            self.last_failure = f"HTTP {answer.status_code} {answer.reason or ''}".strip() + retried
            if safe:
                raise requests.ConnectionError(self.last_failure)  # another host may answer
            raise TransportFailure(self.last_failure, sent=True)
        if not _is_json(answer.text):
            kind = answer.headers.get("content-type", "no content type").split(";")[0]
            self.last_failure = f"HTTP {answer.status_code} with a body that is not JSON ({kind}) from {endpoint}"
            raise NotArangoDB(self.last_failure, sent=not safe)
        self.last_failure = None
        return Response(
            method=method,
            url=answer.url,
            headers=answer.headers,
            status_code=answer.status_code,
            status_text=answer.reason,
            raw_body=answer.text,
        )

    def _waiting(self, url: str) -> None:
        limit = f"gives up after {self.request_timeout:g} s" if self.request_timeout else "no time limit"
        self.notice(
            f"optctl: waiting for ArangoDB at {_endpoint(url)} to {self.doing} ({limit}: "
            f"request_timeout in optctl.toml, or {waits.variable('request_timeout')})"
        )


def reason(err: BaseException) -> str:
    """A short, credential-free cause: the exception chain says more than its text."""
    text = repr(err)
    if isinstance(err, requests.exceptions.SSLError) or "SSL" in text or "CERTIFICATE" in text.upper():
        return "TLS handshake failed: certificate not trusted or not TLS"
    if isinstance(err, requests.Timeout) or "timed out" in text:
        return "timed out"
    if "NameResolution" in text or "Name or service not known" in text or "nodename nor servname" in text:
        return "host name not found"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    return "connection lost"


def _never_sent(err: requests.ConnectionError) -> bool:
    """No connection was made (refused, DNS, connect timeout) or TLS never completed: nothing reached a server."""
    if isinstance(err, requests.exceptions.SSLError):
        return True
    cause = err.args[0] if err.args else None
    inner = getattr(cause, "reason", cause)
    return isinstance(inner, (NewConnectionError, ConnectTimeoutError))


def _is_json(text: str) -> bool:
    if not text:
        return True  # e.g. HEAD; the driver copes with an empty body
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
