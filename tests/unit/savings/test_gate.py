"""The savings gate's decision and the --savings-gate spec."""

from datetime import datetime, timezone

import pytest

from optctl.errors import UsageError
from optctl.savings.gate import combine, judge, parse_gate_spec
from optctl.savings.report import Window
from optctl.savings.usage import Usage

T = datetime(2026, 11, 20, tzinfo=timezone.utc)


def window(calls: int | None = 100, read: int = 600, uncached: int = 400, billed: float = 6.0, without: float = 10.0) -> Window:
    return Window(
        T, T, usage=Usage(uncached_input=uncached, cache_read=read, calls=calls), billed=billed, without_caching=without
    )


GATE = {"kind": "savings", "min_calls": 50, "min_cache_read_ratio": 0.5, "max_cost_change": -0.2}


def test_enough_traffic_reading_enough_and_saving_enough_passes():
    result, detail = judge("query", window(), GATE)
    assert result == "pass" and "read ratio 0.60" in detail and "-40.0%" in detail


def test_too_few_calls_is_inconclusive_not_a_failure():
    assert judge("query", window(calls=10), GATE) == (
        "inconclusive",
        "query: 10 call(s) since the stage was applied, the gate needs 50",
    )


def test_a_source_that_does_not_count_calls_cannot_meet_min_calls():
    result, detail = judge("query", window(calls=None), GATE)
    assert result == "inconclusive" and "min_input_tokens" in detail


def test_min_input_tokens_judges_evidence_when_calls_are_unknown():
    gate = {"kind": "savings", "min_input_tokens": 500, "min_cache_read_ratio": 0.5}
    assert judge("query", window(calls=None), gate)[0] == "pass"
    assert judge("query", window(calls=None, read=50, uncached=50), gate)[0] == "inconclusive"


def test_a_low_read_ratio_fails():
    assert judge("query", window(read=100, uncached=900), GATE) == ("fail", "query: cache read ratio 0.10 is below 0.5")


def test_caching_that_costs_more_than_the_maximum_change_fails():
    result, detail = judge("agent", window(billed=11.0), {**GATE, "min_cache_read_ratio": None})
    assert result == "fail" and "+10.0%" in detail


def test_no_usage_at_all_is_inconclusive():
    assert judge("query", window(calls=0, read=0, uncached=0), {"kind": "savings", "max_cost_change": 0})[0] == "inconclusive"


def test_combine_fail_beats_inconclusive_beats_pass():
    assert combine([("pass", "a"), ("inconclusive", "b"), ("fail", "c")]) == ("fail", "c")
    assert combine([("pass", "a"), ("inconclusive", "b")]) == ("inconclusive", "b")
    assert combine([("pass", "a"), ("pass", "b")]) == ("pass", "a; b")


def test_gate_spec_becomes_a_typed_gate_with_the_default_window():
    assert parse_gate_spec("min_calls=200, min_cache_read_ratio=0.3,max_cost_change=-0.1,usage_log=u.jsonl") == {
        "kind": "savings",
        "window": "24h",
        "min_calls": 200,
        "min_cache_read_ratio": 0.3,
        "max_cost_change": -0.1,
        "usage_log": "u.jsonl",
    }


@pytest.mark.parametrize(
    "spec, said",
    [
        ("", "at least one condition"),
        ("min_calls", "NAME=VALUE"),
        ("colour=red", "NAME=VALUE"),
        ("min_calls=lots", "whole number"),
    ],
)
def test_a_bad_gate_spec_is_a_usage_error(spec, said):
    with pytest.raises(UsageError, match=said):
        parse_gate_spec(spec)
