"""``optctl dry-run`` and ``optctl models`` end to end through ``optctl.cli.app.main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optctl.cli.app import main
from tests.support import paths
from tests.support.cli import run

ROOT = paths.ROOT
PROMPTS = ROOT / "examples" / "prompts"
INDEXING = ROOT / "examples" / "services" / "indexing.json"
SONNET = "claude-sonnet-4-5-20250929"


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code, out, err = run(capsys, *argv, "--output", "json")
    return code, json.loads(out)


def write(tmp_path, name, data) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_the_guides_indexing_service_wrapper_marker_is_dropped_and_nothing_cached(capsys):
    code, report = run_json(capsys, "dry-run", PROMPTS / "indexing-service.json", "--optimization", INDEXING)
    assert code == 1
    fixture = report["fixtures"][0]
    assert report["schema_version"] == 1 and fixture["strategy"] == "wrapper" and fixture["model"] == SONNET
    assert fixture["cached_tokens"] == 0 and fixture["breakpoints"] == []
    assert [f["code"] for f in fixture["findings"]][0] == "marker-dropped"
    assert fixture["blocks"][0]["marker"] == "dropped" and fixture["blocks"][0]["location"] == "messages[0].content"
    assert fixture["cost"]["hit"] == fixture["cost"]["per_call_uncached"]


def test_json_has_the_documented_shape(capsys):
    code, report = run_json(capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--strategy", "optimal", "--calls", "50")
    assert code == 0
    assert set(report) == {"schema_version", "strategy", "tokenizer", "calls", "config", "fixtures", "total", "project", "store"}
    fixture = report["fixtures"][0]
    assert {"path", "model", "strategy", "total_tokens", "cached_tokens", "breakpoints", "findings", "blocks", "cost"} <= set(
        fixture
    )
    assert fixture["breakpoints"] == [
        {
            "location": "system[1]",
            "prefix_tokens": fixture["cached_tokens"],
            "ttl": "1h",
            "origin": "new",
            "effective": True,
            "written_every_call": False,
        }
    ]
    assert {"location", "role", "type", "tokens", "prefix_tokens", "marker", "reason", "estimate"} <= set(fixture["blocks"][0])
    assert fixture["blocks"][-1]["prefix_tokens"] == fixture["total_tokens"]
    assert fixture["cost"]["calls"] == 50 and fixture["cost"]["break_even_calls"] >= 1
    assert report["total"]["fixtures"] == 1 and report["total"]["cached_tokens"] == fixture["cached_tokens"]


def test_compare_shows_both_strategies_and_the_difference(capsys):
    code, report = run_json(capsys, "dry-run", PROMPTS, "--compare", "--optimization", INDEXING)
    assert code == 1  # the indexing-service fixture's wrapper marker is dropped
    strategies = [f["strategy"] for f in report["fixtures"]]
    assert strategies.count("wrapper") == strategies.count("optimal") == strategies.count("auto") == 7
    compare = report["compare"]
    assert compare["difference"]["cached_tokens"] == compare["optimal"]["cached_tokens"] - compare["wrapper"]["cached_tokens"] > 0
    assert compare["differences"]["auto"]["saving_over_calls"] == pytest.approx(
        compare["auto"]["saving_over_calls"] - compare["wrapper"]["saving_over_calls"], abs=1e-6
    )
    assert report["total"] == compare["wrapper"]


def test_text_report_for_one_fixture_has_blocks_costs_and_findings(capsys):
    code, out, _ = run(capsys, "dry-run", PROMPTS / "indexing-service.json", "--optimization", INDEXING, "--compare")
    assert code == 1
    for expected in (
        "messages[0].content",
        "dropped 5m",
        "new 1h",
        "break-even",
        "saving over 10 calls",
        "marker-dropped",
        "wrapper vs optimal",
    ):
        assert expected in out


def test_several_fixtures_get_one_row_each_and_a_total(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # names fold at 80 columns
    code, out, _ = run(capsys, "dry-run", PROMPTS / "indexing-batch.jsonl", "--strategy", "optimal")
    assert code == 0
    assert all(f"indexing-batch.jsonl[{i}]" in out for i in range(3)) and "total" in out


def test_emit_request_prints_the_request_with_markers_and_findings_on_stderr(capsys):
    code, out, err = run(capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--strategy", "optimal", "--emit-request")
    assert code == 0
    emitted = json.loads(out)
    original = json.loads((PROMPTS / "support-agent-tools.json").read_text())
    assert emitted["system"][1] == {**original["system"][1], "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    assert {k: v for k, v in emitted.items() if k != "system"} == {k: v for k, v in original.items() if k != "system"}
    code, out, err = run(capsys, "dry-run", PROMPTS / "indexing-batch.jsonl", "--strategy", "optimal", "--emit-request")
    assert [json.loads(line)["system"][0]["cache_control"] for line in out.splitlines()] == [
        {"type": "ephemeral", "ttl": "1h"}
    ] * 3


def test_config_from_a_services_store_document(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--example"]) == 0
    capsys.readouterr()
    code, report = run_json(capsys, "dry-run", PROMPTS / "indexing-service.json", "--env", "dev", "--service", "indexing")
    assert report["fixtures"][0]["model"] == SONNET  # the fixture names none: the service's model is used
    assert "service 'indexing' in dev" in report["config"]
    assert report["project"]["file"] == str(tmp_path / "optctl.toml") and report["store"]["dev"]["backend"] == "sqlite"
    code, out, err = run(capsys, "dry-run", PROMPTS / "indexing-service.json", "--env", "dev", "--service", "nosuch")
    assert code == 1 and "nosuch" in err and "Traceback" not in err


def test_as_configured_honours_a_disabled_cache(capsys):
    code, report = run_json(capsys, "dry-run", PROMPTS / "indexing-service.json", "--optimization", INDEXING, "--as-configured")
    assert code == 0
    assert [f["code"] for f in report["fixtures"][0]["findings"]] == ["cache-disabled"]


def test_model_option_overrides_and_unknown_models_are_a_finding(capsys):
    code, report = run_json(capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--model", "claude-opus-4-5")
    assert report["fixtures"][0]["model"] == "claude-opus-4-5"
    code, report = run_json(capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--model", "gpt-9")
    assert code == 1 and report["fixtures"][0]["findings"][0]["code"] == "unknown-model"
    code, report = run_json(capsys, "dry-run", PROMPTS / "indexing-service.json")
    assert code == 1 and report["fixtures"][0]["findings"][0]["code"] == "no-model"


@pytest.mark.parametrize(
    "content, code_expected, finding",
    [
        ('{"messages": [', 1, "unreadable"),
        ({"model": SONNET, "messages": []}, 1, "empty-messages"),
        ({"model": SONNET, "messages": [{"role": "robot", "content": "x"}]}, 1, "unknown-role"),
        ({"model": SONNET, "messages": [{"role": "user", "content": [{"type": "hologram"}]}]}, 1, "unknown-block-type"),
        (
            {
                "model": SONNET,
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "2h"}}],
                    }
                ],
            },
            1,
            "invalid-ttl",
        ),
        (
            {
                "model": SONNET,
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": f"b{i}", "cache_control": {"type": "ephemeral"}} for i in range(5)],
                    }
                ],
            },
            1,
            "too-many-breakpoints",
        ),
        ({"model": SONNET, "messages": [{"role": "user", "content": "word " * 200_000}]}, 1, "prompt-too-long"),
        (
            '{"model": "%s", "messages": [{"role": "user", "content": "half a pair \\ud800"}]}' % SONNET,
            1,
            "unreadable",
        ),  # refused as it is read
    ],
)
def test_bad_fixtures_are_findings_naming_the_place_never_a_traceback(tmp_path, capsys, content, code_expected, finding):
    path = write(tmp_path, "bad.json", content)
    code, out, err = run(capsys, "dry-run", path, "--output", "json")
    assert code == code_expected and "Traceback" not in err
    found = json.loads(out)["fixtures"][0]["findings"]
    assert finding in [f["code"] for f in found]
    assert all(f["message"] and "\n" not in f["message"] for f in found)


def test_a_binary_file_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "image.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    code, out, err = run(capsys, "dry-run", path)
    assert code == 2 and err.strip() == f"optctl: {path}: binary file, not JSON or YAML text"


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--optimization", "nosuch.json"], "nosuch.json"),
        (["--optimization", str(INDEXING), "--service", "indexing"], "not both"),
        (["--compare", "--emit-request"], "--compare"),
        (["--tokenizer", "anthropic"], "ANTHROPIC_API_KEY"),
    ],
)
def test_usage_errors_are_one_line_exit_2(capsys, monkeypatch, argv, fragment):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, out, err = run(capsys, "dry-run", PROMPTS / "support-agent-tools.json", *argv)
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1


def test_a_bad_optimization_file_names_the_file(tmp_path, capsys):
    path = write(tmp_path, "opt.json", {"cache": {"enabled": "yes"}})
    code, out, err = run(capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--optimization", path)
    assert code == 2 and str(path) in err and "optctl validate" in err


def test_chars4_counter_is_the_wrappers_ruler(capsys):
    code, report = run_json(capsys, "dry-run", PROMPTS / "indexing-service.json", "--model", SONNET, "--tokenizer", "chars4")
    fixture = report["fixtures"][0]
    data = json.loads((PROMPTS / "indexing-service.json").read_text())
    assert fixture["tokenizer"] == "chars4"
    assert [b["tokens"] for b in fixture["blocks"]] == [-(-len(m["content"]) // 4) for m in data]


def test_models_lists_the_table_and_a_models_file_overrides_it(tmp_path, capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0 and "claude-sonnet-4-5" in out and "bedrock" in out
    code, table = run_json(capsys, "models")
    assert table["schema_version"] == 1 and table["models"]
    table["models"] = [dict(m, min_cacheable_tokens=99_999) for m in table["models"]]
    path = write(tmp_path, "models.json", table)
    code, report = run_json(
        capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--strategy", "optimal", "--models-file", path
    )
    assert report["fixtures"][0]["cached_tokens"] == 0 and report["fixtures"][0]["breakpoints"] == []


def test_models_lists_todays_families_with_their_status(capsys):
    code, out, _ = run(capsys, "models")
    families = [
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-opus-5-5",
        "claude-sonnet-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        "claude-fable-5",
        "claude-fable-5-1",
        "claude-mythos-5",
        "claude-mythos-5-1",
    ]
    listed = {line.split()[0] for line in out.splitlines() if line.strip().startswith("claude-")}
    assert code == 0 and set(families) <= listed and "claude-opus-4-1+" in listed
    assert "claude-opus-4-1: retired on the first-party API" in out and "claude-haiku-5-5: above 100,000-token prompts" in out


def test_a_retired_model_is_a_finding_and_a_1m_window_takes_a_long_prompt(tmp_path, capsys):
    long = " ".join(f"clause{i % 97} of the agreement" for i in range(120_000))  # ~400k tokens
    fixture = write(tmp_path, "long.json", {"model": "claude-sonnet-5-20261101", "messages": [{"role": "user", "content": long}]})
    code, report = run_json(capsys, "dry-run", fixture)
    assert "prompt-too-long" not in [f["code"] for f in report["fixtures"][0]["findings"]]
    code, report = run_json(capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--model", "claude-opus-4-1-20250805")
    assert "model-retired" in [f["code"] for f in report["fixtures"][0]["findings"]]


def test_the_client_is_explicit_and_a_final_message_can_be_said_to_repeat(tmp_path, capsys):
    body = {"model": SONNET, "messages": [{"role": "user", "content": "x" * 20_000}]}
    path = write(tmp_path, "body.json", body)
    code, report = run_json(capsys, "dry-run", path)
    assert report["fixtures"][0]["client"] == "sdk"
    assert "marker-rejected" in [f["code"] for f in report["fixtures"][0]["findings"]] and code == 1
    code, report = run_json(capsys, "dry-run", path, "--client", "langchain", "--strategy", "optimal")
    fixture = report["fixtures"][0]
    assert fixture["client"] == "langchain" and fixture["read_tokens"] == 0
    code, report = run_json(capsys, "dry-run", path, "--strategy", "optimal", "--final-message-repeats")
    assert report["fixtures"][0]["read_tokens"] == report["fixtures"][0]["cached_tokens"] > 0
    code, out, _ = run(capsys, "dry-run", path, "--client", "langchain", "--strategy", "auto")
    assert "priced as a cache write on" in out and "tokens read back on a hit" in out


def test_many_fixtures_with_the_same_findings_print_each_finding_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one finding a line
    lines = "".join(json.dumps({"id": i, "value": i * 3}) + "\n" for i in range(400))
    path = write(tmp_path, "rows.jsonl", lines)
    code, out, _ = run(capsys, "dry-run", path)
    assert code == 1
    assert out.count("error malformed-fixture at") == 1 and "and 397 more fixtures" in out
    assert out.count("error no-model at") == 1
    assert "rows.jsonl[0]" in out and "rows.jsonl[399]" in out and "rows.jsonl[200]" not in out and "... 360 more" in out
    code, report = run_json(capsys, "dry-run", path)
    assert len(report["fixtures"]) == 400 and report["total"]["with_errors"] == 400


def test_validate_knows_prompt_fixtures(tmp_path, capsys):
    code, out, err = run(capsys, "validate", PROMPTS / "support-agent-tools.json", PROMPTS / "multi-turn-chat.json")
    assert code == 0, out + err
    path = write(tmp_path, "fixture.json", {"model": SONNET, "messages": [{"role": "robot", "content": "x"}]})
    code, out, err = run(capsys, "validate", path)
    assert code == 1 and "unknown-role" in out


@pytest.mark.parametrize("command", ["dry-run", "models"])
def test_commands_have_help_and_are_in_the_readme(command, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and out.strip()
    assert f"optctl {command}" in readme


def test_anthropic_tokenizer_totals_are_exact_and_the_key_stays_secret(capsys, monkeypatch):
    from tests.unit.caching.test_count_api import KEY, serving

    with serving() as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{server.server_port}")
        code, out, err = run(capsys, "dry-run", PROMPTS / "support-agent-tools.json", "--tokenizer", "anthropic", "-o", "json")
    fixture = json.loads(out)["fixtures"][0]
    assert fixture["total_tokens"] == 4321 and fixture["total_is_exact"] is True
    assert KEY not in out + err


def test_a_huge_fixture_shows_its_ends_and_every_marker(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"type": "text", "text": f"turn {i}"}]} for i in range(1001)
    ]
    path = write(tmp_path, "long.json", {"model": SONNET, "system": "be brief " * 600, "messages": messages})
    code, out, _ = run(capsys, "dry-run", path, "--strategy", "optimal")
    marked = [line for line in out.splitlines() if " new " in line]
    assert code == 0 and len(marked) == 4  # system plus lookback breakpoints, all shown
    assert "blocks without a marker" in out and "messages[1000].content[0]" in out and "messages[500].content[0]" not in out
    code, report = run_json(capsys, "dry-run", path, "--strategy", "optimal")
    assert len(report["fixtures"][0]["blocks"]) == 1002


def test_a_model_of_a_provider_without_markers_or_prices_is_reported_not_crashed(tmp_path, capsys):
    code, table = run_json(capsys, "models")
    table["models"].append(
        {
            "family": "gpt-4o",
            "match": ["gpt-4o"],
            "provider": "openai",
            "min_cacheable_tokens": 1024,
            "input_per_mtok": None,
            "output_per_mtok": None,
            "context_window": None,
            "tokenizer": "claude",
            "as_of": "2025-12",
            "source": "test",
        }
    )
    path = write(tmp_path, "models.json", table)
    for strategy in ("wrapper", "optimal"):
        code, report = run_json(
            capsys,
            "dry-run",
            PROMPTS / "support-agent-tools.json",
            "--models-file",
            path,
            "--model",
            "gpt-4o",
            "--strategy",
            strategy,
        )
        fixture = report["fixtures"][0]
        assert code == 0 and fixture["cached_tokens"] == 0 and fixture["cost"] is None
        assert [f["code"] for f in fixture["findings"]] == ["provider-unsupported", "price-unknown"]


def test_json_without_a_store_names_the_project_and_no_store(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPTCTL_CONFIG", raising=False)
    code, report = run_json(capsys, "dry-run", PROMPTS / "support-agent-tools.json")
    assert code == 0 and report["store"] == {}
    assert report["project"]["file"] is None and report["project"]["embedded_default"]
    assert main(["init", "--example"]) == 0
    capsys.readouterr()
    code, report = run_json(capsys, "dry-run", PROMPTS / "support-agent-tools.json")
    assert report["project"]["file"] == str(tmp_path / "optctl.toml") and report["store"] == {}
