"""The usage report client against a local double on 127.0.0.1: paging, grouping, an empty window,
a refused key, rate limiting with retry-after for it and the analytics client alike (the sleeper is
injected: nothing really sleeps),
and a malformed row. Each ends in a value or one clear error, never a traceback; the key is never echoed."""

from datetime import timedelta

import pytest

from optctl.errors import EnvironmentProblem
from optctl.savings.admin_api import UsageReportClient
from optctl.savings.admin_http import admin_key, retry_after
from optctl.savings.analytics_api import AnalyticsUsageClient
from optctl.savings.attribution import Attribution, attribute
from tests.support.usage_report_server import ADMIN_KEY as KEY
from tests.support.usage_report_server import START, Canned, Sleeps


def client(url: str, sleeper=None, key: str = KEY) -> UsageReportClient:
    return UsageReportClient(key, url, Sleeps() if sleeper is None else sleeper)


def test_every_page_is_read_and_rows_come_back_grouped_by_key_workspace_and_model(url, double):
    rows = client(url).rows(START, START + timedelta(days=3), "1d")
    assert len(double.requests) == 2  # 3 buckets, 2 a page
    assert double.requests[1]["query"]["page"] == ["2"]
    first = double.requests[0]
    assert first["query"]["group_by[]"] == ["api_key_id", "workspace_id", "model"]
    assert first["query"]["bucket_width"] == ["1d"] and first["query"]["limit"] == ["31"]
    assert first["query"]["starting_at"] == ["2026-11-19T00:00:00Z"]
    assert first["headers"]["anthropic-version"] == "2023-06-01"
    assert [(r.api_key_id, r.model, r.usage.uncached_input) for r in rows[:3]] == [
        ("apikey_a", "claude-sonnet-4-5", 120),  # two rows of one group, summed
        ("apikey_a", "claude-haiku-4-5", 50),
        ("apikey_b", "claude-sonnet-4-5", 70),
    ]
    assert rows[3].usage.cache_read == 900 and rows[3].usage.cache_write_5m == 90
    assert rows[4].usage.cache_write_1h == 40 and rows[4].workspace_id == "wrkspc_2"
    assert all(r.usage.calls is None for r in rows)  # the legacy report does not count requests


def test_an_empty_window_is_no_rows_not_an_error(url):
    assert client(url).rows(START + timedelta(days=10), START + timedelta(days=11), "1d") == []


def test_a_wrong_admin_key_is_one_line_naming_the_variable_never_the_key(url):
    wrong = "sk-ant-admin01-wrong-key-abcdef"
    with pytest.raises(EnvironmentProblem) as caught:
        client(url, key=wrong).rows(START, START + timedelta(days=3), "1d")
    message = str(caught.value)
    assert "refused the admin key in ANTHROPIC_ADMIN_API_KEY (HTTP 401: invalid x-api-key)" in message
    assert wrong not in message and KEY not in message


def test_an_error_message_that_echoes_the_key_is_redacted(url, double):
    double.script.append(Canned(403, {"error": {"message": f"key {KEY} lacks the admin scope"}}))
    with pytest.raises(EnvironmentProblem) as caught:
        client(url).rows(START, START + timedelta(days=3), "1d")
    assert KEY not in str(caught.value) and "[redacted]" in str(caught.value)


@pytest.fixture(params=[UsageReportClient, AnalyticsUsageClient], ids=["usage-report", "analytics"])
def either(request):
    """Both clients: they share the transport (admin_http), so rate limiting must behave alike in each."""
    return request.param


def test_429_waits_as_long_as_retry_after_says_then_goes_on(url, double, either):
    double.script += [
        Canned(429, {"error": {"message": "slow down"}}, {"retry-after": "7"}),
        Canned(429, {}, {"retry-after": "2"}),
    ]
    sleeps = Sleeps()
    rows = either(KEY, url, sleeps).rows(START, START + timedelta(days=3), "1d")
    assert sleeps == [7.0, 2.0] and len(rows) == 5
    assert [r["query"].get("page") for r in double.requests[:4]] == [None, None, None, ["2"]]


def test_429_that_never_stops_is_a_clear_error_after_the_retries(url, double, either):
    double.script += [Canned(429, {}, {"retry-after": "1"}) for _ in range(6)]
    sleeps = Sleeps()
    with pytest.raises(EnvironmentProblem, match=r"rate limited \(HTTP 429\) after 5 retries; try again later"):
        either(KEY, url, sleeps).rows(START, START + timedelta(days=3), "1d")
    assert sleeps == [1.0] * 5


def test_a_retry_after_longer_than_optctl_waits_is_reported_not_slept(url, double):
    double.script.append(Canned(429, {}, {"retry-after": "3600"}))
    sleeps = Sleeps()
    with pytest.raises(EnvironmentProblem, match="rate limited"):
        client(url, sleeps).rows(START, START + timedelta(days=3), "1d")
    assert sleeps == []


def test_a_malformed_row_names_its_page_bucket_and_field(url, double):
    double.buckets[1]["rows"] = [{"api_key_id": "apikey_a", "uncached_input_tokens": "lots"}]
    double.script.append(
        Canned(
            200,
            {
                "data": [
                    {
                        "starting_at": "2026-11-19T00:00:00Z",
                        "ending_at": "2026-11-20T00:00:00Z",
                        "results": [{"uncached_input_tokens": "lots", "cache_read_input_tokens": 0, "output_tokens": 0}],
                    }
                ],
                "has_more": False,
            },
        )
    )
    with pytest.raises(EnvironmentProblem) as caught:
        client(url).rows(START, START + timedelta(days=3), "1d")
    assert str(caught.value) == (
        "usage report page 1, bucket 0 (2026-11-19T00:00:00Z), row 0: uncached_input_tokens must be a whole "
        'number of tokens (got "lots"); the answer is malformed, nothing was reported'
    )


def test_an_answer_that_is_not_json_is_a_clear_error(url, double):
    double.script.append(Canned(200, b"<html>gateway</html>"))
    with pytest.raises(EnvironmentProblem, match="page 1: the answer is not JSON"):
        client(url).rows(START, START + timedelta(days=3), "1d")


def test_flat_cache_creation_fields_are_read_too(url, double):
    double.script.append(
        Canned(
            200,
            {
                "data": [
                    {
                        "starting_at": "2026-11-19T00:00:00Z",
                        "ending_at": "2026-11-20T00:00:00Z",
                        "results": [
                            {
                                "uncached_input_tokens": 1,
                                "cache_read_input_tokens": 2,
                                "cache_creation_5m_input_tokens": 3,
                                "cache_creation_1h_input_tokens": 4,
                                "output_tokens": 5,
                                "requests": 6,
                            }
                        ],
                    }
                ],
                "has_more": False,
            },
        )
    )
    [only] = client(url).rows(START, START + timedelta(days=3), "1d")
    assert (only.usage.cache_write_5m, only.usage.cache_write_1h, only.usage.calls) == (3, 4, 6)


def test_nothing_listening_is_a_clear_error():
    with pytest.raises(EnvironmentProblem, match="cannot reach the usage report"):
        UsageReportClient(KEY, "http://127.0.0.1:9", Sleeps()).rows(START, START + timedelta(days=1), "1d")


def test_the_key_comes_only_from_the_environment():
    assert admin_key({"ANTHROPIC_ADMIN_API_KEY": KEY}) == KEY
    with pytest.raises(EnvironmentProblem, match="ANTHROPIC_ADMIN_API_KEY is not set"):
        admin_key({})


def test_retry_after_reads_seconds_else_backs_off():
    assert retry_after("3", 0) == 3.0
    assert retry_after(None, 2) == 4.0
    assert retry_after("not a time", 0) == 1.0


def test_rows_are_attributed_by_key_then_workspace_and_shared_or_unclaimed_usage_is_set_aside(url, either):
    rows = either(KEY, url, Sleeps()).rows(START, START + timedelta(days=3), "1d")
    attribution = Attribution(
        keys={"apikey_a": [("query", "production")], "apikey_b": [("query", "production"), ("agent", "production")]},
        workspaces={"wrkspc_1": [("indexing", "production")]},
    )
    records, aside = attribute(rows, attribution)
    assert [(r.service, r.usage.uncached_input) for r in records] == [("query", 120), ("query", 50), ("query", 10)]
    counted = either is AnalyticsUsageClient  # only the successor counts requests
    assert [r.usage.calls for r in records] == ([5, 2, 9] if counted else [None, None, None])
    assert [(a.why, a.usage.uncached_input) for a in aside] == [
        ("no service claims api key apikey_c or workspace wrkspc_2", 5),
        ("shared by query/production, agent/production", 70),
    ]
