"""`optctl savings` end to end through ``main``: enable times from the history, a usage log, the Admin
API double on 127.0.0.1 (the legacy usage report and the Usage and Cost Analytics API) mapped through
optctl.toml, the JSON shape, exit codes, and the admin key never in output, logs or history."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from optctl.cli.app import main
from optctl.services.examples import load_examples
from optctl.settings.project import load_project
from optctl.stores.factory import open_store
from tests.support import usage_logs
from tests.support.usage_report_server import ANALYTICS_PATH, BETA, REPORT_PATH, Canned, UsageReportDouble, serve
from tests.support.cli import run as run_cli

KEY = "sk-ant-admin01-acceptance-secret-42"
ENABLED = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
ADMIN_APIS = pytest.mark.parametrize("api", [[], ["--usage-source", "analytics"]], ids=["usage-report", "analytics"])
TOML = """
[environments.dev]
url = "sqlite:///optctl.db"
[environments.production]
url = "sqlite:///optctl.db"

[savings.attribution.production]
query = { api_key_ids = ["apikey_query"] }
indexing = { workspace_ids = ["wrkspc_indexing"] }

[savings.fixtures]
indexing = ["{fixture}"]
"""


@pytest.fixture(autouse=True)
def project(tmp_path, monkeypatch):
    """Two environments seeded with the examples; query and indexing enabled in production on ENABLED."""
    monkeypatch.chdir(tmp_path)
    fixture = Path(__file__).resolve().parents[2] / "examples" / "prompts" / "indexing-service.json"
    (tmp_path / "optctl.toml").write_text(TOML.replace("{fixture}", str(fixture)))
    for env in load_project().environments.values():
        store = open_store(env)
        load_examples(store, "seed")
        store.close()
    for service in ("query", "indexing"):
        assert main(["enable", service, "--env", "production", "--yes", "--reason", "caching trial"]) == 0
    with sqlite3.connect(tmp_path / "optctl.db") as db:  # recorded a while ago, so there is an "after" to measure
        db.execute("UPDATE history SET at = ? WHERE action = 'enable'", (ENABLED.isoformat().replace("+00:00", "Z"),))
    return tmp_path


def run(capsys, *argv):
    return run_cli(capsys, *argv, never=(KEY,))


def services(out: str) -> dict[str, dict]:
    data = json.loads(out)
    assert data["schema_version"] == 1
    return {s["service"]: s for s in data["services"]}


def test_a_usage_log_against_the_history_shows_working_caching_and_caching_that_never_hits(capsys, tmp_path):
    usage_logs.write(tmp_path / "u.jsonl", (("query", "works"), ("indexing", "never-hits")), "production", ENABLED)
    code, out, _ = run(capsys, "savings", "--usage-log", "u.jsonl", "--env", "production", "-o", "json")
    assert code == 1  # indexing never reads from its cache
    shown = services(out)
    query, indexing = shown["query"], shown["indexing"]
    assert (
        query["enabled_at"] == "2026-11-20T12:00:00Z"
        and query["enable_time_from"] == "history"
        and query["enabled_by"] == "test-operator"
    )
    assert query["before"]["calls"] == query["after"]["calls"] == 70
    assert query["before"]["cache_read_ratio"] == 0 and query["after"]["cache_read_ratio"] > 0.7
    assert query["after"]["saving"] > 0 and query["after"]["cost_billed"] < query["before"]["cost_billed"]
    assert query["after"]["cache_write_tokens"]["5m"] > 0 and query["flags"] == []
    assert [f["code"] for f in indexing["flags"]] == ["no-cache-reads"]
    # the dry-run of indexing's fixture predicted it: the deployed wrapper's marker never reaches the API
    assert indexing["predicted"]["fixtures"][0].endswith("indexing-service.json")
    assert not indexing["predicted"]["input_saving_pct"]
    assert "agent" not in shown  # no usage and never enabled: not listed


def test_usage_tagged_with_a_service_the_environment_does_not_have_is_reported_not_dropped(capsys, tmp_path):
    usage_logs.write(tmp_path / "u.jsonl", (("query", "works"), ("qeury", "works")), "production", ENABLED)
    code, out, _ = run(capsys, "savings", "--usage-log", "u.jsonl", "--env", "production", "--no-predict", "-o", "json")
    [aside] = json.loads(out)["unattributed"]
    assert aside["why"] == "no service 'qeury' in production" and aside["input_tokens"] == 140 * 6800


def test_the_text_report_names_windows_flags_and_draws_a_chart(capsys, tmp_path):
    usage_logs.write(tmp_path / "u.jsonl", (("query", "works"), ("indexing", "never-hits")), "production", ENABLED)
    code, out, _ = run(capsys, "savings", "--usage-log", "u.jsonl", "-e", "production", "--chart")
    assert code == 1
    assert "query/production: enabled 2026-11-20 12:00 UTC by test-operator (history)" in out
    assert "no-cache-reads" in out and "before" in out and "after" in out
    assert "query/production: billed cost per day (USD)" in out and "█" in out


def report_double() -> UsageReportDouble:
    """Hourly buckets around ENABLED: query's key, indexing's workspace, a shared-nothing stranger, and a bucket covering the enable."""
    buckets = []
    for hour in range(-6, 6):
        start = ENABLED + timedelta(hours=hour)
        after = hour >= 0
        rows = [
            {
                "api_key_id": "apikey_query",
                "workspace_id": "wrkspc_default",
                "model": "claude-sonnet-4-5-20250929",
                "uncached_input_tokens": 1000 if after else 7000,
                "cache_read_input_tokens": 6000 if after else 0,
                "output_tokens": 100,
                "requests": 10,  # counted by the analytics API only; the legacy report's answers drop it
            },
            {
                "api_key_id": "apikey_other",
                "workspace_id": "wrkspc_indexing",
                "model": "claude-sonnet-4-5-20250929",
                "uncached_input_tokens": 7000,
                "output_tokens": 100,
            },
            {
                "api_key_id": "apikey_stranger",
                "workspace_id": "wrkspc_elsewhere",
                "model": "claude-sonnet-4-5-20250929",
                "uncached_input_tokens": 500,
                "output_tokens": 5,
            },
        ]
        stamp = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
        buckets.append({"starting_at": stamp(start), "ending_at": stamp(start + timedelta(hours=1)), "rows": rows})
    return UsageReportDouble(key=KEY, buckets=buckets, page_size=5)


@pytest.fixture
def admin(monkeypatch):
    double = report_double()
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", KEY)
    for url in serve(double):
        monkeypatch.setenv("OPTCTL_ANTHROPIC_ADMIN_URL", url)
        yield double


def test_the_usage_report_is_paged_mapped_to_services_and_reported(capsys, admin):
    code, out, _ = run(capsys, "savings", "--env", "production", "--window", "6h", "--no-predict", "-o", "json")
    assert code == 1  # indexing's workspace never reads
    assert len(admin.requests) >= 3 and all(r["headers"]["x-api-key"] == KEY for r in admin.requests)
    shown = services(out)
    query = shown["query"]
    assert query["before"]["input_tokens"] == query["after"]["input_tokens"] == 6 * 7000
    assert query["before"]["calls"] is None  # the legacy report does not count requests
    assert query["after"]["cache_read_ratio"] == pytest.approx(6 / 7, abs=1e-4)
    assert [f["code"] for f in shown["indexing"]["flags"]] == ["no-cache-reads"]
    [aside] = json.loads(out)["unattributed"]
    assert "apikey_stranger" in aside["why"] and aside["input_tokens"] == 12 * 500


def test_the_analytics_api_is_read_with_its_beta_header_paged_mapped_and_counts_calls(capsys, admin):
    code, out, _ = run(
        capsys, "savings", "--usage-source", "analytics", "--env", "production", "--window", "6h", "--no-predict", "-o", "json"
    )
    assert code == 1  # indexing's workspace never reads
    assert {r["path"] for r in admin.requests} == {ANALYTICS_PATH} and len(admin.requests) >= 7  # 36 rows, 5 a page
    assert all(r["headers"]["anthropic-beta"] == BETA and r["headers"]["x-api-key"] == KEY for r in admin.requests)
    assert admin.requests[0]["query"]["time_bucket_width"] == ["1h"]
    data = json.loads(out)
    assert data["source"].startswith("Usage and Cost Analytics API at http://127.0.0.1:")
    query = services(out)["query"]
    assert query["before"]["input_tokens"] == query["after"]["input_tokens"] == 6 * 7000
    assert query["before"]["calls"] == query["after"]["calls"] == 6 * 10  # the analytics API counts requests
    assert query["after"]["cache_read_ratio"] == pytest.approx(6 / 7, abs=1e-4)
    [aside] = data["unattributed"]
    assert "apikey_stranger" in aside["why"] and aside["input_tokens"] == 12 * 500


def test_the_legacy_report_stays_the_default_source(capsys, admin):
    run(capsys, "savings", "--env", "production", "--window", "6h", "--no-predict", "-o", "json")
    assert {r["path"] for r in admin.requests} == {REPORT_PATH}


def test_a_bucket_wider_than_the_gap_to_the_enable_is_left_out_and_flagged(capsys, admin, tmp_path):
    with sqlite3.connect(tmp_path / "optctl.db") as db:
        db.execute(
            "UPDATE history SET at = ? WHERE action = 'enable'",
            ((ENABLED + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),),
        )
    code, out, _ = run(capsys, "savings", "--env", "production", "--window", "6h", "--no-predict", "-o", "json")
    query = services(out)["query"]
    assert query["left_out_input_tokens"] == 7000
    assert "enable-bucket-left-out" in [f["code"] for f in query["flags"]]


@ADMIN_APIS
def test_a_wrong_admin_key_is_one_line_exit_2_and_the_key_is_nowhere(capsys, admin, monkeypatch, tmp_path, api):
    wrong = "sk-ant-admin01-wrong-0000"
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", wrong)
    code, out, err = run(capsys, "savings", "--env", "production", *api)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "refused the admin key in ANTHROPIC_ADMIN_API_KEY (HTTP 401" in err and wrong not in err
    run(capsys, "history", "--env", "production")
    stored = (tmp_path / "optctl.db").read_bytes()
    assert wrong.encode() not in stored and KEY.encode() not in stored
    assert not list(tmp_path.glob("optctl-crash-*"))


def test_no_admin_key_says_which_variable_to_set(capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_ADMIN_API_KEY", raising=False)
    code, _, err = run(capsys, "savings", "--env", "production")
    assert code == 2 and "ANTHROPIC_ADMIN_API_KEY is not set" in err


@pytest.mark.parametrize(
    "args, said",
    [
        (["--window", "soon"], "--window"),
        (["--enabled-at", "query"], "SERVICE=TIME"),
        (["--usage-log", "absent.jsonl"], "cannot read the usage log"),
        (["--service", "nope", "--usage-log", "x"], "no service 'nope'"),
        (["--usage-log", "u.jsonl", "--plot", "out.gif"], ".png or .svg"),
        (["--usage-log", "u.jsonl", "--usage-source", "analytics"], "two sources; give one"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_or_1(capsys, tmp_path, args, said):
    usage_logs.write(tmp_path / "u.jsonl", (("query", "works"),), "production", ENABLED)
    code, out, err = run(capsys, "savings", *args)
    assert code in (1, 2) and said in err and err.count("\n") == 1


def test_rollout_plan_adds_a_savings_gate_that_validate_accepts(capsys):
    code, out, err = run(
        capsys,
        "rollout",
        "plan",
        "--services",
        "query",
        "--soak",
        "24h",
        "--savings-gate",
        "min_calls=200,min_cache_read_ratio=0.3,max_cost_change=-0.1",
        "--out",
        "plan.yaml",
    )
    assert code == 0, err
    plan = yaml.safe_load(Path("plan.yaml").read_text())
    assert plan["stages"][0]["gates"][1] == {
        "kind": "savings",
        "min_calls": 200,
        "min_cache_read_ratio": 0.3,
        "max_cost_change": -0.1,
    }
    assert run(capsys, "validate", "plan.yaml")[0] == 0


def test_a_savings_gate_can_read_the_analytics_api_but_not_beside_a_usage_log(capsys):
    gate = "usage_source=analytics,min_calls=200,min_cache_read_ratio=0.3"
    code, _, err = run(
        capsys, "rollout", "plan", "--services", "query", "--soak", "24h", "--savings-gate", gate, "--out", "plan.yaml"
    )
    assert code == 0, err
    assert yaml.safe_load(Path("plan.yaml").read_text())["stages"][0]["gates"][1]["usage_source"] == "analytics"
    assert run(capsys, "validate", "plan.yaml")[0] == 0
    code, _, err = run(capsys, "rollout", "plan", "--services", "query", "--savings-gate", gate + ",usage_log=u.jsonl")
    assert code == 2 and "usage_log or the Admin API's usage_source, not both" in err


def test_validate_explains_a_savings_gate_that_judges_nothing(capsys):
    Path("plan.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "p",
                "stages": [{"environment": "dev", "services": ["query"], "gates": [{"kind": "savings", "min_calls": 5}]}],
            }
        )
    )
    code, out, _ = run(capsys, "validate", "plan.yaml")
    assert code == 1 and "plan.yaml" in out


def test_rollout_plan_refuses_a_savings_gate_without_a_condition_to_judge(capsys):
    code, _, err = run(capsys, "rollout", "plan", "--services", "query", "--savings-gate", "min_calls=5")
    assert code == 2 and "--savings-gate" in err and "min_cache_read_ratio or max_cost_change" in err


def test_plot_writes_an_svg_with_one_panel_per_service(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    usage_logs.write(tmp_path / "u.jsonl", (("query", "works"), ("indexing", "never-hits")), "production", ENABLED)
    run(capsys, "savings", "--usage-log", "u.jsonl", "-e", "production", "--no-predict", "--plot", "cost.svg")
    svg = (tmp_path / "cost.svg").read_text()
    assert svg.startswith("<?xml") and "query/production" in svg and "indexing/production" in svg


def test_plot_without_matplotlib_says_how_to_get_it(capsys, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the plot extra were not installed
    usage_logs.write(tmp_path / "u.jsonl", (("query", "works"),), "production", ENABLED)
    code, _, err = run(capsys, "savings", "--usage-log", "u.jsonl", "-e", "production", "--no-predict", "--plot", "cost.png")
    assert code == 2 and "pip install 'optctl[plot]'" in err and not (tmp_path / "cost.png").exists()


@ADMIN_APIS
def test_a_429_from_the_usage_report_is_waited_out_and_the_report_comes(capsys, admin, api):
    admin.script.append(Canned(429, {"error": {"message": "rate limited"}}, {"retry-after": "0"}))
    code, out, _ = run(capsys, "savings", "--env", "production", "--window", "6h", "--no-predict", "-o", "json", *api)
    assert services(out)["query"]["after"]["cache_read_ratio"] > 0.8
    assert len([r for r in admin.requests if r["query"].get("page") is None]) == 2  # the first page, asked twice


@ADMIN_APIS
def test_a_malformed_row_is_one_line_exit_2_and_nothing_is_reported(capsys, admin, api):
    admin.buckets[3]["rows"][0]["cache_read_input_tokens"] = -5
    code, out, err = run(capsys, "savings", "--env", "production", "--window", "6h", "--no-predict", "-o", "json", *api)
    assert code == 2 and "cache_read_input_tokens must be a whole number of tokens (got -5)" in err and "malformed" in err
    assert '"services"' not in out and err.count("\n") == 1


def test_validate_warns_when_the_stage_soaks_less_than_the_savings_window(capsys):
    gate = {"kind": "savings", "window": "48h", "min_calls": 5, "max_cost_change": 0}
    Path("plan.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "p",
                "stages": [
                    {"environment": "dev", "services": ["query"], "gates": [{"kind": "soak", "duration": "24h"}, dict(gate)]},
                    {"environment": "staging", "services": ["query"], "gates": [{"kind": "soak", "duration": "2d"}, dict(gate)]},
                ],
            }
        )
    )
    code, out, _ = run(capsys, "validate", "plan.yaml", "-o", "json")
    [document] = json.loads(out)["files"]
    assert code == 0 and [(w["code"], w["pointer"]) for w in document["warnings"]] == [
        ("savings-window-unsoaked", "/stages/0/gates/1/window")
    ]
