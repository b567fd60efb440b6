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
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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


class Locator:
    """1-based (line, column) within one document's text of the value, or key, at a JSON pointer.

    A missing pointer falls back to its nearest ancestor that exists (a missing key is reported
    at its parent object). One locator serves every problem of a document, and what one lookup
    learnt (where each member of an object is, each line of the text starts) serves the next:
    a document with 100,000 problems is read once, not once per problem. ``last``: the JSON text
    gives some key twice (the reader knows), so a key is looked for to the end of its object.
    """

    def __init__(self, text: str, fmt: str, last: bool = False):
        self.text = text
        self.index = YamlIndex(text) if fmt == "yaml" else PathIndex(text, last)
        self._newlines: list[int] | None = None
        self._counted = False

    def position(self, pointer: str, key: bool = False) -> tuple[int, int] | None:
        if isinstance(self.index, YamlIndex):
            return self.index.position(_tokens(pointer), key)
        offset = self.index.offset(_tokens(pointer), key)
        return None if offset is None else self._line_column(offset)

    def _line_column(self, offset: int) -> tuple[int, int]:
        if self._newlines is None:
            if not self._counted:  # the first problem: count the lines up to it (C speed, no table)
                self._counted = True
                return self.text.count("\n", 0, offset) + 1, offset - (self.text.rfind("\n", 0, offset) + 1) + 1
            # a second problem: a table of where each line starts, for this one and every later one
            self._newlines = [found.start() for found in re.finditer("\n", self.text)] if "\n" in self.text else []
        line = bisect_left(self._newlines, offset)
        return line + 1, offset - (self._newlines[line - 1] + 1 if line else 0) + 1


_SPACE = r"[ \t\n\r]*"
_WS = re.compile(_SPACE)
# A member's key (group 1, as JSON text) and the ':' after it; the match ends where its value starts.
_KEY = re.compile(rf'("(?:[^"\\]|\\.)*"){_SPACE}:{_SPACE}')
# What follows a value inside a container: ',' (the match ends at the next item) or the bracket closing it.
_AFTER = re.compile(rf"{_SPACE}([,\]}}]){_SPACE}")
# A whole member with a key and a value written without escapes, the value a string, number,
# true, false or null (most members): group 1 the key, group 2 the value, group 3 what follows it.
_SCALAR_MEMBER = re.compile(rf'"([^"\\]*)"{_SPACE}:{_SPACE}("[^"\\]*"|-?[0-9][0-9.eE+-]*|true|false|null){_SPACE}([,}}]){_SPACE}')
_INDEX = re.compile(r"0|[1-9][0-9]*")  # an array index as a JSON pointer writes it
_VALUES = json.JSONDecoder()  # steps over a value at C speed (the text parsed once already: no NaN, no huge ints)


@dataclass
class _Read:
    """How far one object or array of the text has been read: the members (name -> key and value
    offsets) or elements (value offsets) found so far, and where to go on from."""

    resume: int  # after the opening bracket, or the value of the last item read
    at_value: bool = False  # ``resume`` is an item's value, still to be stepped over
    done: bool = False  # the closing bracket was reached
    members: dict[str, tuple[int, int]] = field(default_factory=dict)
    elements: list[int] = field(default_factory=list)


class PathIndex:
    """Offsets in a JSON text of the values at pointers, read lazily down each pointer's path.

    At each level the keys (or elements) before the one looked for are read and their values
    stepped over with the C decoder; nothing after it is read until a later lookup needs it, and
    nothing is read twice. ``scanned`` counts the characters read (the values stepped over
    included) and ``steps`` the keys and elements passed: tests hold both to the path.
    """

    def __init__(self, text: str, last: bool = False):
        self.text, self.last = text, last
        self.scanned = 0
        self.steps = 0
        self._read: dict[int, _Read] = {}  # by the offset of the object's or array's opening bracket
        self._start: int | None = None

    def offset(self, tokens: list[str], key: bool = False) -> int | None:
        """Offset of the value (or key) at the path ``tokens``, else of the deepest ancestor found."""
        try:
            if self._start is None:
                self._start = self._match(_WS, 0).end()
            value, found_key = self._start, None
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
            return self._member(self._container(start), token)
        if opener == "[" and _INDEX.fullmatch(token):
            index, read = int(token), self._container(start)
            while len(read.elements) <= index:
                if self._next_item(read, "]") is None:
                    return None
            return None, read.elements[index]
        return None

    def _container(self, start: int) -> _Read:
        read = self._read.get(start)
        if read is None:
            read = self._read[start] = _Read(start + 1)
        return read

    def _member(self, read: _Read, token: str) -> tuple[int, int] | None:
        """(key offset, value offset) of the member named ``token``: its last one with ``last``.

        The loop is written out (no helper per step): it runs for each key before the one
        wanted, for every document with a problem. A member with a plain key and a scalar value
        is stepped over in one match; any other is read key first, its value by the C decoder.
        """
        members, last = read.members, self.last
        if token in members and (read.done or not last):
            return members[token]
        text, pos, scanned = self.text, read.resume, 0
        while not read.done:
            if read.at_value:  # step over the last member's value, then the ',' (or the closing '}')
                end = _VALUES.raw_decode(text, pos)[1]
                after = _AFTER.match(text, end)
                if after is None:
                    raise ValueError(f"not JSON at {end}")
                scanned += after.end() - pos
                if after.group(1) != ",":
                    read.done = True
                    break
                pos = after.end()
            else:  # at the first key, or the '}' of an empty object
                if text[pos] in " \t\n\r":
                    pos = self._match(_WS, pos).end()
                if text[pos] == "}":
                    read.done = True
                    break
            self.steps += 1
            simple = _SCALAR_MEMBER.match(text, pos)
            if simple is not None:
                name, value = simple.group(1), simple.start(2)
            else:
                member = _KEY.match(text, pos)
                if member is None:
                    raise ValueError(f"not JSON at {pos}")
                raw, value = member.group(1), member.end()
                name = raw[1:-1] if "\\" not in raw else _VALUES.decode(raw)
            if last or name not in members:
                members[name] = (pos, value)
            if simple is None or (name == token and not last):
                scanned += value - pos
                pos, read.resume, read.at_value = value, value, True
                if name == token and not last:
                    break
                continue
            scanned += simple.end() - pos
            if simple.group(3) != ",":
                read.done = True
                break
            pos = read.resume = simple.end()  # at the next key
            read.at_value = False
        self.scanned += scanned
        return members.get(token)

    def _next_item(self, read: _Read, closer: str) -> int | None:
        """Offset of the next item of a container (an array's is recorded), None at its end."""
        if read.done:
            return None
        if read.at_value:
            after = self._match(_AFTER, self._skip_value(read.resume))
            if after.group(1) != ",":
                read.done = True
                return None
            pos = after.end()
        else:
            pos = self._match(_WS, read.resume).end()
            if self.text[pos] == closer:
                read.done = True
                return None
        self.steps += 1
        read.resume, read.at_value = pos, True
        if closer == "]":
            read.elements.append(pos)
        return pos

    def _skip_value(self, pos: int) -> int:
        end = _VALUES.raw_decode(self.text, pos)[1]
        self.scanned += end - pos
        return end

    def _match(self, pattern: re.Pattern[str], pos: int) -> re.Match[str]:
        found = pattern.match(self.text, pos)
        if found is None:
            raise ValueError(f"not JSON at {pos}")
        self.scanned += found.end() - pos
        return found


class YamlIndex:
    """Positions in a YAML document from its nodes' marks. Each mapping's keys are indexed the
    first time a pointer goes through it (``steps`` counts the keys indexed), so many problems in
    one mapping cost one pass over it, not one each."""

    def __init__(self, text: str):
        import yaml

        try:
            self.root: Any = yaml.compose(text, Loader=yaml_loader())
        except yaml.YAMLError:
            self.root = None
        self.steps = 0
        self._keys: dict[int, dict[Any, tuple[Any, Any]]] = {}

    def position(self, tokens: list[str], key: bool) -> tuple[int, int] | None:
        import yaml

        node, key_node = self.root, None
        if node is None:
            return None
        for part in tokens:
            if isinstance(node, yaml.MappingNode):
                keys = self._keys.get(id(node))
                if keys is None:
                    keys = self._keys[id(node)] = {}
                    self.steps += len(node.value)
                    for k, v in reversed(node.value):  # the first of a key given twice wins
                        if isinstance(k.value, str):
                            keys[k.value] = (k, v)
                if part not in keys:
                    break
                key_node, node = keys[part]
            elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
                key_node, node = None, node.value[int(part)]
            else:
                break
        else:
            mark = (key_node if key and key_node is not None else node).start_mark
            return mark.line + 1, mark.column + 1
        mark = node.start_mark  # the nearest ancestor that exists
        return mark.line + 1, mark.column + 1


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
