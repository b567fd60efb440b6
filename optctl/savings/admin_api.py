"""The Admin API's usage report (legacy): ``GET /v1/organizations/usage_report/messages``.

Documented at platform.claude.com/docs/en/api/admin-api/usage-cost/get-messages-usage-report:
``starting_at`` / ``ending_at`` (RFC 3339), ``bucket_width`` 1m|1h|1d, ``group_by[]`` api_key_id,
workspace_id, model (and service_tier, context_window), ``limit`` buckets per page (1d: 31 at most,
1h: 168, 1m: 1440), ``page`` set to the previous answer's ``next_page`` while ``has_more``. Headers
``x-api-key`` (an admin key) and ``anthropic-version: 2023-06-01``. Each bucket's ``results`` rows
carry ``uncached_input_tokens``, ``cache_read_input_tokens``, ``cache_creation.{ephemeral_5m_input_tokens,
ephemeral_1h_input_tokens}`` (some descriptions flatten these to ``cache_creation_5m_input_tokens`` /
``cache_creation_1h_input_tokens``: both are read) and ``output_tokens``. The report does not count
requests, so ``calls`` is unknown for its rows.

The admin key is read from ``ANTHROPIC_ADMIN_API_KEY`` only, sent in a header and never echoed:
errors name the variable, never the value.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping

from optctl.errors import EnvironmentProblem, UsageError
from optctl.savings.usage import Usage, count, parse_time

KEY_VARIABLE = "ANTHROPIC_ADMIN_API_KEY"
DEFAULT_BASE_URL = "https://api.anthropic.com"
REPORT_PATH = "/v1/organizations/usage_report/messages"
API_VERSION = "2023-06-01"
GROUP_BY = ("api_key_id", "workspace_id", "model")
MAX_BUCKETS = {"1d": 31, "1h": 168, "1m": 1440}
RETRIES = 5
LONGEST_WAIT = 120.0  # seconds; a longer retry-after is not waited out, it is reported

Opener = Callable[..., Any]  # urllib.request.urlopen's shape; tests pass it through unchanged


@dataclass(frozen=True)
class ReportRow:
    """One row of one time bucket, as the API grouped it."""

    start: datetime
    end: datetime
    api_key_id: str | None
    workspace_id: str | None
    model: str | None
    usage: Usage


def admin_key(environ: Mapping[str, str]) -> str:
    key = environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise EnvironmentProblem(f"{KEY_VARIABLE} is not set; export an Admin API key (sk-ant-admin...) to read the usage report")
    return key


@dataclass
class UsageReportClient:
    """Pages through the report; the sleeper and opener are injected so tests never wait or dial out."""

    key: str
    base_url: str = DEFAULT_BASE_URL
    sleeper: Callable[[float], None] = time.sleep
    opener: Opener = urllib.request.urlopen
    timeout: float = 30.0

    def rows(self, starting_at: datetime, ending_at: datetime, bucket_width: str = "1h") -> list[ReportRow]:
        if bucket_width not in MAX_BUCKETS:
            raise UsageError(f"bucket width {bucket_width!r}: use one of {', '.join(MAX_BUCKETS)}")
        params: list[tuple[str, str]] = [
            ("starting_at", _rfc3339(starting_at)),
            ("ending_at", _rfc3339(ending_at)),
            ("bucket_width", bucket_width),
            ("limit", str(MAX_BUCKETS[bucket_width])),
            *(("group_by[]", name) for name in GROUP_BY),
        ]
        rows: list[ReportRow] = []
        page: str | None = None
        for number in range(1, 10_000):
            answer = self._get(params + ([("page", page)] if page else []), number)
            rows += parse_page(answer, number)
            if not answer.get("has_more"):
                return rows
            page = answer.get("next_page")
            if not isinstance(page, str) or not page:
                raise EnvironmentProblem(
                    f"usage report page {number}: has_more is true but next_page is missing; try again later"
                )
        raise EnvironmentProblem("usage report: more than 10,000 pages; narrow the window")

    def _get(self, params: list[tuple[str, str]], number: int) -> dict[str, Any]:
        url = self.base_url.rstrip("/") + REPORT_PATH + "?" + urllib.parse.urlencode(params)
        request = urllib.request.Request(
            url, headers={"x-api-key": self.key, "anthropic-version": API_VERSION, "accept": "application/json"}
        )
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
                raise self._refused(err, number) from None
            except (urllib.error.URLError, OSError) as err:
                raise EnvironmentProblem(
                    f"cannot reach the usage report at {self.base_url} ({getattr(err, 'reason', err)}); check the network or --admin-url"
                ) from None
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise EnvironmentProblem(f"usage report page {number}: the answer is not JSON; try again later") from None
            if not isinstance(data, dict):
                raise EnvironmentProblem(f"usage report page {number}: the answer is not a JSON object")
            return data
        raise AssertionError("unreachable")  # the loop returns or raises

    def _refused(self, err: urllib.error.HTTPError, number: int) -> EnvironmentProblem:
        said = _redacted(_error_message(err), self.key)
        if err.code in (401, 403):
            return EnvironmentProblem(
                f"the usage report refused the admin key in {KEY_VARIABLE} (HTTP {err.code}{': ' + said if said else ''}); "
                "use an Admin API key (sk-ant-admin...) of this organization"
            )
        if err.code == 429:
            return EnvironmentProblem(f"the usage report is rate limited (HTTP 429) after {RETRIES} retries; try again later")
        return EnvironmentProblem(f"usage report page {number}: HTTP {err.code}{': ' + said if said else ''}")


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


def parse_page(answer: dict[str, Any], number: int) -> list[ReportRow]:
    buckets = answer.get("data")
    if not isinstance(buckets, list):
        raise EnvironmentProblem(f"usage report page {number}: no data list in the answer")
    rows = []
    for b, bucket in enumerate(buckets):
        where = f"usage report page {number}, bucket {b}"
        if not isinstance(bucket, dict) or not isinstance(bucket.get("results"), list):
            raise EnvironmentProblem(f"{where}: not a bucket with starting_at, ending_at and results")
        try:
            start, end = parse_time(bucket.get("starting_at"), where), parse_time(bucket.get("ending_at"), where)
            rows += [
                parse_row(row, start, end, f"{where} ({bucket['starting_at']}), row {r}")
                for r, row in enumerate(bucket["results"])
            ]
        except UsageError as err:
            raise EnvironmentProblem(f"{err}; the answer is malformed, nothing was reported") from None
    return rows


def parse_row(row: Any, start: datetime, end: datetime, where: str) -> ReportRow:
    if not isinstance(row, dict):
        raise UsageError(f"{where}: not an object")
    nested = row.get("cache_creation") if isinstance(row.get("cache_creation"), dict) else {}
    w5 = (
        count(nested, "ephemeral_5m_input_tokens", where, required=False)
        if nested
        else count(row, "cache_creation_5m_input_tokens", where, required=False)
    )
    w1h = (
        count(nested, "ephemeral_1h_input_tokens", where, required=False)
        if nested
        else count(row, "cache_creation_1h_input_tokens", where, required=False)
    )
    requests = row.get("requests")  # the successor's rows count them; the legacy report does not
    usage = Usage(
        uncached_input=count(row, "uncached_input_tokens", where),
        cache_read=count(row, "cache_read_input_tokens", where),
        cache_write_5m=w5,
        cache_write_1h=w1h,
        output=count(row, "output_tokens", where),
        calls=count(row, "requests", where) if requests is not None else None,
    )
    ids = {name: row.get(name) if isinstance(row.get(name), str) else None for name in GROUP_BY}
    return ReportRow(start, end, ids["api_key_id"], ids["workspace_id"], ids["model"], usage)


def _error_message(err: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(err.read().decode("utf-8"))
        message = data.get("error", {}).get("message") if isinstance(data, dict) else None
        return str(message)[:200] if message else ""
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return ""


def _redacted(text: str, key: str) -> str:
    return text.replace(key, "[redacted]") if key else text


def _rfc3339(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
