"""Whatever the request, the optimal placement obeys every provider rule the evaluator checks."""

from hypothesis import given, settings
from hypothesis import strategies as st

from optctl.providers import rules as table
from optctl.caching.placement import evaluate, place_optimal
from optctl.contract.models import CacheConfig

from .conftest import request_of

RULES = table.load()
TTL_SECONDS = {"5m": 300, "1h": 3600}

marker = st.one_of(st.none(), st.just({"type": "ephemeral"}), st.just({"type": "ephemeral", "ttl": "1h"}))


@st.composite
def block(draw):
    kind = draw(st.sampled_from(["text", "text", "text", "tool_use", "thinking", "image"]))
    data = (
        {"type": kind, "text": draw(st.sampled_from(["", "hello"]))}
        if kind == "text"
        else (
            {"type": kind, "thinking": "t"}
            if kind == "thinking"
            else {"type": kind, "id": "t1", "name": "n", "input": {}}
            if kind == "tool_use"
            else {"type": kind, "source": {"type": "url", "url": "u"}}
        )
    )
    chosen = draw(marker)
    if chosen is not None and kind != "thinking" and data.get("text", "x"):
        data["cache_control"] = chosen
    return data


@st.composite
def fixture(draw):
    tools = [{"name": f"t{i}", **({"cache_control": m} if (m := draw(marker)) else {})} for i in range(draw(st.integers(0, 3)))]
    system = draw(
        st.one_of(
            st.just("system prompt"),
            st.lists(
                st.builds(lambda m: {"type": "text", "text": "s", **({"cache_control": m} if m else {})}, marker), max_size=3
            ),
        )
    )
    messages = [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": draw(st.one_of(st.just("turn"), st.lists(block(), min_size=1, max_size=4))),
        }
        for i in range(draw(st.integers(1, 30)))
    ]
    return {"tools": tools, "system": system, "messages": messages}


@settings(max_examples=100)  # pure and cheap, but the suite has many of these
@given(
    fixture(),
    st.data(),
    st.sampled_from(["claude-sonnet-4-5", "claude-opus-4-5", "claude-3-haiku"]),
    st.sampled_from([300, 3600]),
    st.sampled_from([300, 3600]),
)
def test_optimal_placement_is_never_rejected_and_caches_the_longest_valid_prefix(data, draw, model_name, default_ttl, domain_ttl):
    request = request_of(data)
    callers_invalid = any(f.severity == "error" for f in request.findings)
    tokens = [draw.draw(st.integers(0, 3000)) for _ in request.blocks]
    model = RULES.model(model_name)
    cache = CacheConfig(enabled=True, default_ttl_seconds=default_ttl, domain_definitions_ttl_seconds=domain_ttl)
    placement = place_optimal(request, tokens, cache, model, RULES)
    outcome = evaluate(request, tokens, placement, model, RULES)
    callers = [b for b in request.blocks if b.has_caller_marker]
    caller_ttls = [TTL_SECONDS[b.caller_ttl] for b in callers]
    callers_ordered = all(a >= b for a, b in zip(caller_ttls, caller_ttls[1:]))
    if len(callers) <= 4 and not callers_invalid and callers_ordered:
        assert not outcome.rejected, [f.message for f in outcome.findings]
        ttls = [TTL_SECONDS[b.ttl] for b in outcome.breakpoints]
        assert all(a >= b for a, b in zip(ttls, ttls[1:]))
    for new in placement.markers:
        assert request.blocks[new.block].markable and not request.blocks[new.block].has_caller_marker
        assert sum(tokens[: new.block + 1]) >= model.min_cacheable_tokens
    assert len(placement.markers) <= max(0, 4 - len(callers))
    assert outcome.cached_tokens <= sum(tokens)
    if outcome.breakpoints and not outcome.rejected:
        assert outcome.cached_tokens == max((b.prefix_tokens for b in outcome.breakpoints if b.effective), default=0)
