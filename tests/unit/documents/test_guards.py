"""Hostile inputs are refused at their place in the file, quickly, as problems (never a hang or a crash)."""

from __future__ import annotations

import time

import pytest

from optctl.documents.guards import MAX_DEPTH
from optctl.documents.reader import ParseProblem, SourceDocument, read_documents

BILLION_LAUGHS = "".join(
    [f'{chr(97)}: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n']
    + [f"{chr(97 + i)}: &{chr(97 + i)} [{','.join(['*' + chr(96 + i)] * 9)}]\n" for i in range(1, 9)]
)


def read(tmp_path, name: str, text: str) -> list:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    items = list(read_documents(str(path)))
    assert time.monotonic() - started < 2, "reading took seconds"
    return items


def only_problem(items: list) -> ParseProblem:
    assert len(items) == 1 and isinstance(items[0], ParseProblem), items
    return items[0]


def test_a_yaml_alias_inside_its_own_anchor_is_refused_where_it_is(tmp_path):
    problem = only_problem(read(tmp_path, "c.yaml", "a: &x {b: *x}\n"))
    assert (problem.code, problem.line, problem.column) == ("yaml-alias", 1, 11)
    assert "write the value out in full" in problem.message


def test_billion_laughs_is_refused_in_well_under_a_second(tmp_path):
    assert len(BILLION_LAUGHS) < 600 and "i: &i" in BILLION_LAUGHS
    problem = only_problem(read(tmp_path, "laughs.yaml", BILLION_LAUGHS))
    assert (problem.code, problem.line) == ("yaml-alias", 2)


def test_an_alias_in_a_later_document_of_a_stream_names_that_document(tmp_path):
    problem = only_problem(read(tmp_path, "s.yaml", "a: 1\n---\nb: &k [1]\nc: *k\n"))
    assert (problem.code, problem.index, problem.line) == ("yaml-alias", 1, 4)


def test_anchors_without_aliases_and_stars_inside_strings_are_read(tmp_path):
    [doc] = read(tmp_path, "ok.yaml", 'a: &x [1]\nb: "*x is fine in a string"\nc: not *an alias\n')
    assert isinstance(doc, SourceDocument) and doc.data["b"] == "*x is fine in a string"


@pytest.mark.parametrize(
    "name, text, column",
    [
        ("big.json", '{"a": ' + "9" * 5000 + "}", 7),
        ("big.jsonl", '{"a": [1, -' + "9" * 4301 + "]}\n", 11),
        ("big.yaml", "a: " + "9" * 5000 + "\n", 4),
    ],
)
def test_an_integer_longer_than_python_converts_is_a_problem_at_the_number(tmp_path, name, text, column):
    problem = only_problem(read(tmp_path, name, text))
    assert (problem.code, problem.line, problem.column) == ("number-too-long", 1, column)
    assert "digits" in problem.message


def test_an_integer_at_the_limit_is_read(tmp_path):
    [doc] = read(tmp_path, "ok.json", '{"a": ' + "9" * 4300 + "}")
    assert isinstance(doc, SourceDocument) and len(str(doc.data["a"])) == 4300


@pytest.mark.parametrize(
    "text, column",
    [
        ('{"cache": {"enabled": "x\\ud800"}}', 25),
        ('{"\\udc00": 1}', 3),
    ],
)
def test_a_lone_surrogate_is_a_problem_at_its_escape(tmp_path, text, column):
    problem = only_problem(read(tmp_path, "s.json", text))
    assert (problem.code, problem.line, problem.column) == ("lone-surrogate", 1, column)


def test_a_surrogate_pair_and_an_escaped_backslash_are_read(tmp_path):
    [doc] = read(tmp_path, "ok.json", '{"a": "\\ud83d\\ude00", "b": "\\\\ud800"}')
    assert doc.data == {"a": "\U0001f600", "b": "\\ud800"}


def test_a_lone_surrogate_in_one_json_line_leaves_the_others(tmp_path):
    items = read(tmp_path, "x.jsonl", '{"a": 1}\n{"a": "\\ud800"}\n{"a": 3}\n')
    assert [type(i).__name__ for i in items] == ["SourceDocument", "ParseProblem", "SourceDocument"]
    assert (items[1].line, items[1].column, items[1].index) == (2, 8, 1)


@pytest.mark.parametrize(
    "name, text",
    [
        ("deep.json", "[" * 1000 + "]" * 1000),
        ("deep.yaml", "[" * 999 + "]" * 999),
        ("block.yaml", "".join("  " * i + "a:\n" for i in range(500)) + "  " * 500 + "b: 1\n"),
    ],
)
def test_nesting_past_the_bound_is_a_problem(tmp_path, name, text):
    assert only_problem(read(tmp_path, name, text)).code == "too-deep"


def test_nesting_at_the_bound_is_read(tmp_path):
    [doc] = read(tmp_path, "ok.json", '{"a": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}")
    assert isinstance(doc, SourceDocument)


def test_a_key_repeated_ten_thousand_times_is_one_problem(tmp_path):
    text = "{" + ",".join(['"a": 1'] * 10_000) + "}"
    [problem] = read(tmp_path, "dup.json", text)
    assert (problem.code, problem.line, problem.column) == ("duplicate-key", 1, text.rfind('"a"') + 1)  # the one that wins
