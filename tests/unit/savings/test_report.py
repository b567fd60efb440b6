"""The report's arithmetic on generated logs: caching that works, caching that never hits, writes without reads."""

from datetime import datetime, timedelta, timezone

import pytest

from optctl.providers import rules as table
from optctl.savings.enablement import Enablement, enablement
from optctl.savings.report import build
from optctl.savings.usage import Usage, UsageRecord, read_usage_log
from optctl.stores.base import HistoryEntry
from tests.support import usage_logs

ENABLED = datetime(2026, 11, 20, tzinfo=timezone.utc)
NOW = ENABLED + timedelta(days=30)
WEEK = timedelta(days=7)


def report(tmp_path, behaviour: str, **shape):
    log = usage_logs.write(tmp_path / "u.jsonl", (("svc", behaviour),), "production", ENABLED, **shape)
    owners = {("svc", "production"): (Enablement(ENABLED, None, "alice", None), "history")}
    [entry] = build(read_usage_log(log), owners, table.load(), WEEK, NOW)
    return entry


def codes(entry):
    return [f.code for f in entry.flags]


def test_caching_that_works_reads_most_of_the_prompt_and_saves_money(tmp_path):
    entry = report(tmp_path, "works")
    before, after = entry.before, entry.after
    assert before.usage.calls == after.usage.calls == 70
    assert before.usage.input_tokens == after.usage.input_tokens == 70 * (usage_logs.PREFIX + usage_logs.TAIL)
    assert before.cache_read_ratio == 0 and before.saving == pytest.approx(0)
    # one write and four reads of the 6,000-token prefix in each of 14 hours a week
    assert after.usage.cache_write_5m == 14 * usage_logs.PREFIX and after.usage.cache_read == 56 * usage_logs.PREFIX
    assert after.cache_read_ratio == pytest.approx(56 * 6000 / (70 * 6800))
    price = 3.0 / 1e6  # claude-sonnet-4-5 input, per token
    expected_saving = 56 * 6000 * price * (1 - 0.1) - 14 * 6000 * price * 0.25
    assert after.saving == pytest.approx(expected_saving)
    assert after.without_caching == pytest.approx(before.without_caching)
    assert 0 < after.saving_pct < after.input_saving_pct
    assert codes(entry) == []


def test_caching_that_never_hits_is_flagged_and_saves_nothing(tmp_path):
    entry = report(tmp_path, "never-hits")
    assert entry.after.usage.cache_read == 0 and entry.after.saving == pytest.approx(0)
    assert codes(entry) == ["no-cache-reads"]


def test_writes_without_reads_cost_more_than_no_caching(tmp_path):
    entry = report(tmp_path, "writes-only")
    assert entry.after.billed > entry.after.without_caching
    assert entry.after.cost_change == pytest.approx(70 * 6000 * 3e-6 / entry.after.without_caching)
    assert codes(entry) == ["no-cache-reads", "caching-costs-more"]


def test_daily_cost_is_billed_cost_per_utc_day_on_each_side(tmp_path):
    entry = report(tmp_path, "works")
    assert len(entry.before.daily) == len(entry.after.daily) == 7
    assert sum(entry.after.daily.values()) == pytest.approx(entry.after.billed)
    assert max(entry.before.daily) < ENABLED.date() <= min(entry.after.daily)


def bucket(start: datetime, hours: int, tokens: int, read: int = 0) -> UsageRecord:
    return UsageRecord(
        "svc",
        "production",
        "claude-sonnet-4-5",
        start,
        start + timedelta(hours=hours),
        Usage(uncached_input=tokens, cache_read=read, calls=None),
    )


def test_a_time_bucket_that_covers_the_enable_time_is_in_neither_window():
    records = [
        bucket(ENABLED - timedelta(days=1), 24, 1000),
        bucket(ENABLED - timedelta(hours=12), 24, 500),
        bucket(ENABLED, 24, 100, read=900),
    ]
    owners = {("svc", "production"): (Enablement(ENABLED, None, "alice", None), "history")}
    [entry] = build(records, owners, table.load(), WEEK, NOW)
    assert entry.before.usage.input_tokens == 1000 and entry.after.usage.input_tokens == 1000
    assert entry.left_out.input_tokens == 500
    assert "enable-bucket-left-out" in codes(entry)
    assert entry.after.usage.calls is None  # buckets do not count calls


def test_the_after_window_ends_when_caching_was_switched_off_again():
    off = ENABLED + timedelta(days=2)
    records = [bucket(ENABLED + timedelta(days=1), 1, 100, read=900), bucket(ENABLED + timedelta(days=3), 1, 1000)]
    owners = {("svc", "production"): (Enablement(ENABLED, off, "alice", None), "history")}
    [entry] = build(records, owners, table.load(), WEEK, NOW)
    assert entry.after.end == off and entry.after.usage.input_tokens == 1000


def test_usage_of_a_model_the_table_does_not_price_is_counted_but_not_costed():
    record = UsageRecord(
        "svc",
        "production",
        "claude-unknown-9",
        ENABLED + timedelta(hours=1),
        ENABLED + timedelta(hours=1),
        Usage(uncached_input=10, calls=1),
    )
    owners = {("svc", "production"): (Enablement(ENABLED, None, "alice", None), "history")}
    [entry] = build([record], owners, table.load(), WEEK, NOW)
    assert entry.after.unpriced_tokens == 10 and entry.after.billed == 0
    assert "unpriced-model" in codes(entry)


def test_a_service_never_enabled_has_only_a_before_window():
    owners = {("svc", "dev"): (None, "none")}
    [entry] = build([], owners, table.load(), WEEK, NOW)
    assert entry.after is None and codes(entry) == ["not-enabled"]


def entry(at: str, before, after, rollout=None) -> HistoryEntry:
    return HistoryEntry("r", at, "alice", "set", "svc", "production", before, after, rollout=rollout)


ON, OFF = {"cache": {"enabled": True}}, {"cache": {"enabled": False}}


def test_the_enable_time_is_the_newest_switch_on_and_a_later_switch_off_ends_it():
    history = [
        entry("2026-11-01T00:00:00Z", None, OFF),
        entry("2026-11-02T00:00:00Z", OFF, ON),
        entry("2026-11-03T00:00:00Z", ON, OFF),
        entry("2026-11-04T00:00:00.5Z", OFF, ON, "ro-1"),
        entry("2026-11-05T00:00:00Z", ON, {"cache": {"enabled": True, "default_ttl_seconds": 3600}}),
    ]
    found = enablement(history)
    assert found.enabled_at == datetime(2026, 11, 4, 0, 0, 0, 500000, tzinfo=timezone.utc)
    assert found.disabled_at is None and found.rollout == "ro-1"
    found = enablement(history + [entry("2026-11-06T00:00:00Z", ON, OFF)])
    assert found.disabled_at == datetime(2026, 11, 6, tzinfo=timezone.utc)


def test_no_switch_on_in_the_history_means_no_enable_time():
    assert enablement([entry("2026-11-01T00:00:00Z", None, OFF)]) is None


def test_the_bundled_demo_log_is_what_the_generator_writes(tmp_path):
    from tests.support.paths import EXAMPLES

    assert usage_logs.write_example(tmp_path / "demo.log").read_bytes() == (EXAMPLES / "usage" / "demo.log").read_bytes()


def test_the_dry_run_prediction_is_the_steady_state_read_ratio_and_the_input_saving():
    from optctl.caching.analysis import FixtureReport
    from optctl.caching.pricing import Cost
    from optctl.savings.report import predicted

    caching = FixtureReport(
        "a.json",
        "m",
        "wrapper",
        "offline",
        total_tokens=1000,
        cached_tokens=800,
        cost=Cost("USD", uncached=1.0, first_call=1.2, hit=0.3, break_even_calls=2, calls=10, saving_over_calls=5.1),
    )
    unreadable = FixtureReport("b.json", None, "wrapper", "offline")
    shown = predicted([caching, unreadable], 10)
    assert shown["cache_read_ratio"] == 0.72  # 800/1000 read on 9 of 10 calls
    assert shown["input_saving_pct"] == 51.0  # 5.1 saved of 10 x 1.0
    assert predicted([unreadable], 10)["input_saving_pct"] is None
