"""What the two Admin API usage endpoints share: the admin key, paging, rate limits and errors.

Both the legacy usage report (``admin_api``) and its successor, the Usage and Cost Analytics API
(``analytics_api``), are ``GET`` endpoints under ``/v1/organizations`` that take an admin key in
``x-api-key`` with ``anthropic-version: 2023-06-01``, page with ``has_more`` / ``next_page`` (sent
back as ``page``) and answer 429 with ``retry-after``. One transport serves both so they cannot
drift apart in how they wait, give up or word a refusal.

The admin key is read from ``ANTHROPIC_ADMIN_API_KEY`` only, sent in a header and never echoed:
errors name the variable, never the value, and an error body that quotes the key is redacted.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator, Mapping

from optctl.errors import EnvironmentProblem
from optctl.savings.usage import Usage

KEY_VARIABLE = "ANTHROPIC_ADMIN_API_KEY"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
BUCKET_WIDTHS = ("1m", "1h", "1d")
RETRIES = 5
LONGEST_WAIT = 120.0  # seconds; a longer retry-after is not waited out, it is reported
MOST_PAGES = 10_000

Opener = Callable[..., Any]  # urllib.request.urlopen's shape; tests pass it through unchanged


@dataclass(frozen=True)
class ReportRow:
    """One row of usage over [start, end), as the API grouped it (by API key, workspace and model)."""

    start: datetime
    end: datetime
    api_key_id: str | None
    workspace_id: str | None
    model: str | None
    usage: Usage


@dataclass(frozen=True)
class Endpoint:
    """``name`` words every error about it ("usage report"); ``headers`` are sent besides key and version."""

    name: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)


def admin_key(environ: Mapping[str, str]) -> str:
    key = environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise EnvironmentProblem(f"{KEY_VARIABLE} is not set; export an Admin API key (sk-ant-admin...) to read the usage report")
    return key


@dataclass
class AdminClient:
    """Pages through one endpoint; the sleeper and opener are injected so tests never wait or dial out."""

    key: str
    base_url: str = DEFAULT_BASE_URL
    sleeper: Callable[[float], None] = time.sleep
    opener: Opener = urllib.request.urlopen
    timeout: float = 30.0

    def pages(self, endpoint: Endpoint, params: list[tuple[str, str]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """(page number, answer) for every page: on while ``has_more`` says so, or, without it, while a ``next_page`` comes."""
        cursor: str | None = None
        for number in range(1, MOST_PAGES + 1):
            answer = self._get(endpoint, params + ([("page", cursor)] if cursor else []), number)
            yield number, answer
            more, cursor = answer.get("has_more"), answer.get("next_page")
            if more is False or (more is None and not cursor):
                return
            if not isinstance(cursor, str) or not cursor:
                raise EnvironmentProblem(
                    f"{endpoint.name} page {number}: has_more is true but next_page is missing; try again later"
                )
        raise EnvironmentProblem(f"{endpoint.name}: more than {MOST_PAGES:,} pages; narrow the window")

    def _get(self, endpoint: Endpoint, params: list[tuple[str, str]], number: int) -> dict[str, Any]:
        url = self.base_url.rstrip("/") + endpoint.path + "?" + urllib.parse.urlencode(params)
        headers = {"x-api-key": self.key, "anthropic-version": API_VERSION, "accept": "application/json", **endpoint.headers}
        request = urllib.request.Request(url, headers=headers)
        for attempt in range(RETRIES + 1):
            try:
                with self.opener(request, timeout=self.timeout) as answer:
                    body = answer.read()
            except urllib.error.HTTPError as err:
                if err.code == 429 and attempt < RETRIES:
                    wait = retry_after(err.headers.get("retry-after") if err.headers else None, attempt)
                    if wait <= LONGEST_WAIT:
                        self.sleeper(wait)
                        continue
                raise self._refused(endpoint, err, number) from None
            except (urllib.error.URLError, OSError) as err:
                raise EnvironmentProblem(
                    f"cannot reach the {endpoint.name} at {self.base_url} ({getattr(err, 'reason', err)}); "
                    "check the network or --admin-url"
                ) from None
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise EnvironmentProblem(f"{endpoint.name} page {number}: the answer is not JSON; try again later") from None
            if not isinstance(data, dict):
                raise EnvironmentProblem(f"{endpoint.name} page {number}: the answer is not a JSON object")
            return data
        raise AssertionError("unreachable")  # the loop returns or raises

    def _refused(self, endpoint: Endpoint, err: urllib.error.HTTPError, number: int) -> EnvironmentProblem:
        said = _redacted(_error_message(err), self.key)
        if err.code in (401, 403):
            return EnvironmentProblem(
                f"the {endpoint.name} refused the admin key in {KEY_VARIABLE} (HTTP {err.code}{': ' + said if said else ''}); "
                "use an Admin API key (sk-ant-admin...) of this organization"
            )
        if err.code == 429:
            return EnvironmentProblem(f"the {endpoint.name} is rate limited (HTTP 429) after {RETRIES} retries; try again later")
        return EnvironmentProblem(f"{endpoint.name} page {number}: HTTP {err.code}{': ' + said if said else ''}")


def retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait: the header's seconds or HTTP date, else a doubling backoff from 1 s."""
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    return float(2**attempt)


def rfc3339(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(err.read().decode("utf-8"))
        message = data.get("error", {}).get("message") if isinstance(data, dict) else None
        return str(message)[:200] if message else ""
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return ""


def _redacted(text: str, key: str) -> str:
    return text.replace(key, "[redacted]") if key else text
