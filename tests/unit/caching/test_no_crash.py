"""Any JSON value as a fixture gives a well-formed report (findings for what is wrong), never an exception."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from optctl.providers import rules as table
from optctl.caching.analysis import analyse
from optctl.caching.placement import CacheSettings
from optctl.caching.tokens.counters import Offline

from .conftest import request_of

RULES = table.load()
COUNTER = Offline()
KEYS = [
    "role",
    "content",
    "type",
    "text",
    "cache_control",
    "ttl",
    "messages",
    "system",
    "tools",
    "name",
    "source",
    "data",
    "input",
    "thinking",
    "model",
    "ephemeral",
    "user",
    "assistant",
    "system",
    "image",
    "tool_result",
]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(KEYS), st.text(max_size=20))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=150)
@given(json_values, st.sampled_from(["wrapper", "optimal"]))
def test_any_json_value_is_analysed_without_an_exception(data, strategy):
    request = request_of(data)
    cache = CacheSettings(
        enabled=True,
        min_tokens_to_cache=1,
        auto_detect_cacheable=True,
        default_ttl_seconds=300,
        domain_definitions_ttl_seconds=3600,
    )
    [report] = analyse(
        [("f", request)], cache=cache, provider=None, rules=RULES, counter=COUNTER, strategies=[strategy], calls=3, emit=True
    )
    shown = json.loads(json.dumps(report.to_json()))  # the report is plain JSON, whatever came in
    assert 0 <= report.cached_tokens <= report.total_tokens and shown["tokens_after_last_breakpoint"] >= 0
    assert all(f["severity"] in ("error", "warning") and f["message"] for f in shown["findings"])
    assert report.ok is not any(f["severity"] == "error" for f in shown["findings"])
