"""The Usage and Cost Analytics API client against the local double on 127.0.0.1: the beta header,
paging, grouping, request counts, an empty window, a refused key, malformed rows, ranges longer than
one request, and the savings gate reading it. Each ends in a value or one clear error, never a
traceback; the key is never echoed. Rate limiting and attribution, which both clients share, are
tested for both in test_admin_api."""

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from optctl.errors import EnvironmentProblem, UsageError
from optctl.savings.analytics_api import AnalyticsUsageClient, spans
from optctl.savings.attribution import Attribution
from optctl.savings.evaluate import savings_gate
from optctl.savings.sources import Source, UsageEdges, measure
from tests.support.usage_report_server import ADMIN_KEY as KEY
from tests.support.usage_report_server import ANALYTICS_PATH, BETA, START, Canned, Sleeps, stamp


def client(url: str, sleeper=None, key: str = KEY) -> AnalyticsUsageClient:
    return AnalyticsUsageClient(key, url, Sleeps() if sleeper is None else sleeper)


def page(*items: dict, more: bool = False) -> Canned:
    return Canned(200, {"data": list(items), "has_more": more, "next_page": "next" if more else None})


def item(**usage) -> dict:
    counts = {
        "uncached_input_tokens": 1,
        "cache_read_input_tokens": 2,
        "cache_creation": {"ephemeral_5m_input_tokens": 3, "ephemeral_1h_input_tokens": 4},
        "output_tokens": 5,
        "requests": 6,
    }
    return {
        "starting_at": "2026-11-19T00:00:00Z",
        "ending_at": "2026-11-20T00:00:00Z",
        "group": {"api_key_id": "apikey_a", "workspace_id": "wrkspc_1", "model": "claude-sonnet-4-5"},
        "usage": {**counts, **usage},
    }


def test_the_beta_header_version_and_admin_key_are_sent_to_the_analytics_path(url, double):
    client(url).rows(START, START + timedelta(days=3), "1d")
    first = double.requests[0]
    assert first["path"] == ANALYTICS_PATH
    assert first["headers"]["anthropic-beta"] == BETA == "analytics-usage-cost-2026-08-24"
    assert first["headers"]["anthropic-version"] == "2023-06-01" and first["headers"]["x-api-key"] == KEY


def test_every_page_is_read_and_rows_come_back_grouped_by_key_workspace_and_model_with_their_requests(url, double):
    rows = client(url).rows(START, START + timedelta(days=3), "1d")
    assert len(double.requests) == 3  # 5 rows, 2 a page
    assert [r["query"].get("page") for r in double.requests] == [None, ["2"], ["4"]]
    query = double.requests[0]["query"]
    assert query["group_by[]"] == ["api_key_id", "workspace_id", "model"]
    assert query["time_bucket_width"] == ["1d"] and "bucket_width" not in query and "limit" not in query
    assert query["starting_at"] == ["2026-11-19T00:00:00Z"] and query["ending_at"] == ["2026-11-22T00:00:00Z"]
    assert [(r.api_key_id, r.workspace_id, r.model, r.usage.uncached_input, r.usage.calls) for r in rows[:3]] == [
        ("apikey_a", "wrkspc_1", "claude-sonnet-4-5", 120, 5),
        ("apikey_a", "wrkspc_1", "claude-haiku-4-5", 50, 2),
        ("apikey_b", "wrkspc_1", "claude-sonnet-4-5", 70, 3),
    ]
    assert (rows[3].usage.cache_read, rows[3].usage.cache_write_5m, rows[3].usage.calls) == (900, 90, 9)
    assert rows[4].usage.cache_write_1h == 40 and rows[4].workspace_id == "wrkspc_2"
    assert (rows[4].start, rows[4].end) == (START + timedelta(days=2), START + timedelta(days=3))


def test_an_empty_window_is_no_rows_not_an_error(url, double):
    assert client(url).rows(START + timedelta(days=10), START + timedelta(days=11), "1d") == []
    assert len(double.requests) == 1


def test_a_wrong_admin_key_is_one_line_naming_the_variable_never_the_key(url):
    wrong = "sk-ant-admin01-wrong-key-abcdef"
    with pytest.raises(EnvironmentProblem) as caught:
        client(url, key=wrong).rows(START, START + timedelta(days=3), "1d")
    message = str(caught.value)
    assert message.startswith(
        "the analytics usage refused the admin key in ANTHROPIC_ADMIN_API_KEY (HTTP 401: invalid x-api-key)"
    )
    assert "\n" not in message and wrong not in message and KEY not in message


def test_a_malformed_count_names_the_page_row_and_field(url, double):
    double.script.append(page(item(cache_read_input_tokens=-5)))
    with pytest.raises(EnvironmentProblem) as caught:
        client(url).rows(START, START + timedelta(days=3), "1d")
    assert str(caught.value) == (
        "analytics usage page 1, row 0 (2026-11-19T00:00:00Z), usage: cache_read_input_tokens must be a whole "
        "number of tokens (got -5); the answer is malformed, nothing was reported"
    )


@pytest.mark.parametrize(
    "broken, said",
    [
        ({"usage": None}, "not a row with starting_at, ending_at, group and usage objects"),
        ({"group": "apikey_a"}, "not a row with starting_at, ending_at, group and usage objects"),
        ({"starting_at": "yesterday"}, "'yesterday' is not an RFC 3339 time"),
        (
            {"usage": {"uncached_input_tokens": 1, "cache_read_input_tokens": 0, "output_tokens": 0}},
            "usage.cache_creation must be an object",
        ),
        ({"group": {"api_key_id": 7}}, "group.api_key_id must be a string or null (got int)"),
        ({"usage": {**item()["usage"], "requests": "many"}}, 'requests must be a whole number of tokens (got "many")'),
    ],
)
def test_a_malformed_row_is_one_line_and_nothing_is_reported(url, double, broken, said):
    double.script.append(page(item(), {**item(), **broken}))
    with pytest.raises(EnvironmentProblem) as caught:
        client(url).rows(START, START + timedelta(days=3), "1d")
    message = str(caught.value)
    assert message.startswith("analytics usage page 1, row 1") and said in message and message.endswith("nothing was reported")


def test_a_page_without_a_data_list_or_a_cursor_it_promised_is_a_clear_error(url, double):
    double.script.append(Canned(200, {"rows": []}))
    with pytest.raises(EnvironmentProblem, match="analytics usage page 1: no data list in the answer"):
        client(url).rows(START, START + timedelta(days=3), "1d")
    double.script.append(Canned(200, {"data": [], "has_more": True}))
    with pytest.raises(EnvironmentProblem, match="page 1: has_more is true but next_page is missing"):
        client(url).rows(START, START + timedelta(days=3), "1d")


def test_requests_missing_from_a_row_leave_its_calls_unknown_not_zero(url, double):
    counts = {k: v for k, v in item()["usage"].items() if k != "requests"}
    double.script.append(page({**item(), "usage": counts}))
    [only] = client(url).rows(START, START + timedelta(days=3), "1d")
    assert only.usage.calls is None and only.usage.cache_write_1h == 4


def test_nothing_listening_is_a_clear_error():
    with pytest.raises(EnvironmentProblem, match="cannot reach the analytics usage at http://127.0.0.1:9"):
        AnalyticsUsageClient(KEY, "http://127.0.0.1:9", Sleeps()).rows(START, START + timedelta(days=1), "1d")


def test_an_unknown_bucket_width_is_a_usage_error_before_any_request(url, double):
    with pytest.raises(UsageError, match="bucket width '2h': use one of 1m, 1h, 1d"):
        client(url).rows(START, START + timedelta(days=1), "2h")
    assert double.requests == []


def test_a_range_longer_than_31_days_is_asked_for_in_spans_cut_at_utc_midnights(url, double):
    start = START + timedelta(hours=10)
    cut = spans(start, start + timedelta(days=70))
    assert [(stamp(a), stamp(b)) for a, b in cut] == [
        ("2026-11-19T10:00:00Z", "2026-12-20T00:00:00Z"),
        ("2026-12-20T00:00:00Z", "2027-01-20T00:00:00Z"),
        ("2027-01-20T00:00:00Z", "2027-01-28T10:00:00Z"),
    ]
    assert spans(START, START + timedelta(days=31)) == [(START, START + timedelta(days=31))]
    assert len(client(url).rows(START - timedelta(days=40), START + timedelta(days=3), "1d")) == 5
    assert [r["query"]["ending_at"] for r in double.requests if r["query"].get("page") is None] == [
        ["2026-11-10T00:00:00Z"],
        ["2026-11-22T00:00:00Z"],
    ]


def test_the_source_reads_the_analytics_api_only_when_asked_and_never_beside_a_log(url, double):
    edges = UsageEdges(environ={"ANTHROPIC_ADMIN_API_KEY": KEY}, sleeper=Sleeps())
    attribution = Attribution(keys={"apikey_a": [("query", "production")]})
    measured = measure(Source(None, url, "1d", "analytics"), attribution, START, START + timedelta(days=3), edges)
    assert measured.source == f"Usage and Cost Analytics API at {url} (1d buckets)"
    assert sum(r.usage.calls or 0 for r in measured.records) == 16 and double.requests[-1]["path"] == ANALYTICS_PATH
    legacy = measure(Source(None, url, "1d"), attribution, START, START + timedelta(days=3), edges)
    assert legacy.source.startswith("Admin API usage report") and all(r.usage.calls is None for r in legacy.records)
    with pytest.raises(UsageError, match="a usage log and --usage-source analytics are two sources; give one"):
        Source(usage_log=Path("u.jsonl"), usage_source="analytics")
    with pytest.raises(UsageError, match="usage source 'cost': use one of usage-report, analytics"):
        Source(usage_source="cost")


def test_the_savings_gate_judges_min_calls_from_the_analytics_api(url, double, tmp_path):
    project = tmp_path / "optctl.toml"
    project.write_text(
        '[environments.production]\nurl = "sqlite:///optctl.db"\n'
        '[savings.attribution.production]\nquery = { api_key_ids = ["apikey_a"] }\n'
    )
    edges = UsageEdges(environ={"ANTHROPIC_ADMIN_API_KEY": KEY, "OPTCTL_ANTHROPIC_ADMIN_URL": url}, sleeper=Sleeps())
    context = SimpleNamespace(
        environment="production",
        services=("query",),
        rollout_id="r1",
        applied_at=stamp(START),
        now=stamp(START + timedelta(days=3)),
    )
    gate = {"kind": "savings", "usage_source": "analytics", "bucket_width": "1d", "min_calls": 16, "min_cache_read_ratio": 0.1}
    result, detail = savings_gate(gate, context, timedelta(days=3), edges, project)
    assert result == "pass" and "16 call(s)" in detail and double.requests[0]["path"] == ANALYTICS_PATH
    result, detail = savings_gate({**gate, "min_calls": 17}, context, timedelta(days=3), edges, project)
    assert (result, detail) == ("inconclusive", "query: 16 call(s) since the stage was applied, the gate needs 17")
