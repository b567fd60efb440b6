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

The transport (key, paging, 429, errors) is ``admin_http``'s, shared with the successor in
``analytics_api``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from optctl.errors import EnvironmentProblem, UsageError
from optctl.savings.admin_http import BUCKET_WIDTHS, AdminClient, Endpoint, ReportRow, rfc3339
from optctl.savings.usage import Usage, count, parse_time

REPORT = Endpoint("usage report", "/v1/organizations/usage_report/messages")
GROUP_BY = ("api_key_id", "workspace_id", "model")
MAX_BUCKETS = {"1d": 31, "1h": 168, "1m": 1440}


class UsageReportClient(AdminClient):
    def rows(self, starting_at: datetime, ending_at: datetime, bucket_width: str = "1h") -> list[ReportRow]:
        if bucket_width not in BUCKET_WIDTHS:
            raise UsageError(f"bucket width {bucket_width!r}: use one of {', '.join(BUCKET_WIDTHS)}")
        params: list[tuple[str, str]] = [
            ("starting_at", rfc3339(starting_at)),
            ("ending_at", rfc3339(ending_at)),
            ("bucket_width", bucket_width),
            ("limit", str(MAX_BUCKETS[bucket_width])),
            *(("group_by[]", name) for name in GROUP_BY),
        ]
        return [row for number, answer in self.pages(REPORT, params) for row in parse_page(answer, number)]


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
    requests = row.get("requests")  # not in the documented report: read if a row ever carries it
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
