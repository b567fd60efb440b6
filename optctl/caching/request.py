"""One request model for every fixture shape, in the order the provider reads a prompt.

Fixtures come as an Anthropic Messages body (``model``, ``system`` string or blocks,
``tools``, ``messages``) or as the LangChain/OpenAI list of ``{role, content}`` dicts the
wrapper receives. Both become a ``Request``: its blocks in prefix order (tools, then system,
then messages, as the API reads them; ChatAnthropic lifts system-role messages into
``system``), each with the place it came from in the input (``messages[3].content[1]``) so
that every count, marker and finding points back at the fixture. Anything malformed is a
finding at its place, never an exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from optctl.providers.rules import MarkerRules
from optctl.contract.findings import Finding, error

ROLES = {"system": "system", "user": "user", "assistant": "assistant", "human": "user", "ai": "assistant", "tool": "user"}
BLOCK_TYPES = {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking", "search_result"}
# Blocks the API refuses a cache_control marker on.
_NO_MARKER_TYPES = {"thinking", "redacted_thinking"}


@dataclass
class Block:
    pointer: str  # JSON pointer into the fixture
    section: str  # tools | system | messages
    role: str
    type: str
    text: str  # what the tokenizer reads
    code_like: bool = False  # tool definitions and tool inputs are JSON: counted as code
    media: tuple[dict, ...] = ()  # image and document blocks to estimate
    caller_ttl: str | None = None  # the TTL of the caller's own marker
    markable: bool = True  # the API accepts a marker here
    string_content: bool = False  # the whole content was a string
    message: int | None = None  # index in the fixture's messages

    @cached_property
    def location(self) -> str:
        return location_label(self.pointer)

    @property
    def has_caller_marker(self) -> bool:
        return self.caller_ttl is not None


@dataclass
class Request:
    data: Any  # the fixture as read, untouched
    model: str | None
    blocks: list[Block] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def messages_pointer(self) -> str:
        return "" if isinstance(self.data, list) else "/messages"

    @property
    def messages(self) -> list[Any]:
        return self.data if isinstance(self.data, list) else self.data.get("messages", [])


def location_label(pointer: str) -> str:
    """``/messages/3/content/1`` -> ``messages[3].content[1]``; a bare list is the messages."""
    parts = pointer.strip("/").split("/") if pointer.strip("/") else []
    if parts and parts[0].isdigit():
        parts.insert(0, "messages")
    label = ""
    for part in parts:
        label += f"[{part}]" if part.isdigit() else (f".{part}" if label else part)
    return label or "(fixture)"


def normalise(data: Any, markers: MarkerRules, model: str | None = None) -> Request:
    """The fixture as a Request; ``model`` (from --model) wins over the fixture's own."""
    if isinstance(data, list):
        request = Request(data, model)
        _messages(request, data, "", markers)
    elif not isinstance(data, dict) or "messages" not in data:
        request = Request(data, model)
        request.findings.append(error(
            "malformed-fixture", "",
            "not a prompt fixture: expected an Anthropic Messages body with 'messages' or a list of {role, content} messages",
        ))
    else:
        fixture_model = data.get("model") if isinstance(data.get("model"), str) else None
        request = Request(data, model or fixture_model)
        _tools(request, data.get("tools"), markers)
        _system(request, data.get("system"), markers)
        _messages(request, data["messages"], "/messages", markers)
    request.blocks.sort(key=lambda b: _SECTION_ORDER[b.section])  # stable: keeps order within a section
    _check_unicode(request)
    return request


def _check_unicode(request: Request) -> None:
    """JSON can carry lone surrogates (``"\\ud800"``), which are not text: no UTF-8 request holds them."""
    for block in request.blocks:
        if block.text.isascii():
            continue
        try:
            block.text.encode("utf-8")
        except UnicodeEncodeError as err:
            request.findings.append(error(
                "invalid-unicode", block.pointer,
                f"{block.location} holds a lone surrogate (U+{ord(block.text[err.start]):04X}), which is not valid Unicode "
                "and cannot be sent; fix the code that builds this text",
            ))
            # Count what tiktoken would: the surrogate replaced by U+FFFD.
            block.text = block.text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_SECTION_ORDER = {"tools": 0, "system": 1, "messages": 2}


def _tools(request: Request, tools: Any, markers: MarkerRules) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        request.findings.append(error("malformed-fixture", "/tools", "tools must be a list of tool definitions"))
        return
    for i, tool in enumerate(tools):
        pointer = f"/tools/{i}"
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            request.findings.append(error("malformed-fixture", pointer, "a tool definition must be an object with a name"))
            continue
        definition = {k: v for k, v in tool.items() if k != "cache_control"}
        request.blocks.append(Block(pointer, "tools", "tool", "tool", _json(definition), code_like=True,
                                    caller_ttl=_caller_marker(request, tool, pointer, markers)))


def _system(request: Request, system: Any, markers: MarkerRules) -> None:
    if system is None:
        return
    if isinstance(system, str):
        request.blocks.append(Block("/system", "system", "system", "text", system, string_content=True))
        return
    if not isinstance(system, list):
        request.findings.append(error("malformed-fixture", "/system", "system must be a string or a list of text blocks"))
        return
    for i, block in enumerate(system):
        _block(request, block, f"/system/{i}", "system", "system", None, markers)


def _messages(request: Request, messages: Any, base: str, markers: MarkerRules) -> None:
    if not isinstance(messages, list):
        request.findings.append(error("malformed-fixture", base or "", "messages must be a list of {role, content} objects"))
        return
    if not messages:
        request.findings.append(error("empty-messages", base or "", "messages is empty: the API needs at least one message"))
        return
    for i, message in enumerate(messages):
        pointer = f"{base}/{i}"
        if not isinstance(message, dict) or "role" not in message:
            request.findings.append(error("malformed-fixture", pointer, "a message must be an object with role and content"))
            continue
        role = ROLES.get(message["role"]) if isinstance(message["role"], str) else None
        if role is None:
            request.findings.append(error(
                "unknown-role", f"{pointer}/role",
                f"unknown role {message['role']!r}; use one of: {', '.join(sorted(ROLES))}",
            ))
            continue
        if "cache_control" in message:
            request.findings.append(error(
                "marker-on-message", f"{pointer}/cache_control",
                "cache_control on a message object: the API rejects it and ChatAnthropic drops it; put it on a content block",
            ))
        section = "system" if role == "system" else "messages"
        content = message.get("content")
        if isinstance(content, str):
            request.blocks.append(Block(f"{pointer}/content", section, role, "text", content, string_content=True, message=i))
        elif isinstance(content, list):
            if not content:
                request.findings.append(error("empty-content", f"{pointer}/content", "content is an empty list: the API rejects it"))
            for j, block in enumerate(content):
                _block(request, block, f"{pointer}/content/{j}", section, role, i, markers)
        else:
            request.findings.append(error("malformed-fixture", f"{pointer}/content", "content must be a string or a list of content blocks"))


def _block(request: Request, block: Any, pointer: str, section: str, role: str, message: int | None, markers: MarkerRules) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        request.findings.append(error("malformed-fixture", pointer, "a content block must be an object with a type"))
        return
    kind = block["type"]
    if kind not in BLOCK_TYPES:
        request.findings.append(error(
            "unknown-block-type", f"{pointer}/type",
            f"unknown content block type {kind!r}; known: {', '.join(sorted(BLOCK_TYPES))}",
        ))
        return
    if section == "system" and kind != "text":
        request.findings.append(error("malformed-fixture", f"{pointer}/type", f"a system block must be text, not {kind!r}"))
        return
    text, code_like, media = _content_of(block)
    caller = _caller_marker(request, block, pointer, markers)
    markable = kind not in _NO_MARKER_TYPES and not (kind == "text" and not text)
    if caller is not None and not markable:
        request.findings.append(error(
            "marker-not-allowed", f"{pointer}/cache_control",
            f"cache_control on {'an empty text' if kind == 'text' else 'a ' + kind} block: the API rejects the request",
        ))
    request.blocks.append(Block(pointer, section, role, kind, text, code_like, media, caller, markable, message=message))


def _content_of(block: dict[str, Any]) -> tuple[str, bool, tuple[dict, ...]]:
    """(text to count, counted as code, media blocks to estimate) of one content block."""
    kind = block["type"]
    if kind == "text":
        return _str(block.get("text")), False, ()
    if kind in ("thinking", "redacted_thinking"):
        return _str(block.get("thinking", block.get("data"))), False, ()
    if kind == "tool_use":
        return _str(block.get("name")) + _json(block.get("input", {})), True, ()
    if kind in ("image", "document"):
        source = block.get("source") or {}
        if kind == "document" and isinstance(source, dict) and source.get("type") == "text":
            return _str(source.get("data")), False, ()
        return "", False, (block,)
    nested = block.get("content")
    if isinstance(nested, str):
        return nested, False, ()
    parts, media = [], []
    for inner in nested if isinstance(nested, list) else []:
        if isinstance(inner, dict) and inner.get("type") in ("image", "document"):
            media.append(inner)
        elif isinstance(inner, dict):
            parts.append(_str(inner.get("text")))
    title = _str(block.get("title"))
    return "\n".join([title, *parts] if title else parts), False, tuple(media)


def _caller_marker(request: Request, holder: dict[str, Any], pointer: str, markers: MarkerRules) -> str | None:
    """The TTL of a marker the caller already put on a block; an invalid one is a finding."""
    if "cache_control" not in holder:
        return None
    marker = holder["cache_control"]
    where = f"{pointer}/cache_control"
    if not isinstance(marker, dict) or marker.get("type") != "ephemeral":
        request.findings.append(error("invalid-marker", where, 'cache_control must be {"type": "ephemeral"} (optionally with "ttl")'))
        return None
    ttl = marker.get("ttl", markers.default)
    if markers.ttls and ttl not in markers.ttls:
        request.findings.append(error(
            "invalid-ttl", f"{where}/ttl",
            f"ttl {ttl!r} is not offered; the API accepts only {' or '.join(repr(t) for t in markers.ttls)} and rejects the request",
        ))
        return None
    return ttl


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
