"""The wrapper reproduced exactly, the optimal placement, and the provider's verdict on both."""

import copy
import json

import pytest

from optctl.caching.placement import evaluate, place_optimal, place_wrapper
from optctl.contract.models import CacheConfig

from .conftest import example, request_of

ON = CacheConfig(enabled=True)
LONG = "x" * 4096  # exactly 1024 by the wrapper's chars/4
SHORT = "x" * 4092  # 1023


def wrapper(request, cache=ON):
    return place_wrapper(request, cache, True, "anthropic", "5m")


def model(rules, name="claude-sonnet-4-5"):
    return rules.model(name)


def test_string_system_prompt_marker_goes_on_the_message_dict_and_is_dropped(rules):
    request = request_of([{"role": "system", "content": LONG}, {"role": "user", "content": "hi"}])
    placement = wrapper(request)
    assert [(m.block, m.on_message, m.ttl) for m in placement.markers] == [(0, True, "5m")]
    outcome = evaluate(request, [5000, 10], placement, model(rules), rules)
    assert outcome.cached_tokens == 0 and outcome.breakpoints == []
    assert [f.code for f in outcome.findings] == ["marker-dropped"]


def test_only_the_last_candidate_is_marked_on_the_block_for_list_content(rules):
    request = request_of(
        [
            {
                "role": "user",
                "content": [{"type": "text", "text": LONG}, {"type": "text", "text": LONG}, {"type": "text", "text": "q"}],
            },
        ]
    )
    placement = wrapper(request)
    assert [(request.blocks[m.block].location, m.on_message) for m in placement.markers] == [("messages[0].content[1]", False)]
    assert placement.wrapper_claimed_tokens == 1024


def test_threshold_is_per_block_chars_over_4_rounded_up():
    below = request_of([{"role": "user", "content": [{"type": "text", "text": SHORT}]}])
    assert wrapper(below).markers == []
    assert [f.code for f in wrapper(below).findings] == ["no-candidate"]
    assert wrapper(below, CacheConfig(enabled=True, min_tokens_to_cache=1023)).markers != []


def test_auto_detect_off_or_disabled_marks_nothing():
    request = request_of([{"role": "user", "content": LONG}])
    assert wrapper(request, CacheConfig(enabled=True, auto_detect_cacheable=False)).markers == []
    disabled = wrapper(request, CacheConfig(enabled=False))
    assert disabled.markers == [] and [f.code for f in disabled.findings] == ["cache-disabled"]
    unsupported = place_wrapper(request, ON, False, "bedrock", "5m")
    assert unsupported.markers == [] and [f.code for f in unsupported.findings] == ["provider-unsupported"]


def test_a_model_whose_provider_takes_no_markers_gets_no_wrapper_marker(rules, tmp_path):
    """The wrapper marks for its configured provider; the marker's TTL is the model's API's. A
    --models-file model served by a provider without markers once got a marker with no TTL, and
    pricing it crashed (KeyError: None)."""
    from optctl.caching.analysis import analyse
    from optctl.caching.placement import CacheSettings
    from optctl.caching.tokens.counters import CharsPerFour
    from optctl.providers import rules as table

    raw = copy.deepcopy(rules.raw)
    raw["models"].append({**raw["models"][0], "family": "titan-text", "match": ["titan-text"], "provider": "bedrock"})
    (tmp_path / "models.json").write_text(json.dumps(raw), encoding="utf-8")
    request = request_of([{"role": "user", "content": [{"type": "text", "text": LONG}]}], model="titan-text")
    [report] = analyse(
        [("f", request)],
        cache=CacheSettings.of(ON),
        provider="anthropic",
        rules=table.load(tmp_path / "models.json"),
        counter=CharsPerFour(),
        strategies=["wrapper"],
        calls=10,
        emit=True,
    )
    assert report.cached_tokens == 0 and report.breakpoints == []
    assert [f.code for f in report.findings] == ["provider-unsupported"]
    assert "cache_control" not in json.dumps(report.emitted)


def test_a_caller_marker_is_a_candidate_and_is_kept_not_doubled():
    request = request_of(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": LONG},
                    {"type": "image", "source": {"type": "url", "url": "u"}, "cache_control": {"type": "ephemeral"}},
                ],
            }
        ]
    )
    placement = wrapper(request)
    assert placement.markers == []
    assert placement.reasons == {1: "wrapper's last candidate: the caller's marker is kept"}


def test_wrapper_never_looks_at_tools_or_top_level_system():
    request = request_of(
        {"system": LONG, "tools": [{"name": "t", "description": LONG}], "messages": [{"role": "user", "content": "q"}]}
    )
    assert wrapper(request).markers == []


def test_a_prefix_below_the_models_minimum_caches_nothing(rules):
    request = request_of([{"role": "user", "content": [{"type": "text", "text": LONG}, {"type": "text", "text": "q"}]}])
    outcome = evaluate(request, [900, 5], wrapper(request), model(rules), rules)
    assert outcome.cached_tokens == 0
    assert [f.code for f in outcome.findings] == ["prefix-below-minimum"]
    assert outcome.breakpoints[0].effective is False


def test_cached_amount_is_the_whole_prefix_not_the_marked_block(rules):
    request = request_of(
        {
            "system": [{"type": "text", "text": "s"}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": LONG}, {"type": "text", "text": "q"}]}],
        }
    )
    outcome = evaluate(request, [3000, 1100, 5], wrapper(request), model(rules), rules)
    assert outcome.cached_tokens == 4100


def test_a_fifth_breakpoint_gets_the_request_rejected(rules):
    content = [{"type": "text", "text": f"b{i}", "cache_control": {"type": "ephemeral"}} for i in range(4)] + [
        {"type": "text", "text": LONG}
    ]
    request = request_of([{"role": "user", "content": content}])
    outcome = evaluate(request, [2000] * 5, wrapper(request), model(rules), rules)
    assert outcome.rejected and outcome.cached_tokens == 0
    assert "too-many-breakpoints" in [f.code for f in outcome.findings]


def test_a_1h_marker_after_a_5m_one_is_rejected(rules):
    request = request_of(
        {
            "system": [
                {"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "b", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
            ],
            "messages": [{"role": "user", "content": "q"}],
        }
    )
    outcome = evaluate(
        request, [2000, 2000, 5], place_optimal(request, [2000, 2000, 5], ON, model(rules), rules), model(rules), rules
    )
    assert outcome.rejected and "ttl-order" in [f.code for f in outcome.findings]


def test_optimal_marks_the_ends_of_tools_system_and_history_not_the_final_message(rules):
    request = request_of(example("multi-turn-chat.json"))
    tokens = [300] * len(request.blocks)
    placement = place_optimal(request, tokens, ON, model(rules), rules)
    locations = [request.blocks[m.block].location for m in placement.markers]
    assert locations == ["tools[4]", "system", "messages[9].content"]
    assert all(request.blocks[m.block].message != 10 for m in placement.markers)
    outcome = evaluate(request, tokens, placement, model(rules), rules)
    assert not outcome.rejected and outcome.cached_tokens == sum(tokens[:-1])


def test_optimal_counts_the_callers_markers_against_the_limit(rules):
    request = request_of(example("caller-markers.json"))
    tokens = [300] * len(request.blocks)
    placement = place_optimal(request, tokens, ON, model(rules), rules)
    assert len(placement.markers) == 1  # three are the caller's
    outcome = evaluate(request, tokens, placement, model(rules), rules)
    assert len(outcome.breakpoints) == 4 and not outcome.rejected


def test_optimal_skips_boundaries_below_the_minimum(rules):
    request = request_of(example("support-agent-tools.json"))
    tokens = [100] * 5 + [300, 700, 50]  # tools end at 500, system ends at 1500
    placement = place_optimal(request, tokens, ON, model(rules), rules)
    assert [request.blocks[m.block].location for m in placement.markers] == ["system[1]"]


def test_optimal_ttls_follow_the_config_and_never_increase(rules):
    request = request_of(example("multi-turn-chat.json"))
    tokens = [300] * len(request.blocks)
    ttls = [m.ttl for m in place_optimal(request, tokens, ON, model(rules), rules).markers]
    assert ttls == ["1h", "1h", "5m"]  # domain definitions 3600 s, default 300 s
    short = CacheConfig(enabled=True, domain_definitions_ttl_seconds=300)
    assert {m.ttl for m in place_optimal(request, tokens, short, model(rules), rules).markers} == {"5m"}
    # the caller's 5m marker early on caps every later marker at 5m
    capped = request_of(
        {
            "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}, {"type": "text", "text": "t"}],
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"},
            ],
        }
    )
    placement = place_optimal(capped, [2000] * 5, ON, model(rules), rules)
    assert {m.ttl for m in placement.markers} == {"5m"}
    assert not evaluate(capped, [2000] * 5, placement, model(rules), rules).rejected


def test_optimal_adds_breakpoints_within_the_lookback_window(rules):
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"type": "text", "text": f"turn {i}"}]} for i in range(45)
    ]
    request = request_of({"system": "s", "messages": messages})
    tokens = [2000] + [100] * 45
    placement = place_optimal(request, tokens, ON, model(rules), rules)
    blocks = sorted(m.block for m in placement.markers)
    assert len(blocks) == 4
    gaps = [b - a for a, b in zip([-1, *blocks], blocks)]
    assert max(gaps[1:]) <= rules.provider("anthropic")["lookback_blocks"]


@pytest.mark.parametrize("name", ["claude-opus-4-5", "claude-3-haiku"])
def test_minimums_come_from_the_table(rules, name):
    request = request_of([{"role": "system", "content": [{"type": "text", "text": "s"}]}, {"role": "user", "content": "q"}])
    minimum = model(rules, name).min_cacheable_tokens
    assert place_optimal(request, [minimum - 1, 5], ON, model(rules, name), rules).markers == []
    assert len(place_optimal(request, [minimum, 5], ON, model(rules, name), rules).markers) == 1


def test_the_light_cache_config_mirrors_the_contracts_defaults():
    from optctl.caching.placement import CacheSettings as Light

    assert Light.from_schema_defaults() == Light.of(CacheConfig())


def test_a_breakpoint_on_the_final_message_is_a_write_on_every_call_unless_it_repeats():
    from .conftest import analysed

    data = [{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": LONG * 2}]}]
    report = analysed(data)
    [breakpoint] = report.breakpoints
    assert breakpoint["written_every_call"] and report.read_tokens == 0
    assert report.cost.hit == pytest.approx(report.cost.first_call) and report.cost.hit > report.cost.uncached
    assert report.cost.break_even_calls is None
    assert "priced as a cache write on every call" in next(
        f.message for f in report.findings if f.code == "breakpoint-in-final-message"
    )
    repeated = analysed({"model": "claude-sonnet-4-5", "optctl": {"final_message_repeats": True}, "messages": data[1:]})
    assert not repeated.breakpoints[0]["written_every_call"] and repeated.read_tokens == repeated.cached_tokens
    assert repeated.cost.hit < repeated.cost.uncached
    assert "optctl" not in repeated.emitted


def test_optimal_marks_a_final_message_the_fixture_says_repeats(rules):
    data = {
        "optctl": {"final_message_repeats": True},
        "system": [{"type": "text", "text": "s"}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}],
    }
    request = request_of(data)
    placement = place_optimal(request, [2000, 2000], ON, model(rules), rules)
    assert sorted(request.blocks[m.block].location for m in placement.markers) == ["messages[0].content[0]", "system[0]"]


def test_automatic_caching_in_a_fixture_lands_on_the_last_cacheable_block_and_takes_a_slot(rules):
    body = {
        "cache_control": {"type": "ephemeral"},
        "system": [{"type": "text", "text": "s"}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "q"}, {"type": "thinking", "thinking": "t", "signature": "x"}]}
        ],
    }
    request = request_of(body)
    assert request.automatic_ttl == "5m"
    outcome = evaluate(request, [3000, 10, 10], place_wrapper(request, ON, True, "anthropic", "5m"), model(rules), rules)
    assert [(request.blocks[b.block].location, b.origin) for b in outcome.breakpoints] == [
        ("messages[0].content[0]", "automatic")
    ]
    full = {**body, "system": [{"type": "text", "text": f"s{i}", "cache_control": {"type": "ephemeral"}} for i in range(4)]}
    crowded = request_of(full)
    outcome = evaluate(crowded, [2000] * 6, place_optimal(crowded, [2000] * 6, ON, model(rules), rules), model(rules), rules)
    assert outcome.rejected and "too-many-breakpoints" in [f.code for f in outcome.findings]


def test_the_auto_strategy_turns_automatic_caching_on_and_emits_it():
    from .conftest import analysed

    data = example("support-agent-tools.json")
    report = analysed(data, "auto")
    assert [b["origin"] for b in report.breakpoints] == ["automatic"]
    assert report.breakpoints[0]["location"] == "messages[0].content"
    assert report.emitted["cache_control"] == {"type": "ephemeral"} and "cache_control" not in data
    optimal = analysed(data, "optimal")
    assert optimal.cost.saving_over_calls > report.cost.saving_over_calls  # the final question changes: auto rewrites it
