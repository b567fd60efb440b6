"""validate's reporters over hand-made results, rendered onto a stream the test gives them:
one line per finding and a summary, JSON, annotations, SARIF and GitLab code quality."""

from __future__ import annotations

import io
import json

import pytest

from optctl.contract.checker import DocumentReport, ValidationResult
from optctl.contract.findings import Finding
from optctl.render import code_scanning
from optctl.render import findings as reporters

UNKNOWN = Finding("unknown-key", "error", "/cache/enabeld", "unknown key 'enabeld'", "did you mean 'enabled'?", None, 7, 7)
TTL = Finding(
    "ttl-not-offered", "warning", "/cache/default_ttl_seconds", "600 s is not a TTL the provider offers", "use 300", "600"
)
RESULT = ValidationResult(
    [
        DocumentReport("configs/query.json", None, "optimization", [UNKNOWN, TTL]),
        DocumentReport("exports/all.jsonl", 3, "ai-config", []),
    ]
)


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch):
    """A stream is a terminal to rich only when it says so, unless these are set: not here."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)


def plain() -> io.StringIO:
    """A stream like stdout in a pipe: no terminal, so no colour."""
    return io.StringIO()


def written(out: io.StringIO) -> str:
    return out.getvalue()


def test_text_is_a_line_per_finding_then_the_counts():
    out = plain()
    reporters.text_report(RESULT, out)
    assert written(out).splitlines() == [
        "configs/query.json:7:7: error[unknown-key] /cache/enabeld: unknown key 'enabeld'; did you mean 'enabled'?",
        "configs/query.json: warning[ttl-not-offered] /cache/default_ttl_seconds: 600 s is not a TTL the provider offers (got 600); use 300",
        "2 documents in 2 files: 1 error, 1 warning, invalid",
    ]


def test_a_document_without_a_line_is_placed_by_its_index():
    out = plain()
    late = Finding("unknown-kind", "error", "", "cannot tell what kind of document this is")
    reporters.text_report(ValidationResult([DocumentReport("all.jsonl", 4, None, [late])]), out)
    assert written(out).splitlines()[0] == "all.jsonl[4]: error[unknown-kind] cannot tell what kind of document this is"


def test_text_in_colour_says_the_same_with_styles(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich's way to call a stream a terminal
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    reporters.text_report(RESULT, out)
    assert "\x1b[1mconfigs/query.json:7:7: \x1b[0m\x1b[31merror[unknown-key] \x1b[0m/cache/enabeld" in written(out)
    assert "\x1b[33mwarning[ttl-not-offered] \x1b[0m" in written(out)
    assert written(out).splitlines()[-1] == "2 documents in 2 files: 1 error, 1 warning, \x1b[31minvalid\x1b[0m"


def test_a_terminal_without_colours_gets_the_lines_a_pipe_gets(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")  # a terminal rich gives no colour system
    dumb, piped = io.StringIO(), io.StringIO()
    reporters.text_report(RESULT, dumb)
    monkeypatch.delenv("FORCE_COLOR")
    reporters.text_report(RESULT, piped)
    assert written(dumb) == written(piped) and "\x1b" not in written(dumb)


def test_markup_in_a_message_is_printed_as_written():
    out = plain()
    odd = Finding("x", "error", "/a", "[bold]not markup[/] :warning:", None, "[1]", 1, 1)
    reporters.text_report(ValidationResult([DocumentReport("a.json", None, "optimization", [odd])]), out)
    assert written(out).splitlines()[0] == "a.json:1:1: error[x] /a: [bold]not markup[/] :warning: (got [1])"


def test_strict_says_why_warnings_fail():
    out = plain()
    reporters.text_report(ValidationResult([DocumentReport("a.json", None, "optimization", [TTL])], strict=True), out)
    assert written(out).splitlines()[-1] == "1 document in 1 file: 0 errors, 1 warning, invalid (--strict: warnings fail)"


def test_skipped_documents_are_counted_in_the_summary():
    out = plain()
    reporters.text_report(ValidationResult([DocumentReport("a.json", None, "optimization", [])], skipped=[("p.json", None)]), out)
    assert written(out) == "1 document in 1 file: 0 errors, 0 warnings, valid; 1 of no optctl kind skipped\n"


def test_json_has_one_entry_per_document_without_severities():
    out = plain()
    reporters.json_report(RESULT, out)
    payload = json.loads(written(out))
    assert payload["schema_version"] == 1 and payload["valid"] is False
    assert [(f["path"], f["index"], f["valid"], len(f["errors"]), len(f["warnings"])) for f in payload["files"]] == [
        ("configs/query.json", None, False, 1, 1),
        ("exports/all.jsonl", 3, True, 0, 0),
    ]
    assert payload["files"][0]["errors"][0] == {
        "code": "unknown-key",
        "pointer": "/cache/enabeld",
        "line": 7,
        "column": 7,
        "message": "unknown key 'enabeld'",
        "hint": "did you mean 'enabled'?",
        "value": None,
    }


def test_github_annotations_escape_what_would_break_a_workflow_command():
    out = plain()
    odd = Finding("x", "warning", "", "first\nsecond 100% [red]", None, None, 1, 2)
    reporters.github_report(ValidationResult([DocumentReport("dir,with:odd.json", None, "optimization", [odd])]), out)
    first, verdict = written(out).splitlines()
    assert first == "::warning file=dir%2Cwith%3Aodd.json,line=1,col=2,title=optctl x::first%0Asecond 100%25 [red]"
    assert verdict == "optctl validate: valid"


def test_github_strict_makes_warnings_errors_and_a_finding_without_a_line_has_no_place():
    out = plain()
    reporters.github_report(ValidationResult([DocumentReport("a.json", None, "optimization", [TTL])], strict=True), out)
    assert written(out).splitlines()[0].startswith("::error file=a.json,title=optctl ttl-not-offered::/cache/")


def test_sarif_results_carry_rule_level_place_and_pointer():
    out = plain()
    code_scanning.sarif_report(RESULT, out)
    (run,) = json.loads(written(out))["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["ttl-not-offered", "unknown-key"]
    unknown, ttl = run["results"]
    assert (unknown["ruleId"], unknown["ruleIndex"], unknown["level"]) == ("unknown-key", 1, "error")
    location = unknown["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "configs/query.json", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7, "startColumn": 7},
    }
    assert ttl["level"] == "warning" and ttl["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert unknown["properties"] == {"pointer": "/cache/enabeld"}


def test_codequality_issues_are_gitlab_s_shape():
    out = plain()
    code_scanning.codequality_report(RESULT, out)
    first, second = json.loads(written(out))
    assert first["check_name"] == "unknown-key" and first["severity"] == "major"
    assert first["location"] == {"path": "configs/query.json", "lines": {"begin": 7}}
    assert second["severity"] == "minor" and second["description"].endswith("(got 600); use 300")
    assert len({first["fingerprint"], second["fingerprint"]}) == 2


def test_nothing_reaches_stdout_but_through_the_stream(capsys):
    for report in (reporters.text_report, reporters.json_report, reporters.github_report):
        report(RESULT, plain())
    for report in (code_scanning.sarif_report, code_scanning.codequality_report):
        report(RESULT, plain())
    assert capsys.readouterr() == ("", "")
