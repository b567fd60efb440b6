"""``history --all -o json``'s lines: the plain formula, encode(redact(entry)), however they are built."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optctl.documents import redact as redaction
from optctl.render import services as render
from optctl.stores.base import HistoryEntry

SECRETS = [
    "sk-ant-api03-abcdefghijklmnop0123",
    "https://deploy:Pa55w0rd-0006@git.internal/repo.git",
    "Server=db;Password=Pa55-0007;",
    "BeArEr eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
    "AKIAIOSFODNN7EXAMPLE",
    'a "quoted", before": null, "after": null text\\',
]
KEYS = ["cache", "enabled", "min_tokens_to_cache", "provider", "apiKey", "configuration", "model", "token", "notes", "before"]
text = st.one_of(st.sampled_from(SECRETS), st.text(max_size=12), st.sampled_from(["dev", "enable", "anthropic", "", "alice"]))
plain = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), text)
objects = st.recursive(
    plain,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=8,
)
optimization = st.one_of(st.none(), st.dictionaries(st.sampled_from(KEYS), objects, max_size=4))
entries = st.builds(
    HistoryEntry,
    revision=st.sampled_from(["1", "2", "17"]),
    at=st.sampled_from(["2026-12-06T10:00:00.000000Z", "2026-12-06T11:30:00.123456Z"]),
    actor=text,
    action=text,
    service=text,
    env=text,
    before=optimization,
    after=optimization,
    reason=st.one_of(st.none(), text),
    rollout=st.one_of(st.none(), text),
)
encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


@given(entries)
def test_each_line_is_the_redacted_entry_encoded(entry):
    assert render.history_line(entry) == encode(redaction.redact({"schema_version": 1, **entry.to_json()}))


def test_each_distinct_object_is_looked_at_once_however_often_it_recurs():
    render._redacted_json.cache_clear()
    on, off = {"cache": {"enabled": True}, "provider": "anthropic"}, {"cache": {"enabled": False}, "provider": "anthropic"}
    lines = [
        render.history_line(HistoryEntry(str(n), "2026-12-06T10:00:00Z", "alice", "enable", f"s{n}", "dev", off, on, "flip"))
        for n in range(1000)
    ]
    assert render._redacted_json.cache_info().misses == 2 and all(
        '"after": {"cache": {"enabled": true}' in line for line in lines
    )
    keyed = {"cache": {"enabled": True}, "apiKey": "plain-looking-0001"}
    line = render.history_line(HistoryEntry("9", "2026-12-06T10:00:00Z", "alice", "set", "s", "dev", off, keyed, "flip"))
    assert "plain-looking" not in line and redaction.REDACTED in line
    shaped = HistoryEntry(
        "9", "2026-12-06T10:00:00Z", "alice", "set", "s", "dev", off, on, "key sk-ant-api03-abcdefghijklmnop0123"
    )
    assert "sk-ant" not in render.history_line(shaped)


@given(st.recursive(plain, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=4))))
def test_a_text_vouched_for_is_one_redaction_leaves_alone(value):
    assert not redaction.encoded_is_clean(encode(value)) or redaction.redact(value) == value


@pytest.mark.parametrize(
    "value",
    [
        {"token": "hunter2"},
        {"a": '"', "token": "hunter2"},  # an escaped quote: the strings could not be read in order
        {"a": "x", ": token": "hunter2"},
        {"configuration": {"organization": "org-0001"}},
        {"notes": ["Bearer abcdefgh12345"]},
        {"mirror": "https://u:p@host/x"},
    ],
)
def test_a_text_redaction_would_change_is_never_vouched_for(value):
    assert redaction.redact(value) != value and not redaction.encoded_is_clean(encode(value))


def test_an_ordinary_object_is_vouched_for():
    assert redaction.encoded_is_clean(encode({"cache": {"enabled": True, "min_tokens_to_cache": 1024}, "provider": "anthropic"}))
