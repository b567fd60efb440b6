"""The Usage and Cost Analytics API (beta): ``GET /v1/organizations/analytics/usage``.

The successor of the legacy usage report (``admin_api``), read the same way and attributed the
same way; what it adds for optctl is a request count per row, so the savings gate's ``min_calls``
can judge usage read from the Admin API.

Shape, as documented (checked 2026-12-06):

- platform.claude.com/docs/en/manage-claude/usage-cost-analytics-api: the endpoint, the beta header
  ``anthropic-beta: analytics-usage-cost-2026-08-24`` sent with ``anthropic-version`` on every
  request, daily / hourly / per-minute time buckets (``time_bucket_width``, e.g. ``1d``), grouping
  by model, workspace and API key, ``limit`` setting only the page size; an answer is
  ``{"data": [row, ...]}`` with one flat row per time bucket and group.
- The API reference for the endpoint (platform.claude.com/docs/en/api/go/beta/organization/analytics/usage
  and its PHP twin) and the official Ruby SDK's generated types (anthropics/anthropic-sdk-ruby:
  ``Beta::Organization::Analytics::UsageListParams``, ``BetaAnalyticsUsageItem``,
  ``BetaAnalyticsUsageGroup``, ``BetaAnalyticsUsageMetrics``, ``Internal::ReportPageCursor``):
  query ``starting_at`` (required), ``ending_at``, ``time_bucket_width``, ``group_by[]`` (among
  them ``api_key_id``, ``model``; ``workspace_id`` is a group field), filters ``api_key_ids``,
  ``workspace_ids``, ``models``, ``limit``, ``page``; the page carries ``data``,
  ``has_more``, ``next_page`` (sent back as ``page``) and ``data_refreshed_at``; a row carries
  ``starting_at`` / ``ending_at`` (its bucket), ``group`` (a field per dimension, null unless
  grouped by it) and ``usage`` with ``uncached_input_tokens``, ``cache_read_input_tokens``,
  ``cache_creation.{ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}``, ``output_tokens``,
  ``requests``, ``server_tool_use`` and ``total_tokens``.

No filter is sent: every key's usage is read so that usage nobody claims is reported, as with the
legacy report. A row without a usage object, or with a count that is not a whole number, makes
the whole answer malformed: one line naming page, row and field, nothing reported. The range is
asked for in spans of at most 31 days starting at UTC midnights (the documented default range is
31 days; a midnight is a bucket boundary for every width, so no bucket is read twice).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from optctl.errors import EnvironmentProblem, UsageError
from optctl.savings.admin_http import BUCKET_WIDTHS, AdminClient, Endpoint, ReportRow, rfc3339
from optctl.savings.usage import Usage, count, parse_time

BETA = "analytics-usage-cost-2026-08-24"
ANALYTICS = Endpoint("analytics usage", "/v1/organizations/analytics/usage", {"anthropic-beta": BETA})
GROUP_BY = ("api_key_id", "workspace_id", "model")
LONGEST_SPAN = timedelta(days=31)


class AnalyticsUsageClient(AdminClient):
    def rows(self, starting_at: datetime, ending_at: datetime, bucket_width: str = "1h") -> list[ReportRow]:
        if bucket_width not in BUCKET_WIDTHS:
            raise UsageError(f"bucket width {bucket_width!r}: use one of {', '.join(BUCKET_WIDTHS)}")
        rows: list[ReportRow] = []
        for start, end in spans(starting_at, ending_at):
            params = [
                ("starting_at", rfc3339(start)),
                ("ending_at", rfc3339(end)),
                ("time_bucket_width", bucket_width),
                *(("group_by[]", name) for name in GROUP_BY),
            ]
            rows += [row for number, answer in self.pages(ANALYTICS, params) for row in parse_page(answer, number)]
        return rows


def spans(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at UTC midnights into pieces of at most 31 days."""
    midnight = start.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    cuts = [start]
    while (nxt := midnight + LONGEST_SPAN * len(cuts)) < end:
        cuts.append(nxt)
    return list(zip(cuts, cuts[1:] + [end]))


def parse_page(answer: dict[str, Any], number: int) -> list[ReportRow]:
    items = answer.get("data")
    if not isinstance(items, list):
        raise EnvironmentProblem(f"{ANALYTICS.name} page {number}: no data list in the answer")
    try:
        return [parse_item(item, f"{ANALYTICS.name} page {number}, row {r}") for r, item in enumerate(items)]
    except UsageError as err:
        raise EnvironmentProblem(f"{err}; the answer is malformed, nothing was reported") from None


def parse_item(item: Any, where: str) -> ReportRow:
    if not isinstance(item, dict) or not isinstance(item.get("group"), dict) or not isinstance(item.get("usage"), dict):
        raise UsageError(f"{where}: not a row with starting_at, ending_at, group and usage objects")
    start, end = parse_time(item.get("starting_at"), where), parse_time(item.get("ending_at"), where)
    where = f"{where} ({item['starting_at']})"
    usage, group = item["usage"], item["group"]
    creation = usage.get("cache_creation")
    if not isinstance(creation, dict):
        raise UsageError(f"{where}: usage.cache_creation must be an object of cache writes by TTL")
    ids = {}
    for name in GROUP_BY:
        value = group.get(name)
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{where}: group.{name} must be a string or null (got {type(value).__name__})")
        ids[name] = value
    counted = f"{where}, usage"
    return ReportRow(
        start,
        end,
        ids["api_key_id"],
        ids["workspace_id"],
        ids["model"],
        Usage(
            uncached_input=count(usage, "uncached_input_tokens", counted),
            cache_read=count(usage, "cache_read_input_tokens", counted),
            cache_write_5m=count(creation, "ephemeral_5m_input_tokens", f"{counted}.cache_creation", required=False),
            cache_write_1h=count(creation, "ephemeral_1h_input_tokens", f"{counted}.cache_creation", required=False),
            output=count(usage, "output_tokens", counted),
            calls=None if usage.get("requests") is None else count(usage, "requests", counted),
        ),
    )
