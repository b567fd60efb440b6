"""`optctl validate` as CI and pre-commit run it: every problem reported, one line each, right exit code."""

import io
import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optctl.cli.app import main

SECRET = "sk-ant-api03-DO-NOT-PRINT-0000"
GOOD_DOC = {
    "_key": "indexing",
    "provider": "anthropic",
    "isDefault": True,
    "configuration": {"apiKey": SECRET, "model": "claude-sonnet-4-5-20250929"},
    "optimization": {"cache": {"enabled": False, "min_tokens_to_cache": 1024}, "provider": "anthropic"},
}


def run(capsys, *args):
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert SECRET not in out + err
    return code, out, err


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def test_valid_document_exits_zero(tmp_path, capsys):
    code, out, _ = run(capsys, write(tmp_path, "ok.json", json.dumps(GOOD_DOC)))
    assert code == 0
    assert "0 errors" in out


def test_every_problem_is_reported_with_line_column_and_hint(tmp_path, capsys):
    doc = json.loads(json.dumps(GOOD_DOC))
    doc["optimization"]["cache"] = {"enabeld": True, "min_tokens_to_cache": "2048", "enabled": "true"}
    path = write(tmp_path, "bad.json", json.dumps(doc, indent=2))
    code, out, _ = run(capsys, "-o", "json", path)
    assert code == 1
    report = json.loads(out)
    assert report["schema_version"] == 1 and report["valid"] is False
    errors = {e["pointer"]: e for e in report["files"][0]["errors"]}
    assert set(errors) == {
        "/optimization/cache/enabeld",
        "/optimization/cache/min_tokens_to_cache",
        "/optimization/cache/enabled",
    }
    assert errors["/optimization/cache/enabeld"]["hint"] == "did you mean 'enabled'?"
    assert errors["/optimization/cache/enabled"]["code"] == "wrong-type"
    lines = open(path).read().splitlines()
    for error in errors.values():
        assert error["line"] is not None
        assert lines[error["line"] - 1][error["column"] - 1] == '"'  # points at the key or the string value


def test_github_annotations(tmp_path, capsys):
    path = write(tmp_path, "opt.json", '{"cache": {"enabled": 1}}')
    code, out, _ = run(capsys, "--output", "github", path)
    assert code == 1
    assert out.splitlines()[0].startswith(f"::error file={path.replace(':', '%3A')},line=1,col=23,")


def test_apikey_in_a_wrong_place_is_never_printed(tmp_path, capsys):
    doc = json.loads(json.dumps(GOOD_DOC))
    doc["configuration"]["apiKey"] = [SECRET]  # wrong type: the value must still not show
    doc["optimization"]["cache"]["apiKey"] = SECRET  # unknown key holding a secret
    for fmt in ("text", "json", "github"):
        code, out, err = run(capsys, "-o", fmt, write(tmp_path, "leak.json", json.dumps(doc)))
        assert code == 1


def test_warnings_pass_unless_strict(tmp_path, capsys):
    doc = json.loads(json.dumps(GOOD_DOC))
    doc["optimization"]["batch"] = {"enabled": True}
    path = write(tmp_path, "warn.json", json.dumps(doc))
    assert run(capsys, path)[0] == 0
    code, out, _ = run(capsys, "--strict", path)
    assert code == 1 and "batch-not-implemented" in out


@pytest.mark.parametrize(
    ("name", "content", "code", "expected"),
    [
        ("empty.json", "", 1, "empty.json:1:1: error[empty]"),
        ("trailing.json", '{"cache": {"enabled": true,}}', 1, "trailing.json:1:28: error[syntax]"),
        ("single.json", "{'cache': {}}", 1, "single.json:1:2: error[syntax]"),
        ("dup.json", '{"cache": {"enabled": true,\n "enabled": false}}', 1, "dup.json:2:2: error[duplicate-key]"),
        ("nan.json", '{"cache": {"min_tokens_to_cache": NaN}}', 1, "nan.json:1:35: error[not-json-number]"),
        ("inf.json", '{"cache": {"min_tokens_to_cache": -Infinity}}', 1, "inf.json:1:35: error[not-json-number]"),
        ("bom.json", "\ufeff{}", 1, "bom.json:1:1: error[bom]"),
        ("deep.json", "[" * 10000 + "]" * 10000, 1, "deep.json:1:2: error[too-deep]"),
        ("dup.yaml", "cache:\n  enabled: true\n  enabled: false\n", 1, "dup.yaml:3:3: error[duplicate-key]"),
        ("latin1.json", b'{"provider": "caf\xe9"}', 2, "latin1.json:1:18: error[unreadable] not UTF-8"),
        ("binary.json", b"\x00\x01\x02\xff", 2, "binary.json: error[unreadable] binary file"),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, capsys, name, content, code, expected):
    got, out, _ = run(capsys, write(tmp_path, name, content))
    assert got == code
    problem_lines = [line for line in out.splitlines() if "error[" in line]
    assert len(problem_lines) == 1
    assert problem_lines[0].replace(str(tmp_path) + "/", "").startswith(expected)


def test_huge_single_document_is_refused_with_advice(tmp_path, capsys):
    path = tmp_path / "huge.json"
    with open(path, "w") as f:
        f.write('{"cache": {}, "pad": "')
        f.write("x" * (100 * 1024 * 1024))
        f.write('"}')
    code, out, _ = run(capsys, str(path))
    assert code == 2
    assert "JSON Lines" in out


def test_missing_path_and_empty_folder_are_usage_errors(tmp_path, capsys):
    code, _, err = run(capsys, str(tmp_path / "nope.json"))
    assert code == 2 and "no such file or folder" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, str(tmp_path / "empty"))
    assert code == 2 and "folder has no" in err


def test_folder_jsonl_array_and_yaml_are_all_read(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    write(tmp_path, "d/export.jsonl", "\n".join(json.dumps(dict(GOOD_DOC, _key=f"s{i}")) for i in range(3)))
    write(tmp_path, "d/array.json", json.dumps([GOOD_DOC, {"cache": {"enabled": False}}]))
    write(tmp_path, "d/opt.yaml", "cache:\n  enabled: false\nprovider: anthropic\n")
    write(tmp_path, "d/notes.txt", "not read")
    code, out, _ = run(capsys, "-o", "json", str(tmp_path / "d"))
    report = json.loads(out)
    assert code == 0
    assert sorted((f["path"].rsplit("/", 1)[1], f["index"], f["kind"]) for f in report["files"]) == [
        ("array.json", 0, "ai-config"),
        ("array.json", 1, "optimization"),
        ("export.jsonl", 0, "ai-config"),
        ("export.jsonl", 1, "ai-config"),
        ("export.jsonl", 2, "ai-config"),
        ("opt.yaml", None, "optimization"),
    ]


def test_jsonl_line_numbers_point_at_the_bad_line(tmp_path, capsys):
    lines = [json.dumps(GOOD_DOC), json.dumps({**GOOD_DOC, "isDefault": "yes"}), "{broken"]
    code, out, _ = run(capsys, "-o", "json", write(tmp_path, "x.jsonl", "\n".join(lines)))
    files = json.loads(out)["files"]
    assert code == 1
    assert [f["valid"] for f in files] == [True, False, False]
    assert files[1]["errors"][0]["line"] == 2 and files[2]["errors"][0]["line"] == 3


def test_stdin_and_forced_kind(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"provider": null}')))
    code, out, _ = run(capsys, "--kind", "optimization", "-")
    assert code == 0
    code, _, err = run(capsys, "--kind", "nonsense", "-")
    assert code == 2 and "--kind 'nonsense'" in err


def test_semantic_errors_and_warnings(tmp_path, capsys):
    doc = json.loads(json.dumps(GOOD_DOC))
    doc["provider"] = "openai"
    doc["optimization"] = {"cache": {"enabled": True, "default_ttl_seconds": 600}, "provider": "anthropic"}
    code, out, _ = run(capsys, "-o", "json", write(tmp_path, "sem.json", json.dumps(doc)))
    file = json.loads(out)["files"][0]
    assert code == 1
    assert {e["code"] for e in file["errors"]} == {"provider-mismatch"}
    assert {w["code"] for w in file["warnings"]} == {"ttl-not-offered"}


byte_strings = st.binary(max_size=200)
json_docs = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["cache", "enabled", "_key", "configuration", "apiKey", "provider", "x"]), inner, max_size=4
        )
    ),
    max_leaves=10,
)


@given(
    st.one_of(byte_strings, json_docs.map(lambda d: json.dumps(d).encode())),
    st.sampled_from(["f.json", "f.jsonl", "f.yaml", "f"]),
)
def test_fuzz_never_a_traceback(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    stdout, stderr = io.StringIO(), io.StringIO()
    real = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        code = main(["validate", "-o", "json", str(path)])
    finally:
        sys.stdout, sys.stderr = real
    assert code in (0, 1, 2), stderr.getvalue()
    assert "Traceback" not in stdout.getvalue() + stderr.getvalue()
    if code != 2:
        json.loads(stdout.getvalue())
