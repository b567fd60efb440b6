"""The JSON locator gives the line and column json-source-map gave, walking only the pointer's path.

json-source-map (a test dependency only now) is the reference: on generated documents (nested
objects and arrays, keys given twice, unicode, escapes in strings, every kind of whitespace
between tokens) each pointer of the parsed data, and some that are missing, must be placed
where the map places it, for the value and for the key. Where the map gives up (keys written
with escapes or holding ``/`` or ``~``: it keys entries by raw text) an oracle checks the
answer instead: the text at the offset decodes to the key and to the value the data holds.
The cost is counted, not timed: characters read and keys or elements passed.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import json_source_map
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optctl.documents import positions
from optctl.documents.positions import Locator, PathIndex, YamlIndex, escape

# Keys json-source-map finds: their JSON text is the key itself, with no '/' or '~' in it.
PLAIN_KEYS = st.text(alphabet=st.sampled_from("abcXYZ_ 0-9éß日本😀$."), max_size=4)
# Any key at all: quotes, backslashes, control characters, '/', '~', surrogate pairs.
ANY_KEYS = st.one_of(PLAIN_KEYS, st.text(alphabet=st.sampled_from('a/~"\\\n\t\x01é😀~0~1'), max_size=4))
SPACE = st.sampled_from(["", " ", "\n", "\r\n", "\t", "\n    ", " \n\t "])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)


def locate(text: str, fmt: str, pointer: str, *, key: bool = False, last: bool = False) -> tuple[int, int] | None:
    """A fresh locator's answer (nothing learnt from other lookups)."""
    return Locator(text, fmt, last).position(pointer, key)


def trees(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """JSON values; an object is ("object", [(key, value), ...]) so that a key may come twice."""
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda items: ("array", items)),
            st.lists(st.tuples(keys, inner), max_size=4).map(lambda pairs: ("object", pairs)),
        ),
        max_leaves=14,
    )


def render(tree: Any, draw: Any, ensure_ascii: bool, ascii_keys: bool = False) -> str:
    """The tree as JSON text, with drawn whitespace between every two tokens (``ensure_ascii``:
    strings other than keys escape what is not ASCII; ``ascii_keys``: keys too)."""

    def space() -> str:
        return draw(SPACE)

    if isinstance(tree, tuple):
        kind, items = tree
        if kind == "array":
            inner = ",".join(space() + render(item, draw, ensure_ascii, ascii_keys) + space() for item in items)
            return "[" + (inner or space()) + "]"
        inner = ",".join(
            space()
            + json.dumps(k, ensure_ascii=ascii_keys)
            + space()
            + ":"
            + space()
            + render(v, draw, ensure_ascii, ascii_keys)
            + space()
            for k, v in items
        )
        return "{" + (inner or space()) + "}"
    return json.dumps(tree, ensure_ascii=ensure_ascii)


DECODE = json.JSONDecoder().raw_decode


def parse(text: str) -> tuple[Any, bool]:
    """The data (the last of a key given twice wins, as in the reader) and whether a key came twice."""
    twice = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal twice
        obj = dict(items)
        twice = twice or len(obj) != len(items)
        return obj

    return json.loads(text, object_pairs_hook=pairs), twice


def pointers(value: Any, pointer: str = "", missing: bool = True) -> list[str]:
    """Every pointer of the parsed data and, with ``missing``, one missing child under each container."""
    found = [pointer]
    if isinstance(value, dict):
        found += [f"{pointer}/not-a-key-anywhere"] if missing else []
        for key, child in value.items():
            found.extend(pointers(child, f"{pointer}/{escape(key)}", missing))
    elif isinstance(value, list):
        found += [f"{pointer}/{len(value)}"] if missing else []
        for i, child in enumerate(value):
            found.extend(pointers(child, f"{pointer}/{i}", missing))
    return found


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def source_map_position(text: str, pointer: str, key: bool) -> tuple[int, int] | None:
    """How optctl placed a pointer with json-source-map (its positions module until this change)."""
    entries = source_map(text)
    while True:
        entry = entries.get(pointer)
        if entry is not None:
            place = entry.key_start if key and entry.key_start is not None else entry.value_start
            return place.line + 1, place.column + 1
        if not pointer:
            return None
        pointer, key = pointer.rsplit("/", 1)[0], False


@lru_cache(maxsize=1)
def source_map(text: str) -> dict[str, Any]:
    return json_source_map.calculate(text)


def at(value: Any, pointer: str) -> Any:
    for part in map(unescape, pointer.split("/")[1:]):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def offset_of(text: str, line: int, column: int) -> int:
    return sum(len(row) + 1 for row in text.split("\n")[: line - 1]) + column - 1


@settings(max_examples=100)  # the suite's quick budget: json-source-map itself is slow
@given(st.data(), trees(PLAIN_KEYS), st.booleans(), st.sampled_from(["", " ", "\n"]))
def test_the_locator_places_every_pointer_where_json_source_map_did(data, tree, ensure_ascii, lead):
    text = lead + render(tree, data.draw, ensure_ascii)
    parsed, duplicates = parse(text)
    # Missing pointers only where no key comes twice: a pointer may then be in the earlier, shadowed
    # occurrence alone, which the map placed; the reader never asks (a document with a key twice is
    # reported for it, never checked) and the data has no such place.
    asked = data.draw(st.permutations([(p, key) for p in pointers(parsed, missing=not duplicates) for key in (False, True)]))
    shared = Locator(text, "json", duplicates)  # as the reader asks: one locator for all of a document's problems
    for pointer, key in asked:
        expected = source_map_position(text, pointer, key)
        assert locate(text, "json", pointer, key=key, last=duplicates) == expected, (pointer, key)
        assert shared.position(pointer, key) == expected, (pointer, key)
        # Reading each object to its end never changes an answer, duplicates or not.
        assert locate(text, "json", pointer, key=key, last=True) == expected, (pointer, key)


@settings(max_examples=100)
@given(st.data(), trees(ANY_KEYS), st.booleans(), st.booleans())
def test_any_key_is_placed_at_itself_and_its_value_where_json_source_map_gave_up(data, tree, ensure_ascii, ascii_keys):
    text = render(tree, data.draw, ensure_ascii, ascii_keys)
    parsed, duplicates = parse(text)
    for pointer in pointers(parsed, missing=False):
        value_at = offset_of(text, *locate(text, "json", pointer, last=duplicates))
        assert DECODE(text, value_at)[0] == at(parsed, pointer)
        if pointer and isinstance(at(parsed, pointer.rsplit("/", 1)[0]), dict):
            key_at = offset_of(text, *locate(text, "json", pointer, key=True, last=duplicates))
            assert DECODE(text, key_at)[0] == unescape(pointer.rsplit("/", 1)[1])


def test_escaped_keys_json_source_map_missed_are_found():
    text = '{"caf\\u00e9": {"a/b": 1, "t~": 2}}'
    assert source_map_position(text, "/café/a~1b", False) == (1, 1)  # the map fell back to the top
    assert locate(text, "json", "/café/a~1b") == (1, 23)
    assert locate(text, "json", "/café/t~0", key=True) == (1, 26)


def test_a_key_given_twice_is_its_last_occurrence_and_a_missing_one_its_parent():
    text = '{"cache": {"enabled": true,\n "enabled": false}, "list": [1, 2]}'
    assert locate(text, "json", "/cache/enabled", key=True, last=True) == (2, 2)
    assert locate(text, "json", "/cache/enabled", last=True) == (2, 13)
    assert locate(text, "json", "/cache/nope") == (1, 11)
    assert locate(text, "json", "/list/2") == (2, 29)
    assert locate(text, "json", "/list/01") == (2, 29)  # not how a pointer writes index 1
    assert locate(text, "json", "/list/1/deeper") == (2, 33)
    for pointer in ("/cache/enabled", "/cache/nope", "/list/2", "/list/01", "/list/1/deeper"):
        assert locate(text, "json", pointer, last=True) == source_map_position(text, pointer, False)


def test_a_document_too_deep_for_json_source_map_is_still_placed():
    depth = 600  # past what the map's recursion reached
    text = '{"a": ' * depth + "1" + "}" * depth
    with pytest.raises(RecursionError):
        json_source_map.calculate(text)
    assert locate(text, "json", "/a" * depth) == (1, 6 * depth + 1)


@pytest.fixture
def walks(monkeypatch) -> list[PathIndex]:
    """Every PathIndex the locators make while a test runs."""
    made: list[PathIndex] = []

    class Recorded(PathIndex):
        def __init__(self, text: str, last: bool = False):
            super().__init__(text, last)
            made.append(self)

    monkeypatch.setattr(positions, "PathIndex", Recorded)
    return made


def sections(count: int, size: int) -> str:
    """A pretty-printed document of ``count`` sections, each about ``size`` characters."""
    return json.dumps({f"s{i}": {"cache": {"enabled": True}, "notes": ["x" * 60] * (size // 64)} for i in range(count)}, indent=2)


@pytest.mark.parametrize("size", [1_000, 100_000])
def test_the_walk_never_reads_past_the_target_nor_grows_with_what_follows(walks, size):
    text = sections(10, size)
    target = text.index('"enabled"', text.index('"s2"')) + len('"enabled": ')
    assert locate(text, "json", "/s2/cache/enabled") == (text.count("\n", 0, target) + 1, 18)
    [walk] = walks
    assert walk.steps == 3 + 1 + 1  # s0, s1, s2; cache; enabled
    assert walk.scanned <= target + 1  # the two sections before it, read at C speed, and nothing after


def test_a_problem_early_in_a_one_megabyte_document_reads_a_few_characters(walks):
    text = json.dumps({"optimization": {"cache": {"enabled": "yes"}}, "rest": ["x" * 100] * 10_000})
    assert len(text) > 1_000_000
    assert locate(text, "json", "/optimization/cache/enabled") == (1, text.index('"yes"') + 1)
    assert walks[0].scanned < 60 and walks[0].steps == 3


def test_duplicates_read_each_object_on_the_path_to_its_end_only(walks):
    text = json.dumps({"a": {"b": 1, "c": 2}, "big": ["x" * 100] * 1000}).replace('"c": 2', '"b": 2')
    assert locate(text, "json", "/a/b", key=True, last=True) == (1, 16)
    # the whole document is the top-level object: it is read to its end, the big list at C speed
    assert walks[0].steps == 2 + 2


def test_many_problems_in_one_object_read_it_once():
    count = 20_000
    text = json.dumps({"cache": {f"k{i}": [i] for i in range(count)}}, indent=1)
    locator = Locator(text, "json")
    keys = [locator.position(f"/cache/k{i}", key=True) for i in reversed(range(count))]  # the worst order
    assert isinstance(locator.index, PathIndex)
    assert locator.index.steps == 1 + count and locator.index.scanned <= len(text)
    assert keys[::-1][:3] == [(3, 3), (6, 3), (9, 3)] and keys[0] == (3 * count, 3)  # indent=1: a key every 3 lines
    assert locator.position("/cache/k7/0") == locate(text, "json", "/cache/k7/0") == (25, 4)


def test_many_problems_in_one_yaml_mapping_index_it_once():
    count = 20_000
    text = "cache:\n" + "".join(f"  k{i}: {i}\n" for i in range(count))
    locator = Locator(text, "yaml")
    places = [locator.position(f"/cache/k{i}", key=True) for i in range(count)]
    assert places[:2] == [(2, 3), (3, 3)] and places[-1] == (count + 1, 3)
    assert locator.position("/cache/k5/deeper") == (7, 7)
    assert isinstance(locator.index, YamlIndex) and locator.index.steps == 1 + count
