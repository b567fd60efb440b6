"""`optctl rollout ...` end to end through ``main``: exit codes, one-line errors, the JSON shape,
nothing but JSON on stdout with ``--output json``, and no secret in any output."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.support.seeding import seed_embedded_examples
from optctl.settings.project import embedded_project
from optctl.stores.factory import open_store
from optctl.services.examples import example_documents
from optctl.stores.base import Change
from tests.support import paths
from tests.support.cli import run as run_cli

SECRETS = [doc["configuration"]["apiKey"] for doc in example_documents()]


@pytest.fixture(autouse=True)
def seeded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seed_embedded_examples()


def run(capsys, *argv):
    return run_cli(capsys, *argv, never=SECRETS)


def start(capsys, *plan_args):
    assert (
        run(
            capsys,
            "rollout",
            "plan",
            "--services",
            "indexing,query",
            "--soak",
            "0",
            "--no-approval",
            *plan_args,
            "--out",
            "plan.yaml",
        )[0]
        == 0
    )
    code, out, err = run(capsys, "rollout", "start", "--yes", "plan.yaml", "-o", "json")
    assert code == 0, err
    return json.loads(out)["rollout"]


def test_plan_writes_the_guides_default_plan_to_stdout(capsys):
    code, out, _ = run(capsys, "rollout", "plan", "--services", "indexing,query", "--soak", "24h")
    assert code == 0
    plan = yaml.safe_load(out)
    assert [(s["environment"], s["services"]) for s in plan["stages"]] == [
        ("dev", ["indexing", "query"]),
        ("staging", ["indexing", "query"]),
        ("production", ["indexing"]),
        ("production", ["query"]),
    ]
    assert [g["kind"] for g in plan["stages"][0]["gates"]] == ["soak"]
    assert [g["kind"] for g in plan["stages"][2]["gates"]] == ["soak", "approval"]


def test_plan_to_a_json_file_validates(capsys, tmp_path):
    assert run(capsys, "rollout", "plan", "--services", "agent", "--check", "true", "--out", "plan.json")[0] == 0
    code, out, _ = run(capsys, "validate", "plan.json", "-o", "json")
    assert code == 0 and json.loads(out)["files"][0]["kind"] == "rollout-plan"


def test_plan_with_a_bad_soak_is_a_usage_error(capsys):
    code, _, err = run(capsys, "rollout", "plan", "--services", "agent", "--soak", "3x")
    assert code == 2 and err.startswith("optctl: --soak '3x'") and len(err.strip().splitlines()) == 1


def test_validate_reports_plan_problems_with_their_place(capsys, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "name: p\nstages:\n- environment: production\n  services: [a, b]\n  gates: [{kind: sok, duration: 1h}]\n"
    )
    code, out, _ = run(capsys, "validate", "bad.yaml")
    assert code == 1 and "bad.yaml:5:" in out and "did you mean 'soak'" in out
    (tmp_path / "bad.yaml").write_text(
        "name: p\nstages:\n- environment: production\n  services: [a, b]\n- environment: staging\n  services: [a]\n"
        "- environment: production\n  services: [a]\n"
    )
    code, out, _ = run(capsys, "validate", "bad.yaml")
    assert code == 1
    assert "error[duplicate-stage]" in out and "warning[production-batch]" in out and "warning[stage-order]" in out


def test_start_refuses_an_invalid_plan_with_one_line_and_starts_nothing(capsys, tmp_path):
    (tmp_path / "bad.yaml").write_text("name: p\nstages:\n- environment: dev\n  services: [indexing]\n  gates: [{kind: soak}]\n")
    code, _, err = run(capsys, "rollout", "start", "--yes", "bad.yaml")
    assert code == 1 and err.startswith("optctl: bad.yaml:5:") and "nothing was started" in err
    assert run(capsys, "rollout", "list", "-o", "json")[1].count('"id"') == 0


def test_start_of_a_missing_file_is_a_usage_error(capsys):
    code, _, err = run(capsys, "rollout", "start", "--yes", "nope.yaml")
    assert code == 2 and "nope.yaml" in err


def test_status_json_has_the_documented_shape_and_nothing_else_on_stdout(capsys):
    rollout = start(capsys)
    code, out, _ = run(capsys, "rollout", "status", "-o", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["schema_version"] == 1
    shown = payload["rollout"]
    assert {"id", "name", "state", "stages"} <= shown.keys() and shown["id"] == rollout["id"]
    assert shown["state"] == "running"
    first = shown["stages"][0]
    assert {"environment", "services", "state", "gates"} <= first.keys()
    assert (first["environment"], first["services"], first["state"]) == ("dev", ["indexing", "query"], "soaking")
    assert first["gates"][0] | {"at": None} == {
        "kind": "soak",
        "result": "pass",
        "attempts": 1,
        "at": None,
        "detail": None,
        "duration": "0",
        "remaining_seconds": 0,
    }
    assert [s["state"] for s in shown["stages"][1:]] == ["pending"] * 3
    assert list(payload)[-2:] == ["project", "store"] and payload["project"]["file"] is None
    assert {"dev", "staging", "production"} <= payload["store"].keys()
    assert (
        payload["store"]["dev"]["backend"] == "sqlite"
        and payload["store"]["dev"]["location"] == payload["project"]["embedded_default"]
    )


def test_advance_wait_completes_and_status_says_so(capsys):
    start(capsys, "--check", "true")
    code, out, _ = run(capsys, "rollout", "advance", "--yes", "--wait", "-o", "json")
    assert code == 0 and json.loads(out)["rollout"]["state"] == "completed"
    code, out, _ = run(capsys, "rollout", "status")
    assert code == 0 and "completed" in out and "nothing: the rollout is complete" in out


def test_a_failed_check_rolls_back_and_advance_exits_1(capsys):
    start(capsys, "--check", "exit 4")
    code, out, _ = run(capsys, "rollout", "advance", "--yes", "-o", "json")
    shown = json.loads(out)["rollout"]
    assert code == 1 and shown["state"] == "failed" and "exit 4" in shown["reason"]
    assert shown["stages"][0]["state"] == "rolled_back"
    assert run(capsys, "rollout", "status")[0] == 1


def test_approve_pause_resume_through_the_cli(capsys, monkeypatch):
    assert run(capsys, "rollout", "plan", "--services", "indexing", "--soak", "0", "--out", "plan.yaml")[0] == 0
    assert run(capsys, "rollout", "start", "--yes", "plan.yaml")[0] == 0
    assert run(capsys, "rollout", "advance", "--yes")[0] == 0  # dev passes, staging applied
    code, _, err = run(capsys, "rollout", "approve", "--yes")
    assert code == 2 and "someone else" in err
    monkeypatch.setenv("OPTCTL_ACTOR", "bob")
    assert run(capsys, "rollout", "approve", "--yes")[0] == 0
    assert run(capsys, "rollout", "pause", "--yes", "--reason", "lunch")[0] == 0
    code, out, _ = run(capsys, "rollout", "advance", "--yes", "-o", "json")
    assert json.loads(out)["rollout"]["stages"][1]["state"] != "passed"
    assert run(capsys, "rollout", "resume", "--yes")[0] == 0
    code, out, _ = run(capsys, "rollout", "advance", "--yes", "-o", "json")
    assert [s["state"] for s in json.loads(out)["rollout"]["stages"]] == ["passed", "passed", "awaiting_approval"]


def test_abort_reports_a_hand_changed_service_and_exits_1_until_forced(capsys):
    rollout = start(capsys)
    store = open_store(embedded_project().env("dev"))
    current = store.read("query")
    changed = json.loads(json.dumps(current.optimization))
    changed["cache"]["min_tokens_to_cache"] = 4096
    store.write([Change("query", current.revision, changed, "set")], "carol")
    code, out, _ = run(capsys, "rollout", "abort", "--yes", "--reason", "stop", "-o", "json")
    stage = json.loads(out)["rollout"]["stages"][0]
    assert code == 1 and stage["left_alone"] == ["query"] and stage["enabled"] == ["query"]
    assert store.read("indexing").optimization["cache"]["enabled"] is False
    code, out, _ = run(capsys, "rollout", "abort", "--yes", rollout["id"], "--reason", "stop", "--force")
    assert code == 0 and store.read("query").optimization["cache"]["enabled"] is False
    store.close()


def test_without_rollouts_status_says_what_to_do(capsys):
    code, _, err = run(capsys, "rollout", "status")
    assert code == 1 and "optctl rollout start PLAN" in err
    code, out, _ = run(capsys, "rollout", "list")
    assert code == 0 and "no rollouts yet" in out


def test_rollout_help_lists_every_command(capsys):
    code, out, _ = run(capsys, "rollout", "--help")
    assert code == 0
    for command in ("plan", "start", "advance", "status", "approve", "pause", "resume", "list", "abort"):
        assert command in out


def test_status_tells_the_truth_after_a_kill_and_advance_finishes(capsys):
    from tests.unit.rollout.conftest import kill_an_advance_after_its_write

    start(capsys)
    kill_an_advance_after_its_write()
    code, out, _ = run(capsys, "rollout", "status", "-o", "json")
    shown = json.loads(out)["rollout"]
    assert code == 0 and shown["interrupted"]["op"] == "apply" and shown["stages"][1]["state"] == "applying"
    assert "interrupted: an apply by cron" in run(capsys, "rollout", "status")[1]
    code, out, _ = run(capsys, "rollout", "advance", "--yes", "-o", "json")
    shown = json.loads(out)["rollout"]
    assert code == 0 and shown["interrupted"] is None and shown["stages"][1]["enabled"] == ["indexing", "query"]
    history = json.loads(run(capsys, "history", "indexing", "--env", "staging", "-o", "json")[1])["entries"]
    assert [e["action"] for e in history if e["rollout"] == shown["id"]] == ["enable"]


def test_status_watch_returns_once_the_rollout_has_ended(capsys):
    start(capsys)
    assert run(capsys, "rollout", "abort", "--yes", "--reason", "done")[0] == 0
    code, out, _ = run(capsys, "rollout", "status", "--watch", "--interval", "0")
    assert code == 1 and out.count("aborted") >= 1


def test_the_example_plan_starts_on_the_example_services(capsys, tmp_path):

    example = paths.EXAMPLES / "plans" / "enable-prompt-caching.yaml"
    code, out, _ = run(capsys, "rollout", "start", "--yes", str(example), "-o", "json")
    shown = json.loads(out)["rollout"]
    assert code == 0 and shown["stages"][0]["enabled"] == ["indexing", "query", "agent"]
    assert [g["kind"] for g in shown["stages"][1]["gates"]] == ["soak", "metrics", "approval"]


def test_two_processes_advancing_at_once_end_with_one_advance(capsys, tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "plan.yaml").write_text(
        "name: p\nstages:\n- {environment: dev, services: [indexing, query]}\n"
        "- environment: staging\n  services: [indexing, query]\n  gates: [{kind: soak, duration: 24h}]\n"
        "- {environment: production, services: [indexing]}\n"
    )
    rollout_id = json.loads(run(capsys, "rollout", "start", "--yes", "plan.yaml", "-o", "json")[1])["rollout"]["id"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    both = [
        subprocess.Popen(
            [sys.executable, "-m", "optctl", "rollout", "advance", "--yes", "-o", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in both]
    # Whatever the interleaving: staging is applied once; the other process either lost the
    # compare-and-swap (exit 1, nothing done) or came second and found the 24 h soak running.
    assert all(code == 0 or (code == 1 and "changed since it was read" in err) for code, _, err in outcomes), outcomes
    history = json.loads(run(capsys, "history", "--env", "staging", "-o", "json")[1])["entries"]
    assert sorted(e["service"] for e in history if e["rollout"] == rollout_id) == ["indexing", "query"]
    stages = json.loads(run(capsys, "rollout", "status", "-o", "json")[1])["rollout"]["stages"]
    assert [s["state"] for s in stages] == ["passed", "soaking", "pending"]


def test_a_metrics_gate_catches_a_service_whose_flag_is_on_but_which_is_not_optimized(capsys, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Monitoring(BaseHTTPRequestHandler):
        """The guide's endpoint: indexing picked the flag up, query's wrapper did not."""

        def do_GET(self):
            body = json.dumps(
                {"indexing": {"is_optimized": True, "hit_rate": "35.0%"}, "query": {"is_optimized": False, "hit_rate": "0.0%"}}
            ).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Monitoring)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/monitoring/llm-optimization"
    (tmp_path / "plan.yaml").write_text(
        f"name: p\nstages:\n- environment: dev\n  services: [indexing, query]\n"
        f"  gates: [{{kind: metrics, url: '{url}', conditions: ['is_optimized == true', 'hit_rate >= 0.2']}}]\n"
        "- {environment: staging, services: [indexing, query]}\n"
    )
    try:
        assert run(capsys, "rollout", "start", "--yes", "plan.yaml")[0] == 0
        code, out, _ = run(capsys, "rollout", "advance", "--yes", "-o", "json")
    finally:
        server.shutdown()
        server.server_close()
    shown = json.loads(out)["rollout"]
    assert code == 1 and shown["state"] == "failed"
    assert "query: is_optimized == true does not hold (is false)" in shown["reason"]
    assert [s["state"] for s in shown["stages"]] == ["rolled_back", "pending"]
    store = open_store(embedded_project().env("dev"))
    assert not any(store.read(s).optimization["cache"]["enabled"] for s in ("indexing", "query"))
    store.close()
