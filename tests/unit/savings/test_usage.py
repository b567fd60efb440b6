"""Per-response usage lines: Anthropic's cache fields and OpenAI's cached_tokens, and bad lines named by place."""

import json

import pytest

from optctl.errors import UsageError
from optctl.savings.usage import Usage, parse_log_line, read_usage_log

LINE = {"time": "2026-11-20T10:00:00Z", "service": "query", "environment": "production", "model": "claude-sonnet-4-5-20250929"}


def test_anthropic_usage_counts_reads_and_writes_by_ttl_beside_the_uncached_tail():
    record = parse_log_line(
        {
            **LINE,
            "usage": {
                "input_tokens": 300,
                "cache_read_input_tokens": 5000,
                "cache_creation_input_tokens": 1200,
                "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 1000},
                "output_tokens": 40,
            },
        },
        "x",
    )
    assert record.usage == Usage(uncached_input=300, cache_read=5000, cache_write_5m=200, cache_write_1h=1000, output=40, calls=1)
    assert record.usage.input_tokens == 6500
    assert record.is_point and record.provider == "anthropic"


def test_writes_without_a_ttl_breakdown_count_as_five_minute_writes():
    record = parse_log_line({**LINE, "usage": {"input_tokens": 10, "cache_creation_input_tokens": 700}}, "x")
    assert (record.usage.cache_write_5m, record.usage.cache_write_1h) == (700, 0)


def test_openai_usage_splits_cached_tokens_out_of_prompt_tokens():
    record = parse_log_line(
        {
            **LINE,
            "model": "gpt-4.1",
            "usage": {"prompt_tokens": 2000, "completion_tokens": 50, "prompt_tokens_details": {"cached_tokens": 1536}},
        },
        "x",
    )
    assert record.usage == Usage(uncached_input=464, cache_read=1536, output=50, calls=1)
    assert record.provider == "openai"


@pytest.mark.parametrize(
    "line, said",
    [
        ("not json", "not JSON"),
        (json.dumps({**LINE, "service": ""}), "service is missing"),
        (
            json.dumps({k: v for k, v in LINE.items() if k != "environment"} | {"usage": {"input_tokens": 1}}),
            "environment is missing",
        ),
        (json.dumps({**LINE, "usage": {"input_tokens": -1}}), "input_tokens must be a whole number"),
        (json.dumps({**LINE, "usage": {"input_tokens": True}}), "input_tokens must be a whole number"),
        (json.dumps({**LINE, "time": "2026-11-20T10:00:00", "usage": {"input_tokens": 1}}), "has no time zone"),
        (
            json.dumps({**LINE, "usage": {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 9}}}),
            "exceeds prompt_tokens",
        ),
    ],
)
def test_a_bad_line_is_one_message_naming_file_and_line(tmp_path, line, said):
    log = tmp_path / "usage.jsonl"
    log.write_text(json.dumps({**LINE, "usage": {"input_tokens": 1}}) + "\n\n" + line + "\n")
    with pytest.raises(UsageError) as caught:
        list(read_usage_log(log))
    assert str(caught.value).startswith(f"{log}:3: ") and said in str(caught.value)


def test_a_missing_log_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read the usage log"):
        list(read_usage_log(tmp_path / "absent.jsonl"))
