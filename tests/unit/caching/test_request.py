import pytest

from optctl.caching.request import location_label

from .conftest import example, request_of


def codes(request):
    return [f.code for f in request.findings]


def test_anthropic_body_is_read_tools_then_system_then_messages():
    request = request_of(example("support-agent-tools.json"))
    assert [b.location for b in request.blocks] == [
        "tools[0]",
        "tools[1]",
        "tools[2]",
        "tools[3]",
        "tools[4]",
        "system[0]",
        "system[1]",
        "messages[0].content",
    ]
    assert [b.section for b in request.blocks][-1] == "messages"
    assert request.findings == []


def test_model_from_the_command_line_wins_over_the_fixture():
    assert (
        request_of({"model": "claude-opus-4-5", "messages": [{"role": "user", "content": "x"}]}, "claude-haiku-4-5").model
        == "claude-haiku-4-5"
    )
    assert (
        request_of({"model": "claude-opus-4-5", "messages": [{"role": "user", "content": "x"}]}, None).model == "claude-opus-4-5"
    )


def test_langchain_list_lifts_system_messages_before_the_conversation():
    request = request_of([{"role": "user", "content": "hi"}, {"role": "system", "content": "be brief"}])
    assert [(b.location, b.section, b.role) for b in request.blocks] == [
        ("messages[1].content", "system", "system"),
        ("messages[0].content", "messages", "user"),
    ]
    assert all(b.string_content for b in request.blocks)


def test_block_locations_point_into_the_fixture():
    request = request_of(example("multi-turn-chat.json"))
    by_location = {b.location: b for b in request.blocks}
    assert by_location["messages[1].content[1]"].type == "tool_use"
    assert by_location["messages[2].content[0]"].type == "tool_result"
    assert "doc:9c1e" in by_location["messages[2].content[0]"].text
    assert by_location["system"].string_content


def test_caller_markers_and_their_ttl_are_kept():
    request = request_of(example("caller-markers.json"))
    marked = {b.location: b.caller_ttl for b in request.blocks if b.has_caller_marker}
    assert marked == {"tools[4]": "1h", "system[0]": "1h", "messages[3].content[0]": "5m"}


@pytest.mark.parametrize(
    "data, code, location",
    [
        ({"model": "m"}, "malformed-fixture", "(fixture)"),
        ("just text", "malformed-fixture", "(fixture)"),
        ({"messages": []}, "empty-messages", "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "unknown-role", "messages[0].role"),
        ({"messages": [{"role": "user"}]}, "malformed-fixture", "messages[0].content"),
        ({"messages": [{"role": "user", "content": [{"type": "video"}]}]}, "unknown-block-type", "messages[0].content[0].type"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "24h"}}],
                    }
                ]
            },
            "invalid-ttl",
            "messages[0].content[0].cache_control.ttl",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "persistent"}}]}]},
            "invalid-marker",
            "messages[0].content[0].cache_control",
        ),
        (
            {"messages": [{"role": "user", "content": "x", "cache_control": {"type": "ephemeral"}}]},
            "marker-on-message",
            "messages[0].cache_control",
        ),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "content": [{"type": "thinking", "thinking": "t", "cache_control": {"type": "ephemeral"}}],
                    }
                ]
            },
            "marker-not-allowed",
            "messages[0].content[0].cache_control",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "", "cache_control": {"type": "ephemeral"}}]}]},
            "marker-not-allowed",
            "messages[0].content[0].cache_control",
        ),
        ({"system": 3, "messages": [{"role": "user", "content": "x"}]}, "malformed-fixture", "system"),
        (
            {"tools": [{"description": "no name"}], "messages": [{"role": "user", "content": "x"}]},
            "malformed-fixture",
            "tools[0]",
        ),
        ([{"role": "user", "content": "x"}, "oops"], "malformed-fixture", "messages[1]"),
    ],
)
def test_bad_input_is_a_finding_at_its_place(data, code, location):
    request = request_of(data)
    assert code in codes(request)
    finding = next(f for f in request.findings if f.code == code)
    assert location_label(finding.pointer) == location
    assert all(f.severity == "error" for f in request.findings)


def test_location_labels():
    assert location_label("/messages/3/content/1") == "messages[3].content[1]"
    assert location_label("/3/content") == "messages[3].content"
    assert location_label("/tools/2") == "tools[2]"
    assert location_label("") == "(fixture)"
