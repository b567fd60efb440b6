"""Reading documents: every format, positions in the file, problems that do not hide each other."""

import pytest

from optctl.documents.reader import ParseProblem, iter_paths, read_documents
from optctl.errors import UsageError


def read(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return list(read_documents(str(path)))


def test_array_elements_are_separate_documents_with_file_positions(tmp_path):
    docs = read(tmp_path, "a.json", '[{"a": 1},\n  {"cache": {"enabled": true}}]')
    assert [d.index for d in docs] == [0, 1]
    assert docs[1].data == {"cache": {"enabled": True}}
    assert docs[1].position("/cache/enabled") == (2, 25)
    assert docs[1].position("/cache/enabled", key=True) == (2, 14)


def test_missing_pointer_falls_back_to_the_nearest_parent(tmp_path):
    [doc] = read(tmp_path, "o.json", '{\n  "cache": {}\n}')
    assert doc.position("/cache/enabled") == (2, 12)


def test_jsonl_problem_does_not_hide_later_lines(tmp_path):
    items = read(tmp_path, "x.jsonl", '{"a": 1}\n\n{oops\n{"b": 2}\n')
    assert [type(i).__name__ for i in items] == ["SourceDocument", "ParseProblem", "SourceDocument"]
    assert items[1].line == 3 and items[2].line == 4 and items[2].index == 2


def test_several_json_values_in_a_json_file_are_read_as_json_lines(tmp_path):
    items = read(tmp_path, "x.json", '{"a": 1}\n{"b": 2}\n')
    assert [i.data for i in items] == [{"a": 1}, {"b": 2}]


def test_duplicate_keys_are_located_at_the_repeated_key(tmp_path):
    [problem] = read(tmp_path, "d.json", '{"cache": {\n  "enabled": true,\n  "enabled": false}}')
    assert isinstance(problem, ParseProblem)
    assert (problem.code, problem.line, problem.column) == ("duplicate-key", 3, 3)
    assert "/cache/enabled" in problem.message


def test_yaml_positions_and_streams(tmp_path):
    items = read(tmp_path, "s.yaml", "cache:\n  enabled: false\n---\nprovider: anthropic\n")
    assert [i.index for i in items] == [0, 1]
    assert items[0].position("/cache/enabled") == (2, 12)
    assert items[1].position("/provider") == (4, 11)


def test_unreadable_inputs_raise_usage_errors(tmp_path):
    (tmp_path / "bin.json").write_bytes(b"\x00\x01")
    (tmp_path / "l1.jsonl").write_bytes(b'{"a": "\xff"}\n')
    for name, words in (("bin.json", "binary"), ("l1.jsonl", "l1.jsonl:1:8: not UTF-8")):
        with pytest.raises(UsageError, match=words):
            list(read_documents(str(tmp_path / name)))


def test_folders_expand_to_known_suffixes_in_order(tmp_path):
    for name in ("b.json", "a.yaml", "sub/c.jsonl", "skip.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}")
    assert [p.rsplit("/", 1)[1] for p in iter_paths([str(tmp_path)])] == ["a.yaml", "b.json", "c.jsonl"]
    assert [p.rsplit("/", 1)[1] for p in iter_paths([str(tmp_path)], glob="*.txt")] == ["skip.txt"]


def test_a_list_of_chat_messages_is_one_document(tmp_path):
    [doc] = read(tmp_path, "chat.json", '[{"role": "system", "content": "x"},\n {"role": "user", "content": "y"}]')
    assert doc.index is None and len(doc.data) == 2
    assert doc.position("/1/content") == (2, 30)
