"""validate's reporters over hand-made results, rendered onto a console the test gives them:
one line per finding and a summary, JSON, annotations, SARIF and GitLab code quality."""

from __future__ import annotations

import io
import json

from rich.console import Console

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


def plain() -> Console:
    """A console like stdout in a pipe: no colour, as wide as any line."""
    return Console(file=io.StringIO(), color_system=None, width=1 << 16, soft_wrap=True, highlight=False, emoji=False)


def written(console: Console) -> str:
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_text_is_a_line_per_finding_then_the_counts():
    console = plain()
    reporters.text_report(RESULT, console)
    assert written(console).splitlines() == [
        "configs/query.json:7:7: error[unknown-key] /cache/enabeld: unknown key 'enabeld'; did you mean 'enabled'?",
        "configs/query.json: warning[ttl-not-offered] /cache/default_ttl_seconds: 600 s is not a TTL the provider offers (got 600); use 300",
        "2 documents in 2 files: 1 error, 1 warning, invalid",
    ]


def test_a_document_without_a_line_is_placed_by_its_index():
    console = plain()
    late = Finding("unknown-kind", "error", "", "cannot tell what kind of document this is")
    reporters.text_report(ValidationResult([DocumentReport("all.jsonl", 4, None, [late])]), console)
    assert written(console).splitlines()[0] == "all.jsonl[4]: error[unknown-kind] cannot tell what kind of document this is"


def test_text_in_colour_says_the_same_with_styles():
    console = Console(
        file=io.StringIO(), color_system="standard", force_terminal=True, width=100, soft_wrap=True, highlight=False, emoji=False
    )
    reporters.text_report(RESULT, console)
    out = written(console)
    assert "\x1b[1mconfigs/query.json:7:7: \x1b[0m\x1b[31merror[unknown-key] \x1b[0m/cache/enabeld" in out
    assert "\x1b[33mwarning[ttl-not-offered] \x1b[0m" in out
    assert out.splitlines()[-1] == "2 documents in 2 files: 1 error, 1 warning, \x1b[31minvalid\x1b[0m"


def test_markup_in_a_message_is_printed_as_written():
    console = plain()
    odd = Finding("x", "error", "/a", "[bold]not markup[/] :warning:", None, "[1]", 1, 1)
    reporters.text_report(ValidationResult([DocumentReport("a.json", None, "optimization", [odd])]), console)
    assert written(console).splitlines()[0] == "a.json:1:1: error[x] /a: [bold]not markup[/] :warning: (got [1])"


def test_strict_says_why_warnings_fail():
    console = plain()
    reporters.text_report(ValidationResult([DocumentReport("a.json", None, "optimization", [TTL])], strict=True), console)
    assert written(console).splitlines()[-1] == "1 document in 1 file: 0 errors, 1 warning, invalid (--strict: warnings fail)"


def test_skipped_documents_are_counted_in_the_summary():
    console = plain()
    reporters.text_report(
        ValidationResult([DocumentReport("a.json", None, "optimization", [])], skipped=[("p.json", None)]), console
    )
    assert written(console) == "1 document in 1 file: 0 errors, 0 warnings, valid; 1 of no optctl kind skipped\n"


def test_json_has_one_entry_per_document_without_severities():
    console = plain()
    reporters.json_report(RESULT, console)
    payload = json.loads(written(console))
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
    console = plain()
    odd = Finding("x", "warning", "", "first\nsecond 100% [red]", None, None, 1, 2)
    reporters.github_report(ValidationResult([DocumentReport("dir,with:odd.json", None, "optimization", [odd])]), console)
    first, verdict = written(console).splitlines()
    assert first == "::warning file=dir%2Cwith%3Aodd.json,line=1,col=2,title=optctl x::first%0Asecond 100%25 [red]"
    assert verdict == "optctl validate: valid"


def test_github_strict_makes_warnings_errors_and_a_finding_without_a_line_has_no_place():
    console = plain()
    reporters.github_report(ValidationResult([DocumentReport("a.json", None, "optimization", [TTL])], strict=True), console)
    assert written(console).splitlines()[0].startswith("::error file=a.json,title=optctl ttl-not-offered::/cache/")


def test_sarif_results_carry_rule_level_place_and_pointer():
    console = plain()
    code_scanning.sarif_report(RESULT, console)
    (run,) = json.loads(written(console))["runs"]
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
    console = plain()
    code_scanning.codequality_report(RESULT, console)
    first, second = json.loads(written(console))
    assert first["check_name"] == "unknown-key" and first["severity"] == "major"
    assert first["location"] == {"path": "configs/query.json", "lines": {"begin": 7}}
    assert second["severity"] == "minor" and second["description"].endswith("(got 600); use 300")
    assert len({first["fingerprint"], second["fingerprint"]}) == 2


def test_nothing_reaches_stdout_but_through_the_console(capsys):
    for report in (reporters.text_report, reporters.json_report, reporters.github_report):
        report(RESULT, plain())
    for report in (code_scanning.sarif_report, code_scanning.codequality_report):
        report(RESULT, plain())
    assert capsys.readouterr() == ("", "")
