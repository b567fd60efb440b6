"""--tokenizer anthropic against a local HTTP double on 127.0.0.1 (never the network)."""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from optctl.caching.tokens.count_api import AnthropicCountTokens, anthropic_body
from optctl.errors import EnvironmentProblem

from .conftest import example, request_of

KEY = "sk-ant-test-secret-key-123"


class CountTokensDouble(BaseHTTPRequestHandler):
    """Answers like POST /v1/messages/count_tokens: a fixed total, or an error when told to."""

    status = 200
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        type(self).seen.append((self.path, self.headers, body))
        answer = (
            {"input_tokens": 4321}
            if self.status == 200
            else {"type": "error", "error": {"type": "invalid_request_error", "message": "model: not found"}}
        )
        payload = json.dumps(answer).encode()
        self.send_response(self.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@contextmanager
def serving():
    """The double on a free port of 127.0.0.1, for the length of a with block."""
    CountTokensDouble.seen = []
    CountTokensDouble.status = 200
    server = HTTPServer(("127.0.0.1", 0), CountTokensDouble)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def double():
    with serving() as server:
        yield server


def counter(server):
    return AnthropicCountTokens({"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{server.server_port}"})


def test_total_comes_from_the_endpoint_and_blocks_are_scaled_to_it(double, rules):
    request = request_of(example("support-agent-tools.json"))
    rows = counter(double).count([request], rules)[0]
    assert sum(b.tokens for b in rows) == 4321 and all(b.estimate for b in rows)
    assert counter(double).exact_total
    path, headers, body = CountTokensDouble.seen[0]
    assert path == "/v1/messages/count_tokens"
    assert headers.get("x-api-key") == KEY and headers.get("anthropic-version") == "2023-06-01"
    assert body["model"] == request.model and body["tools"] == request.data["tools"] and "max_tokens" not in body


def test_langchain_messages_are_sent_as_chat_anthropic_would():
    request = request_of([{"role": "system", "content": "be brief"}, {"role": "human", "content": "hi"}])
    assert anthropic_body(request) == {
        "system": "be brief",
        "messages": [{"role": "user", "content": "hi"}],
        "model": request.model,
    }


def test_a_top_level_system_is_kept_when_system_messages_are_lifted_too():
    request = request_of(
        {
            "system": "you index documents",
            "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        }
    )
    assert anthropic_body(request)["system"] == [
        {"type": "text", "text": "you index documents"},
        {"type": "text", "text": "be brief"},
    ]


def test_an_http_error_is_one_line_without_the_key(double, rules):
    CountTokensDouble.status = 404
    with pytest.raises(EnvironmentProblem) as err:
        counter(double).count([request_of([{"role": "user", "content": "hi"}])], rules)
    message = str(err.value)
    assert "HTTP 404" in message and "model: not found" in message and KEY not in message and "\n" not in message


def test_no_key_is_an_environment_problem():
    with pytest.raises(EnvironmentProblem, match="ANTHROPIC_API_KEY"):
        AnthropicCountTokens({})


def test_unreachable_endpoint_is_an_environment_problem(rules):
    with pytest.raises(EnvironmentProblem, match="could not be reached"):
        AnthropicCountTokens({"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}).count(
            [request_of([{"role": "user", "content": "hi"}])], rules
        )
