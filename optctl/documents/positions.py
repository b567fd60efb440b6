"""Line and column for a JSON pointer, in JSON (a walk down the pointer's path) or YAML (node marks).

Only documents with problems come here. For JSON, ``PathWalk`` reads the text from the top down
the pointer's path only: at each level it reads the keys (or counts the elements) before the
one it wants and steps over their values with the C decoder's ``raw_decode``, so it never reads
past the value it is looking for and costs next to nothing beside parsing the document.
(A whole source map of the document, which json-source-map built in pure Python, cost about as
much per bad document as checking it, and seconds for one problem in a 1 MB document.)

What it answers is what that map answered: the offset of the value at the pointer, or of its
key with ``key=True`` (an array element has no key: its value), falling back to the nearest
ancestor that exists (a missing key is reported at its parent object); a key given twice
resolves to its last occurrence, the one the parsed data holds. Where json-source-map gave up
it now answers too: a key written with escapes (``"\\u00e9"``) or holding ``/`` or ``~`` (the map
keyed its entries by the raw text, so the pointer missed them and fell back to the parent), and
a document nested too deep for the map's recursion.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml


def yaml_loader() -> type:
    """libyaml's loader where PyYAML was built with it; imported only when YAML is read."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _tokens(pointer: str) -> list[str]:
    return [_unescape(part) for part in pointer.split("/")[1:]] if pointer else []


def locate(text: str, fmt: str, pointer: str, *, key: bool = False, last: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) within ``text`` of the value, or key, at ``pointer``.

    Falls back to the nearest ancestor that exists (a missing key is reported at its parent
    object). ``last``: the JSON text may give a key twice (the reader knows), so each key on the
    path is looked for to the end of its object; without it the first match is the only one.
    """
    if fmt == "yaml":
        return _locate_yaml(text, pointer, key)
    offset = PathWalk(text, last).offset(_tokens(pointer), key)
    if offset is None:
        return None
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


_SPACE = r"[ \t\n\r]*"
_WS = re.compile(_SPACE)
# A member's key (group 1, as JSON text) and the ':' after it; the match ends where its value starts.
_KEY = re.compile(rf'("(?:[^"\\]|\\.)*"){_SPACE}:{_SPACE}')
# What follows a value inside a container: ',' (the match ends at the next item) or the bracket closing it.
_AFTER = re.compile(rf"{_SPACE}([,\]}}]){_SPACE}")
_INDEX = re.compile(r"0|[1-9][0-9]*")  # an array index as a JSON pointer writes it
_VALUES = json.JSONDecoder()  # steps over a value at C speed (the text parsed once already: no NaN, no huge ints)


class PathWalk:
    """One walk down a pointer's path through a JSON text, from its first value.

    ``scanned`` is how far into the text the walk has read (the C decoder reads each value it
    steps over whole, and nothing after the target is read); ``steps`` counts the keys and
    elements it passed on the way. A test holds both to the path, not the document.
    """

    def __init__(self, text: str, last: bool = False):
        self.text, self.last = text, last
        self.scanned = 0
        self.steps = 0

    def offset(self, tokens: list[str], key: bool = False) -> int | None:
        """Offset of the value (or key) at the path ``tokens``, else of the deepest ancestor found."""
        try:
            value = self._match(_WS, 0).end()
            found_key = None
            for token in tokens:
                found = self._child(value, token)
                if found is None:
                    return value
                found_key, value = found
            return found_key if key and found_key is not None else value
        except (ValueError, IndexError, RecursionError):  # not the JSON it was parsed from: no position
            return None

    def _child(self, start: int, token: str) -> tuple[int | None, int] | None:
        opener = self.text[start : start + 1]
        if opener == "{":
            return self._member(start, token)
        if opener == "[" and _INDEX.fullmatch(token):
            return self._element(start, int(token))
        return None

    def _member(self, start: int, token: str) -> tuple[int | None, int] | None:
        """(key offset, value offset) of the member named ``token``: its last one with ``last``."""
        found = None
        pos = self._match(_WS, start + 1).end()
        if self.text[pos] == "}":
            return None
        while True:
            member = self._match(_KEY, pos)
            raw = member.group(1)
            self.steps += 1
            if (raw[1:-1] if "\\" not in raw else _VALUES.decode(raw)) == token:
                found = (pos, member.end())
                if not self.last:
                    return found
            after = self._match(_AFTER, self._skip_value(member.end()))
            if after.group(1) != ",":
                return found
            pos = after.end()

    def _element(self, start: int, index: int) -> tuple[int | None, int] | None:
        pos = self._match(_WS, start + 1).end()
        if self.text[pos] == "]":
            return None
        for _ in range(index):
            self.steps += 1
            after = self._match(_AFTER, self._skip_value(pos))
            if after.group(1) != ",":
                return None
            pos = after.end()
        return None, pos

    def _skip_value(self, pos: int) -> int:
        end = _VALUES.raw_decode(self.text, pos)[1]
        self.scanned = end
        return end

    def _match(self, pattern: re.Pattern[str], pos: int) -> re.Match[str]:
        found = pattern.match(self.text, pos)
        if found is None:
            raise ValueError(f"not JSON at {pos}")
        self.scanned = found.end()
        return found


def _locate_yaml(text: str, pointer: str, key: bool) -> tuple[int, int] | None:
    import yaml

    node = _yaml_node(text)
    key_node = None
    for part in [_unescape(p) for p in pointer.split("/")[1:]] if pointer else []:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return None
            key_node, node = match
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            key_node, node = None, node.value[int(part)]
        else:
            return None
    if node is None:
        return None
    mark = (key_node if key and key_node is not None else node).start_mark
    return mark.line + 1, mark.column + 1


@lru_cache(maxsize=8)
def _yaml_node(text: str) -> yaml.Node | None:
    import yaml

    try:
        return yaml.compose(text, Loader=yaml_loader())
    except yaml.YAMLError:
        return None


def yaml_duplicate_key(node: yaml.Node) -> tuple[str, yaml.Mark] | None:
    """The first mapping key given twice in a YAML document, with its second position."""
    import yaml

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        return key_node.value, key_node.start_mark
                    seen.add(key_node.value)
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None
