"""A local double of the Admin API's two usage endpoints on 127.0.0.1.

- The legacy usage report, ``GET /v1/organizations/usage_report/messages``: buckets with nested
  ``results``, paged ``page_size`` buckets at a time (shapes: platform.claude.com/docs/en/api/admin-api/
  usage-cost/get-messages-usage-report).
- The Usage and Cost Analytics API, ``GET /v1/organizations/analytics/usage``: one flat row per bucket
  and group with ``group`` and ``usage`` objects (``requests`` among the counts), paged ``page_size``
  rows at a time; without the ``anthropic-beta: analytics-usage-cost-2026-08-24`` header it answers
  400, as a beta endpoint does (shapes: platform.claude.com/docs/en/manage-claude/usage-cost-analytics-api).

Both answer from the same list of buckets, honouring ``starting_at`` / ``ending_at``, grouping rows
by the ``group_by[]`` dimensions asked for (the others come back null), paging with ``has_more`` /
``next_page``, and checking ``x-api-key`` and ``anthropic-version``. ``script`` queues canned answers
(a 429 with retry-after, a malformed page) served before the real ones.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

TOKEN_FIELDS = ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens")
DIMENSIONS = ("api_key_id", "workspace_id", "model")
REPORT_PATH = "/v1/organizations/usage_report/messages"
ANALYTICS_PATH = "/v1/organizations/analytics/usage"
BETA = "analytics-usage-cost-2026-08-24"


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
        if path not in (REPORT_PATH, ANALYTICS_PATH) or headers.get("anthropic-version") != "2023-06-01":
            return Canned(404, {"type": "error", "error": {"type": "not_found_error", "message": "not found"}})
        if path == ANALYTICS_PATH and BETA not in headers.get("anthropic-beta", "").split(","):
            return Canned(
                400, {"type": "error", "error": {"type": "invalid_request_error", "message": f"send anthropic-beta: {BETA}"}}
            )
        start, end = _time(query["starting_at"][0]), _time(query["ending_at"][0])
        chosen = [b for b in self.buckets if start <= _time(b["starting_at"]) and _time(b["ending_at"]) <= end]
        by = query.get("group_by[]", [])
        if path == ANALYTICS_PATH:
            items = [flat(b, row) for b in chosen for row in group(b["rows"], by)]
        else:  # the legacy report counts no requests
            items = [
                {
                    "starting_at": b["starting_at"],
                    "ending_at": b["ending_at"],
                    "results": [legacy(r) for r in group(b["rows"], by)],
                }
                for b in chosen
            ]
        offset = int(query.get("page", ["0"])[0])
        more = offset + self.page_size < len(items)
        return Canned(
            200,
            {
                "data": items[offset : offset + self.page_size],
                "has_more": more,
                "next_page": str(offset + self.page_size) if more else None,
            },
        )


def flat(bucket: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """A grouped legacy row as the analytics API's row: the dimensions under ``group``, the counts under ``usage``."""
    usage = {name: value for name, value in row.items() if name not in DIMENSIONS}
    usage["total_tokens"] = sum(usage[name] for name in TOKEN_FIELDS) + sum(usage["cache_creation"].values())
    usage["server_tool_use"] = {"web_search_requests": 0}
    return {
        "starting_at": bucket["starting_at"],
        "ending_at": bucket["ending_at"],
        "group": {**{d: row[d] for d in DIMENSIONS}, "product": None, "service_tier": None},
        "usage": usage,
    }


def legacy(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "requests"}


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
        if "requests" in row:
            out["requests"] = out.get("requests", 0) + row["requests"]
    return list(sums.values())


def day(start: datetime, n: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The bucket of day ``n`` after ``start``, holding these ungrouped rows."""
    at = start + timedelta(days=n)
    return {"starting_at": stamp(at), "ending_at": stamp(at + timedelta(days=1)), "rows": rows}


def row(
    key: str, workspace: str, model: str, uncached: int, read: int = 0, w5: int = 0, w1h: int = 0, requests: int | None = None
) -> dict[str, Any]:
    """One response's worth of usage under an API key, workspace and model (``requests`` only where counted)."""
    counts = {
        "api_key_id": key,
        "workspace_id": workspace,
        "model": model,
        "uncached_input_tokens": uncached,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1h},
        "output_tokens": 10,
    }
    return counts if requests is None else {**counts, "requests": requests}


ADMIN_KEY = "sk-ant-admin01-test-secret-0123456789"
START = datetime(2026, 11, 19, tzinfo=timezone.utc)


def sample_buckets() -> list[dict[str, Any]]:
    """Three days: two keys in one workspace (two rows of one group on day 0), a stranger on day 2."""
    return [
        day(
            START,
            0,
            [
                row("apikey_a", "wrkspc_1", "claude-sonnet-4-5", 100, requests=4),
                row("apikey_a", "wrkspc_1", "claude-sonnet-4-5", 20, requests=1),  # same group: summed by the API
                row("apikey_a", "wrkspc_1", "claude-haiku-4-5", 50, requests=2),
                row("apikey_b", "wrkspc_1", "claude-sonnet-4-5", 70, requests=3),
            ],
        ),
        day(START, 1, [row("apikey_a", "wrkspc_1", "claude-sonnet-4-5", 10, read=900, w5=90, requests=9)]),
        day(START, 2, [row("apikey_c", "wrkspc_2", "claude-sonnet-4-5", 5, w1h=40, requests=1)]),
    ]


class Sleeps(list[float]):
    """A sleeper that records what it was asked to wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


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
