"""Checks that keep a hostile or broken input from hanging or crashing optctl.

Every document optctl reads is small and plainly shaped (an optimization object, an ai-config
document, a rollout plan, a prompt), so what such documents never need is refused outright,
each as a problem the reader reports at its place in the file:

- YAML aliases (``*name``). Expanding them is how a few hundred bytes become gigabytes (the
  "billion laughs"), and an alias inside its own anchor makes a cycle that never ends.
- Nesting deeper than ``MAX_DEPTH``. Python code that walks a document (the schema checker,
  the renderers) recurses, and at about a thousand levels it runs out of stack.
- Strings holding a lone UTF-16 surrogate (JSON's ``"\\ud800"``): it is not a character, and
  neither a terminal, a JSON writer nor SQLite can encode it.
- Integers longer than Python converts (``sys.get_int_max_str_digits()``, 4,300 digits).

The checks cost next to nothing on clean input: each looks first for the one character that
must be in the text for the problem to exist.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Iterator

from optctl.documents.positions import escape

MAX_DEPTH = 100  # levels of objects and arrays; no document optctl reads comes near it

_SURROGATE = re.compile("[\ud800-\udfff]")
# A \uD800-\uDFFF escape that is not one half of a pair (only for pointing at it in the text).
_LONE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def integer_limit() -> int:
    """Digits Python converts from text; 0 means no limit."""
    return sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0


def long_integer_offset(text: str, start: int = 0) -> int | None:
    """Where, from ``start``, the first integer literal too long to convert begins."""
    limit = integer_limit()
    if not limit:
        return None
    found = re.compile(rf"-?\d{{{limit + 1},}}").search(text, start)
    return found.start() if found else None


def long_integer_message(text: str, offset: int) -> str:
    run = re.match(r"-?(\d*)", text[offset:])  # always matches: every part is optional
    digits = len(run.group(1)) if run else 0
    return (
        f"a number of {digits:,} digits is longer than the {integer_limit():,} digits optctl reads; "
        "no field takes a number this long, so shorten it (or quote it if it is text)"
    )


def deeper_than(data: Any, limit: int = MAX_DEPTH, json_text: str | None = None) -> str | None:
    """The JSON pointer of the first value nested more than ``limit`` levels down, if any.

    Given the document's JSON text, one that opens at most ``limit`` objects and arrays in all
    is passed without a walk (most documents; a string's brackets only make the walk happen).
    """
    if json_text is not None and json_text.count("{") + json_text.count("[") <= limit:
        return None
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return _pointer_at_depth(data, limit + 1)
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values() if isinstance(child, (dict, list)))
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value if isinstance(child, (dict, list)))
    return None


def _pointer_at_depth(data: Any, depth: int) -> str:
    """The path down to the first container found at ``depth`` (a second walk, only on failure)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, level, pointer = stack.pop()
        if level >= depth:
            return pointer
        children = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend(
            (child, level + 1, f"{pointer}/{escape(str(key))}") for key, child in children if isinstance(child, (dict, list))
        )
    return ""


def depth_message() -> str:
    return f"nesting is more than {MAX_DEPTH} levels deep; no document optctl reads is nested like this, so flatten it"


def lone_surrogate(data: Any, text: str) -> str | None:
    """The JSON pointer of the first string (key or value) holding a lone surrogate, if any.

    Only JSON escapes make one (UTF-8 text cannot hold it), so text without ``\\u`` is clean.
    """
    if "\\u" not in text:
        return None
    return next(_surrogate_pointers(data, ""), None)


def _surrogate_pointers(value: Any, pointer: str) -> Iterator[str]:
    stack = [(value, pointer)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, str):
            if _SURROGATE.search(current):
                yield where
        elif isinstance(current, dict):
            for key, child in current.items():
                here = f"{where}/{escape(key)}"
                if _SURROGATE.search(key):
                    yield here
                stack.append((child, here))
        elif isinstance(current, list):
            stack.extend((child, f"{where}/{i}") for i, child in enumerate(current))


def lone_surrogate_offset(text: str) -> int | None:
    found = _LONE_ESCAPE.search(text)
    return found.start() if found else None


def surrogate_message(pointer: str) -> str:
    return (
        f"the string at {pointer or '/'} holds a lone UTF-16 surrogate (a \\ud800-\\udfff escape without "
        "its pair), which is not a character; remove it or write the character it was meant to be"
    )


def yaml_alias(text: str, loader: type) -> tuple[Any, int] | None:
    """The mark of the first YAML alias (``*name``) and the index of its document, if any.

    Read as events, which never expands anything; text without ``*`` holds no alias.
    """
    if "*" not in text:
        return None
    import yaml

    document = -1
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.DocumentStartEvent):
            document += 1
        elif isinstance(event, yaml.AliasEvent):
            return event.start_mark, document
    return None


def alias_message() -> str:
    return (
        "YAML aliases (*name) are not read: they can expand a small file without bound, and no "
        "document optctl reads needs one; write the value out in full"
    )
