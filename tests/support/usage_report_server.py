"""A local double of the Admin API usage report (``GET /v1/organizations/usage_report/messages``) on 127.0.0.1.

It answers from a list of buckets it is given, honouring ``starting_at`` / ``ending_at``, grouping
rows by the ``group_by[]`` dimensions asked for, paging ``page_size`` buckets at a time with
``has_more`` / ``next_page``, and checking ``x-api-key`` and ``anthropic-version``. ``script`` queues
canned answers (a 429 with retry-after, a malformed page) served before the real ones.
Shapes follow platform.claude.com/docs/en/api/admin-api/usage-cost/get-messages-usage-report.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

TOKEN_FIELDS = ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens")
DIMENSIONS = ("api_key_id", "workspace_id", "model")


@dataclass
class Canned:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class UsageReportDouble:
    key: str
    buckets: list[dict[str, Any]] = field(default_factory=list)  # {"starting_at", "ending_at", "rows": [ungrouped rows]}
    page_size: int = 2
    script: list[Canned] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Canned:
        self.requests.append({"path": path, "query": query, "headers": headers})
        if self.script:
            return self.script.pop(0)
        if headers.get("x-api-key") != self.key:
            return Canned(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
        if path != "/v1/organizations/usage_report/messages" or headers.get("anthropic-version") != "2023-06-01":
            return Canned(404, {"type": "error", "error": {"type": "not_found_error", "message": "not found"}})
        start, end = _time(query["starting_at"][0]), _time(query["ending_at"][0])
        chosen = [b for b in self.buckets if start <= _time(b["starting_at"]) and _time(b["ending_at"]) <= end]
        offset = int(query.get("page", ["0"])[0])
        page = chosen[offset : offset + self.page_size]
        more = offset + self.page_size < len(chosen)
        data = [
            {
                "starting_at": b["starting_at"],
                "ending_at": b["ending_at"],
                "results": group(b["rows"], query.get("group_by[]", [])),
            }
            for b in page
        ]
        return Canned(200, {"data": data, "has_more": more, "next_page": str(offset + self.page_size) if more else None})


def group(rows: list[dict[str, Any]], by: list[str]) -> list[dict[str, Any]]:
    """Sum rows over the dimensions not asked for; those come back null, as the API does."""
    sums: dict[tuple, dict[str, Any]] = defaultdict(dict)
    for row in rows:
        key = tuple(row.get(d) if d in by else None for d in DIMENSIONS)
        out = sums[key]
        for d, value in zip(DIMENSIONS, key):
            out[d] = value
        for name in TOKEN_FIELDS:
            out[name] = out.get(name, 0) + row.get(name, 0)
        creation = out.setdefault("cache_creation", {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0})
        for ttl in creation:
            creation[ttl] += row.get("cache_creation", {}).get(ttl, 0)
    return list(sums.values())


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def serve(double: UsageReportDouble) -> Iterator[str]:
    """Run the double on 127.0.0.1 (a free port); yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            canned = double.answer(url.path, parse_qs(url.query), {k.lower(): v for k, v in self.headers.items()})
            body = canned.body if isinstance(canned.body, bytes) else json.dumps(canned.body).encode()
            self.send_response(canned.status)
            for name, value in {"content-type": "application/json", **canned.headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
