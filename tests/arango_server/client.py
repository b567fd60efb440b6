"""TEST FIXTURE: the wire between python-arango and the stand-in, through the driver's own HTTP client seam.

``ArangoClient(http_client=FakeHTTPClient(server))`` makes the driver build its real requests
(URLs, headers, JSON bodies, auth) and parse real ``arango.response.Response`` objects; only
the socket is replaced. The client also counts requests and can drop the connection.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests
from arango.http import HTTPClient
from arango.response import Response

from tests.arango_server.server import FakeArangoServer

_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            409: "Conflict", 412: "Precondition Failed", 501: "Not Implemented"}


class FakeHTTPClient(HTTPClient):
    """Sends each request to ``server`` in-process; ``requests`` logs (METHOD, path) in order."""

    def __init__(self, server: FakeArangoServer):
        self.server = server
        self.requests: list[tuple[str, str]] = []
        self._drops: dict[int, bool] = {}
        self.request_timeout = None

    def drop_connection(self, at: int, *, after_processing: bool = False) -> None:
        """Fail the ``at``-th request from now (1 = the next one) as a dropped connection would.

        Before processing, the server never sees the request; after processing, the server
        acted on it but the reply is lost (the case where the client cannot know the outcome).
        """
        self._drops[len(self.requests) + at] = after_processing

    def create_session(self, host: str) -> requests.Session:
        return requests.Session()

    def send_request(self, session: requests.Session, method: str, url: str, headers: Any = None,
                     params: Any = None, data: Any = None, auth: Any = None) -> Response:
        path = urlsplit(url).path
        self.requests.append((method.upper(), path))
        drop = self._drops.pop(len(self.requests), None)
        if drop is False:
            raise requests.ConnectionError("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")
        body = json.loads(data) if isinstance(data, (str, bytes)) and data else None
        status, payload = self.server.handle(method, path, dict(headers or {}), body, auth)
        if drop is True:
            raise requests.ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))")
        return Response(method=method, url=url, headers={"content-type": "application/json"}, status_code=status,
                        status_text=_REASONS.get(status, ""), raw_body=json.dumps(payload))
