"""A JSON array's documents get their file positions in one pass over the text.

The reader used to count newlines from the top of the file for every element, which made a
10,000-document array thirty times slower than the same documents as JSON Lines. These tests
count the characters scanned for positions, not time, so they hold on a loaded machine.
"""

import json

import pytest

from optctl.documents import reader
from optctl.documents.reader import LineCounter, ParseProblem, read_documents


def naive(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


@pytest.fixture
def counters(monkeypatch):
    """Every LineCounter the reader makes while a test runs."""
    made: list[LineCounter] = []

    class Recorded(LineCounter):
        def __init__(self, text):
            super().__init__(text)
            made.append(self)

    monkeypatch.setattr(reader, "LineCounter", Recorded)
    return made


def write_array(tmp_path, documents: list) -> tuple:
    """The file, and the offset where each element starts."""
    text, starts = "[\n", []
    for i, document in enumerate(documents):
        text += ",\n  " if i else "  "
        starts.append(len(text))
        text += json.dumps(document, indent=2)
    path = tmp_path / "export.json"
    path.write_text(text + "\n]\n")
    return path, starts


@pytest.mark.parametrize("count", [10, 1000])
def test_positions_of_every_element_cost_one_pass_over_the_file(tmp_path, counters, count):
    path, starts = write_array(
        tmp_path, [{"_key": f"s{i}", "optimization": {"cache": {"enabled": i % 2 == 0}}} for i in range(count)]
    )
    text = path.read_text()
    docs = list(read_documents(str(path)))
    assert sum(c.scanned for c in counters) <= len(text)
    assert [(d.line, d.column) for d in docs] == [naive(text, start) for start in starts]


def test_positions_inside_a_late_element_are_file_positions(tmp_path):
    path, _ = write_array(tmp_path, [{"_key": f"s{i}", "cache": {"enabled": True}} for i in range(50)])
    text = path.read_text()
    last = list(read_documents(str(path)))[-1]
    value = text.rindex('"enabled": true') + len('"enabled": ')
    assert last.position("/cache/enabled") == naive(text, value)


def test_a_syntax_error_in_a_late_element_is_placed_exactly(tmp_path, counters):
    good = ",\n".join(json.dumps({"_key": f"s{i}"}) for i in range(200))
    text = "[" + good + ',\n  {"_key": oops}\n]'
    path = tmp_path / "bad.json"
    path.write_text(text)
    *docs, problem = read_documents(str(path))
    assert len(docs) == 200 and isinstance(problem, ParseProblem)
    assert (problem.line, problem.column, problem.index) == (*naive(text, text.index("oops")), 200)
    assert sum(c.scanned for c in counters) <= len(text)


def test_a_missing_comma_is_placed_at_the_element_that_follows(tmp_path):
    text = '[{"a": 1},\n {"b": 2}\n {"c": 3}]'
    path = tmp_path / "comma.json"
    path.write_text(text)
    *_, problem = read_documents(str(path))
    assert (problem.line, problem.column, problem.code) == (3, 2, "syntax")


def test_line_counter_matches_counting_from_the_top_in_any_order():
    text = "ab\ncd\n\nefg\nh"
    offsets = [0, 1, 2, 3, 6, 7, 11, 12, 4, 0, 12]  # a step back starts again from the top
    counter = LineCounter(text)
    assert [counter.at(o) for o in offsets] == [naive(text, o) for o in offsets]
