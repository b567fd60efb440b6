"""``--tokenizer anthropic``: exact request totals from Anthropic's count_tokens endpoint.

The only exact count for Claude 3 and later needs the network and a key: the key comes from
``ANTHROPIC_API_KEY`` (never argv) and never appears in a message; ``ANTHROPIC_BASE_URL``
(the SDK's own variable) points it elsewhere, which is how the tests reach a local double.
One call per fixture; the per-block split is the offline estimate scaled to that total.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any, Mapping, Sequence

from optctl.caching.request import ROLES, Request
from optctl.providers.rules import Rules
from optctl.caching.tokens.counters import BlockTokens, Offline, scale_to_total
from optctl.errors import EnvironmentProblem

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
TIMEOUT_SECONDS = 30


class AnthropicCountTokens:
    name = "anthropic"
    exact_total = True

    def __init__(self, environ: Mapping[str, str] | None = None, offline: Offline | None = None):
        environ = os.environ if environ is None else environ
        self._key = environ.get("ANTHROPIC_API_KEY", "")
        if not self._key:
            raise EnvironmentProblem(
                "--tokenizer anthropic needs ANTHROPIC_API_KEY in the environment; or use the offline estimate (the default)"
            )
        self._url = environ.get("ANTHROPIC_BASE_URL", DEFAULT_BASE_URL).rstrip("/") + "/v1/messages/count_tokens"
        self._offline = offline or Offline()

    def count(self, requests: Sequence[Request], rules: Rules) -> list[list[BlockTokens]]:
        estimates = self._offline.count(requests, rules)
        return [scale_to_total(row, self.total(request), "count_tokens") for request, row in zip(requests, estimates)]

    def total(self, request: Request) -> int:
        body = json.dumps(anthropic_body(request)).encode("utf-8")
        call = urllib.request.Request(
            self._url,
            data=body,
            method="POST",
            headers={
                "x-api-key": self._key,
                "anthropic-version": API_VERSION,
                "content-type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(call, timeout=TIMEOUT_SECONDS) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise EnvironmentProblem(
                f"count_tokens at {self._url} answered HTTP {err.code} for model {request.model!r}: {_reason(err)}"
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise EnvironmentProblem(
                f"count_tokens at {self._url} could not be reached ({getattr(err, 'reason', err)}); check the network or ANTHROPIC_BASE_URL"
            ) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("input_tokens"), int):
            raise EnvironmentProblem(f"count_tokens at {self._url} answered without an input_tokens number")
        return answer["input_tokens"]


def _reason(err: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(err.read())["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError, OSError):
        return err.reason or "no detail"


def anthropic_body(request: Request) -> dict[str, Any]:
    """The fixture as the Messages body ChatAnthropic would send (system messages lifted out)."""
    data = request.data if isinstance(request.data, dict) else {}
    body = {k: v for k, v in data.items() if k in ("system", "tools", "tool_choice", "thinking")}
    lifted: list[Any] = []
    for message in request.messages:
        if _role(message) == "system":
            lifted += _text_blocks(message.get("content"))
    if lifted:
        # After the top-level system, not instead of it: both reach the model, so both are counted.
        system = _text_blocks(body.get("system")) + lifted
        single = len(system) == 1 and isinstance(system[0], dict) and set(system[0]) == {"type", "text"}
        body["system"] = system[0]["text"] if single else system
    body["messages"] = [
        {"role": _role(m), "content": m.get("content")} for m in request.messages if _role(m) not in (None, "system")
    ]
    body["model"] = request.model
    return body


def _text_blocks(content: Any) -> list[Any]:
    """System content as a list of blocks: a string is one text block."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return list(content) if isinstance(content, list) else []


def _role(message: Any) -> str | None:
    role = message.get("role") if isinstance(message, dict) else None
    return ROLES.get(role) if isinstance(role, str) else None
