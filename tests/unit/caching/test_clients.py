"""The client decides what is sent: ChatAnthropic (``langchain``) and the raw SDK (``sdk``).

The expected fate of a marker on each kind of place is written from the sources, not read
from the rules table: langchain-anthropic's ``_format_messages`` rebuilds tool_use blocks
from type, name, input and id and converts an OpenAI image_url block into a new image block
(so their markers are lost), passes text, image, document, tool_result, search_result and
thinking blocks through, and puts a message-level key into ``additional_kwargs``, which is
never read; the Anthropic docs allow markers on tool definitions and on text, image,
document, tool_use and tool_result blocks, never on thinking blocks or the message object.
"""

import pytest

from optctl.caching.placement import caller_markers

from .conftest import SONNET, analysed, request_of

LONG = "the indexing service extracts dates, amounts and parties from each contract. " * 300  # ~4,500 tokens
MARK = {"type": "ephemeral"}

BLOCKS = {
    "text": {"type": "text", "text": "a question"},
    "image": {"type": "image", "source": {"type": "url", "url": "https://example.invalid/a.png"}},
    "document": {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "a contract"}},
    "tool_use": {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}},
    "tool_result": {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a result"},
    "search_result": {"type": "search_result", "source": "s", "title": "t", "content": [{"type": "text", "text": "r"}]},
    "thinking": {"type": "thinking", "thinking": "hmm", "signature": "sig"},
    "redacted_thinking": {"type": "redacted_thinking", "data": "opaque"},
    "image_url": {"type": "image_url", "image_url": {"url": "https://example.invalid/a.png"}},
}
ROLE = {"tool_use": "assistant", "thinking": "assistant", "redacted_thinking": "assistant"}

# (place, client) -> what becomes of a caller's marker there: sent, dropped (silently) or rejected (HTTP 400).
EXPECTED = {
    ("text", "langchain"): "sent",
    ("text", "sdk"): "sent",
    ("image", "langchain"): "sent",
    ("image", "sdk"): "sent",
    ("document", "langchain"): "sent",
    ("document", "sdk"): "sent",
    ("tool_use", "langchain"): "dropped",
    ("tool_use", "sdk"): "sent",
    ("tool_result", "langchain"): "sent",
    ("tool_result", "sdk"): "sent",
    ("search_result", "langchain"): "sent",
    ("search_result", "sdk"): "sent",
    ("thinking", "langchain"): "rejected",
    ("thinking", "sdk"): "rejected",
    ("redacted_thinking", "langchain"): "rejected",
    ("redacted_thinking", "sdk"): "rejected",
    ("image_url", "langchain"): "dropped",
    ("image_url", "sdk"): "rejected",
}


def with_marked(kind):
    block = {**BLOCKS[kind], "cache_control": MARK}
    return {
        "model": SONNET,
        "system": LONG,
        "messages": [{"role": ROLE.get(kind, "user"), "content": [block]}, {"role": "user", "content": "next"}],
    }


@pytest.mark.parametrize("kind, client", sorted(EXPECTED))
def test_a_callers_marker_on_each_block_type_reaches_the_api_as_the_client_sends_it(kind, client):
    request = request_of(with_marked(kind), client=client)
    expected = EXPECTED[kind, client]
    sent = [request.blocks[m.block].pointer for m in caller_markers(request)]
    assert (sent == ["/messages/0/content/0"]) == (expected == "sent")
    assert request.rejected == (expected == "rejected")
    codes = {f.code for f in request.findings}
    if expected == "dropped":
        assert "marker-dropped" in codes or "openai-block" in codes


@pytest.mark.parametrize("client, fate", [("langchain", "dropped"), ("sdk", "sent")])
def test_a_marker_on_a_tool_definition_is_sent_by_both_and_a_message_level_one_by_neither(client, fate):
    tools = {
        "model": SONNET,
        "tools": [{"name": "t", "description": LONG, "cache_control": MARK}],
        "messages": [{"role": "user", "content": "q"}],
    }
    assert len(caller_markers(request_of(tools, client=client))) == 1
    message = {
        "model": SONNET,
        "messages": [
            {"role": "user", "content": LONG, "cache_control": MARK},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "q"},
        ],
    }
    request = request_of(message, client=client)
    assert caller_markers(request) == [] and request.rejected == (client == "sdk")


def test_chatanthropic_drops_a_callers_tool_use_marker_so_nothing_is_cached():
    """The issue's case: optctl used to report the tool_use prefix as cached and a saving."""
    data = [
        {"role": "user", "content": LONG},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}, "cache_control": MARK}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "r"}, {"type": "text", "text": "and?"}],
        },
    ]
    langchain = analysed(data, "wrapper", auto_detect_cacheable=False)
    assert langchain.client == "langchain" and langchain.cached_tokens == 0 and langchain.cost.saving_over_calls == 0
    assert "marker-dropped" in [f.code for f in langchain.findings]
    assert next(b for b in langchain.blocks if b.type == "tool_use").marker == "dropped"
    sdk = analysed(data, "wrapper", client="sdk", auto_detect_cacheable=False)
    assert sdk.cached_tokens > 1000
    optimal = analysed(data, "optimal")
    assert all(b["origin"] != "caller" for b in optimal.breakpoints)  # optimal no longer trusts it


LONG_BLOCK = {"type": "text", "text": LONG}


@pytest.mark.parametrize(
    "data, code",
    [
        (
            [{"role": "system", "content": [LONG_BLOCK, "and a bare string"]}, {"role": "user", "content": "q"}],
            "bare-string-block",
        ),
        (
            [
                {"role": "system", "content": [LONG_BLOCK]},
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                        {"type": "text", "text": "q"},
                    ],
                },
            ],
            "openai-block",
        ),
        (
            [
                {"role": "user", "content": "hello", "cache_control": MARK},
                {"role": "assistant", "content": "hi"},
                {"role": "user", "content": [LONG_BLOCK]},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": "q"},
            ],
            "marker-on-message",
        ),
        ([{"role": "developer", "content": [LONG_BLOCK]}, {"role": "user", "content": "q"}], "developer-role"),
    ],
)
def test_an_input_finding_does_not_stop_the_wrapper_and_chatanthropic_sends_its_marker(data, code):
    report = analysed(data)
    assert code in [f.code for f in report.findings]
    assert report.wrapper_claimed_tokens is not None
    assert [b["origin"] for b in report.breakpoints] == ["new"] and report.breakpoints[0]["effective"]
    assert report.cached_tokens > 4000 and report.read_tokens == report.cached_tokens
    assert report.cost.hit < report.cost.uncached


def test_an_empty_content_list_is_reported_beside_the_wrappers_marker_and_the_api_refuses_it():
    data = [{"role": "user", "content": [LONG_BLOCK]}, {"role": "assistant", "content": []}, {"role": "user", "content": "q"}]
    report = analysed(data)
    assert "empty-content" in [f.code for f in report.findings] and report.rejected
    assert report.wrapper_claimed_tokens is not None and [b.marker for b in report.blocks][0] == "new"


def test_a_list_whose_first_message_has_no_role_is_one_fixture_and_the_rest_is_marked(tmp_path):
    from optctl.caching.inputs import input_files, load_fixtures
    import json

    path = tmp_path / "chat.json"
    path.write_text(
        json.dumps([{"content": "orphan"}, {"role": "system", "content": [LONG_BLOCK]}, {"role": "user", "content": "q"}])
    )
    [fixture] = list(load_fixtures(input_files([str(path)])))
    report = analysed(fixture.data)
    finding = next(f for f in report.findings if f.code == "malformed-fixture")
    assert finding.pointer == "/0" and "skips" in finding.message
    assert report.cached_tokens > 4000


@pytest.mark.parametrize("client, sendable", [("langchain", False), ("sdk", True)])
def test_a_text_block_with_null_text_is_an_error_finding(client, sendable):
    request = request_of([{"role": "user", "content": [{"type": "text", "text": None}]}], client=client)
    assert [f.code for f in request.findings] == ["text-null"] and request.findings[0].severity == "error"
    assert request.sendable == sendable and (request.rejected or not request.sendable)


def test_langchain_lifts_a_lone_later_system_message_and_refuses_two_apart():
    moved = request_of([{"role": "user", "content": "a"}, {"role": "system", "content": "s"}])
    assert "system-moved" in [f.code for f in moved.findings] and moved.sendable
    apart = request_of([{"role": "system", "content": "s"}, {"role": "user", "content": "a"}, {"role": "system", "content": "t"}])
    assert "system-not-consecutive" in [f.code for f in apart.findings] and not apart.sendable
    assert request_of([{"role": "system", "content": "s"}, {"role": "user", "content": "a"}], client="sdk").rejected


def test_langchain_drops_empty_text_blocks_and_strips_the_final_assistant_text():
    request = request_of(
        [
            {"role": "user", "content": [{"type": "text", "text": "  "}, {"type": "text", "text": "q"}]},
            {"role": "assistant", "content": "the start of an answer   "},
        ]
    )
    assert [b.text for b in request.blocks] == ["q", "the start of an answer"]
