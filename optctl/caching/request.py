"""One request model for every fixture shape: what the client really sends, in the order the provider reads it.

Fixtures come as an Anthropic Messages body (``model``, ``system`` string or blocks,
``tools``, ``messages``, optionally a top-level ``cache_control``: automatic caching) or as the
LangChain/OpenAI list of ``{role, content}`` dicts the wrapper receives. The client that
sends them is explicit: ``langchain`` (ChatAnthropic, the wrapper's path, the default for a
list) or ``sdk`` (the body as given, the default for an Anthropic body). The client decides
what is sent: ChatAnthropic lifts system and developer messages into ``system``, turns a
bare string in a content list into a text block and an OpenAI ``image_url`` block into an
image, drops empty text blocks, strips the final assistant text, and loses some markers; the
rules table says, per client and place, whether a marker is sent, dropped or rejected.

Both become a ``Request``: its blocks in prefix order (tools, then system, then messages),
each with the place it came from in the input (``messages[3].content[1]``) so that every
count, marker and finding points back at the fixture. Anything malformed is a finding at its
place, never an exception, and never a reason to stop: the wrapper and the client still run
on whatever they would receive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from optctl.contract.findings import Finding, error, warning
from optctl.providers.rules import MarkerRules

ROLES = {"system": "system", "user": "user", "assistant": "assistant", "human": "user", "ai": "assistant", "tool": "user"}
# ChatAnthropic lifts OpenAI's developer role into system; the API knows no such role.
CLIENT_ROLES = {"langchain": {**ROLES, "developer": "system"}, "sdk": ROLES}
BLOCK_TYPES = {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking", "search_result"}


@dataclass
class Block:
    pointer: str  # JSON pointer into the fixture
    section: str  # tools | system | messages
    role: str
    type: str
    text: str  # what the tokenizer reads
    code_like: bool = False  # tool definitions and tool inputs are JSON: counted as code
    media: tuple[dict, ...] = ()  # image and document blocks to estimate
    caller_ttl: str | None = None  # the TTL of the caller's own marker, when it reaches the API
    markable: bool = True  # a marker put here reaches the API and the API accepts it
    string_content: bool = False  # the whole content was a string
    message: int | None = None  # index in the fixture's messages
    message_fate: str = "rejected"  # what becomes of a marker on this block's message object (string content)

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
    client: str = "sdk"  # langchain | sdk
    blocks: list[Block] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True  # a prompt at all: a body with messages or a list of messages
    sendable: bool = True  # the client gets it to the API (ChatAnthropic raises on some inputs)
    rejected: bool = False  # the API refuses it whatever the markers (HTTP 400)
    automatic_ttl: str | None = None  # the fixture's top-level cache_control (automatic caching)
    final_repeats: bool = False  # the fixture says its final message repeats word for word
    caller_fates: dict[str, str] = field(default_factory=dict)  # block pointer -> what became of the caller's marker there

    @property
    def messages_pointer(self) -> str:
        return "" if isinstance(self.data, list) else "/messages"

    @property
    def messages(self) -> list[Any]:
        return self.data if isinstance(self.data, list) else self.data.get("messages", [])

    def refused(self, finding: Finding) -> None:
        """A finding that means the API rejects the request as sent."""
        self.findings.append(finding)
        self.rejected = True


@lru_cache(maxsize=4096)  # every report's findings are labelled; thousands of documents share a few pointers
def location_label(pointer: str) -> str:
    """``/messages/3/content/1`` -> ``messages[3].content[1]``; a bare list is the messages."""
    parts = pointer.strip("/").split("/") if pointer.strip("/") else []
    if parts and parts[0].isdigit():
        parts.insert(0, "messages")
    label = ""
    for part in parts:
        label += f"[{part}]" if part.isdigit() else (f".{part}" if label else part)
    return label or "(fixture)"


def default_client(data: Any) -> str:
    """A list of messages is what the wrapper hands ChatAnthropic; a Messages body is an SDK call."""
    return "langchain" if isinstance(data, list) else "sdk"


# What optctl reads from a fixture that is not part of the request: removed when it is emitted.
OPTCTL_KEY = "optctl"


# One finding object for every document that is not a prompt (a finding is immutable): an
# export of 200,000 rows would otherwise build 200,000 copies of it.
NOT_A_PROMPT = error(
    "malformed-fixture",
    "",
    "not a prompt fixture: expected an Anthropic Messages body with 'messages' or a list of {role, content} messages",
)


def normalise(data: Any, markers: MarkerRules, model: str | None = None, client: str | None = None) -> Request:
    """The fixture as its client sends it; ``model`` (from --model) wins over the fixture's own."""
    client = client or default_client(data)
    if isinstance(data, list):
        request = Request(data, model, client)
        _messages(request, data, "", markers)
    elif not isinstance(data, dict) or "messages" not in data:
        return Request(data, model, client, findings=[NOT_A_PROMPT], readable=False)
    else:
        fixture_model = data.get("model") if isinstance(data.get("model"), str) else None
        request = Request(data, model or fixture_model, client)
        _options(request, data)
        _automatic(request, data, markers)
        _tools(request, data.get("tools"), markers)
        _system(request, data.get("system"), markers)
        _messages(request, data["messages"], "/messages", markers)
    request.blocks.sort(key=lambda b: _SECTION_ORDER[b.section])  # stable: keeps order within a section
    _check_unicode(request)
    return request


def _options(request: Request, data: dict[str, Any]) -> None:
    options = data.get(OPTCTL_KEY)
    if options is None:
        return
    if not isinstance(options, dict) or not isinstance(options.get("final_message_repeats", False), bool):
        request.findings.append(
            error("malformed-fixture", f"/{OPTCTL_KEY}", 'optctl must be an object such as {"final_message_repeats": true}')
        )
        return
    request.final_repeats = options.get("final_message_repeats", False)


def _automatic(request: Request, data: dict[str, Any], markers: MarkerRules) -> None:
    """A top-level cache_control: the provider puts it on the last cacheable block (automatic caching)."""
    if "cache_control" not in data:
        return
    ttl = _marker_ttl(request, data, "", markers)
    if ttl is not None and markers.fate(request.client, "automatic") == "sent":
        request.automatic_ttl = ttl


def _check_unicode(request: Request) -> None:
    """JSON can carry lone surrogates (``"\\ud800"``), which are not text: no UTF-8 request holds them."""
    for block in request.blocks:
        if block.text.isascii():
            continue
        try:
            block.text.encode("utf-8")
        except UnicodeEncodeError as err:
            request.findings.append(
                error(
                    "invalid-unicode",
                    block.pointer,
                    f"{block.location} holds a lone surrogate (U+{ord(block.text[err.start]):04X}), which is not valid Unicode "
                    "and cannot be sent; fix the code that builds this text",
                )
            )
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
        request.blocks.append(
            Block(
                pointer,
                "tools",
                "tool",
                "tool",
                _json(definition),
                code_like=True,
                caller_ttl=_caller_marker(request, tool, pointer, "tool", markers),
                markable=markers.fate(request.client, "tool") == "sent",
            )
        )


def _system(request: Request, system: Any, markers: MarkerRules) -> None:
    if system is None:
        return
    if isinstance(system, str):
        request.blocks.append(
            Block(
                "/system",
                "system",
                "system",
                "text",
                system,
                string_content=True,
                markable=markers.fate(request.client, "text") == "sent",
            )
        )
        return
    if not isinstance(system, list):
        request.findings.append(error("malformed-fixture", "/system", "system must be a string or a list of text blocks"))
        return
    for i, block in enumerate(system):
        _block(request, block, f"/system/{i}", "system", "system", None, markers)


def _messages(request: Request, messages: Any, base: str, markers: MarkerRules) -> None:
    if not isinstance(messages, list):
        request.readable = False
        request.findings.append(error("malformed-fixture", base or "", "messages must be a list of {role, content} objects"))
        return
    if not messages:
        request.refused(error("empty-messages", base or "", "messages is empty: the API needs at least one message"))
        return
    roles = CLIENT_ROLES[request.client]
    final = len(messages) - 1
    for i, message in enumerate(messages):
        pointer = f"{base}/{i}"
        if not isinstance(message, dict) or "role" not in message:
            request.findings.append(
                error(
                    "malformed-fixture",
                    pointer,
                    "a message must be an object with role and content; the wrapper skips this one and marks the rest",
                )
            )
            continue
        role = roles.get(message["role"]) if isinstance(message["role"], str) else None
        if role is None:
            request.refused(
                error(
                    "unknown-role",
                    f"{pointer}/role",
                    f"unknown role {message['role']!r}; use one of: {', '.join(sorted(roles))}",
                )
            )
            continue
        if message["role"] == "developer":
            request.findings.append(
                warning(
                    "developer-role", f"{pointer}/role", "role developer: ChatAnthropic lifts it into system, as a system message"
                )
            )
        _message_marker(request, message, pointer, markers)
        section = "system" if role == "system" else "messages"
        content = message.get("content")
        trailing = request.client == "langchain" and i == final and role == "assistant"
        if isinstance(content, str):
            text = content.rstrip() if trailing else content
            request.blocks.append(
                Block(
                    f"{pointer}/content",
                    section,
                    role,
                    "text",
                    text,
                    string_content=True,
                    message=i,
                    markable=markers.fate(request.client, "text") == "sent" and bool(text),
                    message_fate=markers.fate(request.client, "message"),
                )
            )
        elif isinstance(content, list):
            if not content and not (i == final and role == "assistant"):
                request.refused(
                    error(
                        "empty-content",
                        f"{pointer}/content",
                        "content is an empty list: the API rejects it (all messages must have non-empty content "
                        "except for the optional final assistant message); the wrapper skips this message",
                    )
                )
            for j, block in enumerate(content):
                _block(request, block, f"{pointer}/content/{j}", section, role, i, markers)
            if trailing:
                _strip_final(request, i)
        else:
            request.findings.append(
                error("malformed-fixture", f"{pointer}/content", "content must be a string or a list of content blocks")
            )
    system_positions = [
        i
        for i, m in enumerate(messages)
        if isinstance(m, dict) and isinstance(m.get("role"), str) and roles.get(m["role"]) == "system"
    ]
    if system_positions:
        _system_messages(request, system_positions, base)


def _system_messages(request: Request, positions: list[int], base: str) -> None:
    """ChatAnthropic moves a lone later system message up, and refuses two that are apart."""
    if request.client == "sdk":
        for i in positions:
            request.refused(
                error(
                    "system-in-messages",
                    f"{base}/{i}/role",
                    "a system message inside messages: the API rejects it; put it in the top-level system (ChatAnthropic does that)",
                )
            )
        return
    if any(b - a > 1 for a, b in zip(positions, positions[1:])):
        request.findings.append(
            error(
                "system-not-consecutive",
                f"{base}/{positions[1]}",
                "two system messages apart from each other: ChatAnthropic raises 'Received multiple non-consecutive system "
                "messages' and nothing is sent",
            )
        )
        request.sendable = False
    elif positions[0] != 0:
        request.findings.append(
            warning(
                "system-moved",
                f"{base}/{positions[0]}",
                "a system message after the first message: ChatAnthropic moves it into system",
            )
        )


def _message_marker(request: Request, message: dict[str, Any], pointer: str, markers: MarkerRules) -> None:
    if "cache_control" not in message:
        return
    where = f"{pointer}/cache_control"
    if markers.fate(request.client, "message") == "dropped":
        request.findings.append(
            warning(
                "marker-on-message",
                where,
                "cache_control on a message object: ChatAnthropic drops it (nothing is cached by it); put it on a content block",
            )
        )
    else:
        request.refused(
            error(
                "marker-on-message",
                where,
                "cache_control on a message object: the API rejects it (messages.N.cache_control: Extra inputs are not permitted); "
                "put it on a content block",
            )
        )


def _strip_final(request: Request, message: int) -> None:
    """ChatAnthropic right-strips the text of a final assistant message."""
    for block in request.blocks:
        if block.message == message and block.type == "text":
            block.text = block.text.rstrip()


def _block(
    request: Request, block: Any, pointer: str, section: str, role: str, message: int | None, markers: MarkerRules
) -> None:
    if isinstance(block, str) and request.client == "langchain":
        request.findings.append(
            warning("bare-string-block", pointer, "a bare string in a content list: ChatAnthropic sends it as a text block")
        )
        block = {"type": "text", "text": block}
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        request.refused(error("malformed-fixture", pointer, "a content block must be an object with a type"))
        return
    kind = block["type"]
    if kind == "image_url" and request.client == "langchain":
        _image_url(request, block, pointer, section, role, message, markers)
        return
    if kind not in BLOCK_TYPES:
        request.refused(
            error(
                "unknown-block-type",
                f"{pointer}/type",
                f"unknown content block type {kind!r}; known: {', '.join(sorted(BLOCK_TYPES))}",
            )
        )
        return
    if section == "system" and kind != "text":
        request.refused(error("malformed-fixture", f"{pointer}/type", f"a system block must be text, not {kind!r}"))
        return
    if kind == "text" and block.get("text") is None:
        _text_null(request, pointer)
        return
    text, code_like, media = _content_of(block)
    if kind == "text" and not text.strip() and request.client == "langchain":
        if "cache_control" in block:
            request.findings.append(
                warning(
                    "marker-dropped",
                    f"{pointer}/cache_control",
                    "an empty text block: ChatAnthropic drops the block and its marker",
                )
            )
        return
    fate = markers.fate(request.client, kind)
    caller = _caller_marker(request, block, pointer, kind, markers)
    markable = fate == "sent" and not (kind == "text" and not text)
    if caller is not None and kind == "text" and not text:
        request.refused(
            error(
                "marker-not-allowed",
                f"{pointer}/cache_control",
                "cache_control on an empty text block: the API rejects the request",
            )
        )
        caller = None
    request.blocks.append(Block(pointer, section, role, kind, text, code_like, media, caller, markable, message=message))


def _text_null(request: Request, pointer: str) -> None:
    if request.client == "langchain":
        request.findings.append(
            error(
                "text-null",
                f"{pointer}/text",
                "a text block whose text is null: ChatAnthropic raises AttributeError and nothing is sent; give it a string",
            )
        )
        request.sendable = False
    else:
        request.refused(
            error("text-null", f"{pointer}/text", "a text block whose text is null: the API rejects it; give it a string")
        )


def _image_url(
    request: Request, block: dict[str, Any], pointer: str, section: str, role: str, message: int | None, markers: MarkerRules
) -> None:
    """An OpenAI ``image_url`` block: ChatAnthropic converts it into an Anthropic image block."""
    url = (block.get("image_url") or {}).get("url") if isinstance(block.get("image_url"), dict) else block.get("image_url")
    if not isinstance(url, str):
        request.refused(error("malformed-fixture", f"{pointer}/image_url", "an image_url block needs image_url.url"))
        return
    request.findings.append(
        warning(
            "openai-block",
            f"{pointer}/type",
            "an OpenAI image_url block: ChatAnthropic converts it into an Anthropic image block"
            + (
                " and its marker is dropped"
                if "cache_control" in block and markers.fate(request.client, "image_url") == "dropped"
                else ""
            ),
        )
    )
    head, _, data = url.partition(",")
    source = (
        {"type": "base64", "media_type": head[5:].split(";")[0], "data": data}
        if url.startswith("data:") and ";base64" in head
        else {"type": "url", "url": url}
    )
    caller = _caller_marker(request, block, pointer, "image_url", markers)
    request.blocks.append(
        Block(
            pointer,
            section,
            role,
            "image",
            "",
            False,
            ({"type": "image", "source": source},),
            caller,
            markers.fate(request.client, "image_url") == "sent",
            message=message,
        )
    )


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


def _caller_marker(request: Request, holder: dict[str, Any], pointer: str, place: str, markers: MarkerRules) -> str | None:
    """The TTL of a marker the caller put on a block, if it reaches the API; a lost or refused one is a finding."""
    ttl = _marker_ttl(request, holder, pointer, markers)
    if ttl is None:
        return None
    fate = markers.fate(request.client, place)
    request.caller_fates[pointer] = fate
    where = f"{pointer}/cache_control"
    if fate == "dropped":
        why = (
            "ChatAnthropic rebuilds tool_use blocks from type, name, input and id"
            if place == "tool_use"
            else "ChatAnthropic rebuilds this block"
        )
        request.findings.append(
            warning(
                "marker-dropped",
                where,
                f"cache_control on a {place} block: {why}, so this marker is never sent and caches nothing",
            )
        )
        return None
    if fate == "rejected":
        request.refused(
            error(
                "marker-not-allowed",
                where,
                f"cache_control on {'a ' + place if place in BLOCK_TYPES else 'an ' + repr(place)} block: the API rejects the request",
            )
        )
        return None
    return ttl


def _marker_ttl(request: Request, holder: dict[str, Any], pointer: str, markers: MarkerRules) -> str | None:
    """The TTL a ``cache_control`` says; an invalid one is a finding."""
    if "cache_control" not in holder:
        return None
    marker = holder["cache_control"]
    where = f"{pointer}/cache_control"
    if not isinstance(marker, dict) or marker.get("type") != "ephemeral":
        request.refused(error("invalid-marker", where, 'cache_control must be {"type": "ephemeral"} (optionally with "ttl")'))
        return None
    ttl = marker.get("ttl", markers.default)
    if markers.ttls and ttl not in markers.ttls:
        request.refused(
            error(
                "invalid-ttl",
                f"{where}/ttl",
                f"ttl {ttl!r} is not offered; the API accepts only {' or '.join(repr(t) for t in markers.ttls)} and rejects the request",
            )
        )
        return None
    return ttl


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
