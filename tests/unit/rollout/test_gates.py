"""Gate evaluators against the real edges: a subprocess for check, a local HTTP server for metrics."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from optctl.rollout.gates import Evaluators, GateContext, condition_holds, judge_metrics, run_command
from tests.support.network import refusing_port

CONTEXT = GateContext("ro-1", 2, "staging", ("agent", "query"))


def check(command, **extra):
    return Evaluators().evaluate(
        {"kind": "check", "command": command, "timeout": "5m", "retries": 3, "retry_interval": "1m"} | extra, CONTEXT
    )


def test_check_passes_on_exit_0_and_sees_the_rollout_in_its_environment(tmp_path):
    script = tmp_path / "check.sh"
    script.write_text(
        'test "$OPTCTL_ROLLOUT_ID/$OPTCTL_STAGE/$OPTCTL_ENV/$OPTCTL_SERVICES" = "ro-1/2/staging/agent,query" && echo all good\n'
    )
    assert check(f"sh {script}") == ("pass", "exit 0: all good")


def test_check_fails_on_a_non_zero_exit_with_the_last_line_it_said():
    assert check([sys.executable, "-c", "import sys; print('p99 too high', file=sys.stderr); sys.exit(3)"]) == (
        "fail",
        "exit 3: p99 too high",
    )


def test_check_that_cannot_run_fails():
    result, detail = check(["/nonexistent/check"])
    assert result == "fail" and "could not run" in detail


def test_check_timing_out_is_inconclusive():
    asked = []

    def timed_out(command, env, timeout):
        asked.append(timeout)
        return None, ""

    gate = {"kind": "check", "command": "slow-check", "timeout": "1s", "retries": 3, "retry_interval": "1m"}
    assert Evaluators(run=timed_out).evaluate(gate, CONTEXT) == ("inconclusive", "command timed out after 1s")
    assert asked == [1]


def test_a_timed_out_command_is_killed_with_everything_it_started():
    # A shell whose child outlives it and holds the output open: unless the whole session is
    # killed, reading the output would wait the 30 s out.
    assert run_command("sleep 30; echo never", {}, timeout=0.05) == (None, "")


class _Monitoring(BaseHTTPRequestHandler):
    answer: tuple[int, bytes] = (200, b"{}")

    def do_GET(self):
        status, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def monitoring():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Monitoring)
    server.answer = (200, b"{}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def metrics(server, conditions=("is_optimized == true", "hit_rate >= 0.2")):
    url = f"http://127.0.0.1:{server.server_address[1]}/api/monitoring/llm-optimization"
    gate = {"kind": "metrics", "url": url, "conditions": list(conditions), "timeout": "5s", "retries": 3, "retry_interval": "1m"}
    return Evaluators().evaluate(gate, CONTEXT)


def stats(**services):
    return json.dumps(services).encode()


def test_metrics_pass_when_every_service_meets_every_condition(monitoring):
    # The guide's endpoint reports hit_rate as a percent string.
    monitoring.answer = (
        200,
        stats(agent={"is_optimized": True, "hit_rate": "25.0%"}, query={"is_optimized": True, "hit_rate": 0.4}),
    )
    assert metrics(monitoring)[0] == "pass"


def test_metrics_fail_when_a_flipped_service_does_not_report_is_optimized(monitoring):
    monitoring.answer = (
        200,
        stats(agent={"is_optimized": True, "hit_rate": "25.0%"}, query={"is_optimized": False, "hit_rate": "0.0%"}),
    )
    assert metrics(monitoring) == ("fail", "query: is_optimized == true does not hold (is false)")


def test_metrics_fail_below_the_threshold(monitoring):
    monitoring.answer = (
        200,
        stats(agent={"is_optimized": True, "hit_rate": "12.5%"}, query={"is_optimized": True, "hit_rate": "30%"}),
    )
    assert metrics(monitoring) == ("fail", 'agent: hit_rate >= 0.2 does not hold (is "12.5%")')


def test_metrics_inconclusive_while_a_service_is_not_reporting_yet(monitoring):
    monitoring.answer = (200, stats(agent={"is_optimized": True, "hit_rate": "25%"}))
    assert metrics(monitoring) == ("inconclusive", "not reported yet: query")


@pytest.mark.parametrize("answer", [(503, b"{}"), (200, b"<html>maintenance</html>")])
def test_metrics_inconclusive_when_the_endpoint_is_unhealthy(monitoring, answer):
    monitoring.answer = answer
    assert metrics(monitoring)[0] == "inconclusive"


def test_metrics_inconclusive_when_the_endpoint_is_down():
    with refusing_port() as port:
        result, detail = _down_gate(port)
    assert result == "inconclusive" and "cannot reach" in detail


def _down_gate(port: int):
    gate = {
        "kind": "metrics",
        "url": f"http://127.0.0.1:{port}/x",
        "conditions": ["is_optimized == true"],
        "timeout": "2s",
        "retries": 3,
        "retry_interval": "1m",
    }
    return Evaluators().evaluate(gate, CONTEXT)


@pytest.mark.parametrize(
    "condition, held",
    [
        ("is_optimized == true", True),
        ("is_optimized != true", False),
        ("hit_rate > 0.25", False),
        ("hit_rate < 0.3", True),
        ("cached_blocks >= 3", True),
        ("cached_blocks <= 2", False),
        ("missing_field == 1", False),
        ("name == 'agent'", True),
        ("nested.depth == 2", True),
        # A string value against a number or null: equality answers, ordering never holds.
        ("name != 0", True),
        ("name == 0", False),
        ("name != null", True),
        ("name >= 0", False),
        ("hit_rate != 'n/a'", True),
    ],
)
def test_conditions(condition, held):
    row = {"is_optimized": True, "hit_rate": "25%", "cached_blocks": 3, "name": "agent", "nested": {"depth": 2}}
    assert condition_holds(row, condition)[0] is held


def test_a_non_object_answer_is_inconclusive():
    assert judge_metrics([1, 2], ["is_optimized == true"], ("agent",))[0] == "inconclusive"
