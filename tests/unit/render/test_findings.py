"""validate's reporters over hand-made results: one line per finding, a summary, JSON, annotations."""

from __future__ import annotations

import json

from optctl.contract.checker import DocumentReport, ValidationResult
from optctl.contract.findings import Finding
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


def test_text_is_a_line_per_finding_then_the_counts(capsys):
    reporters.text_report(RESULT)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "configs/query.json:7:7: error[unknown-key] /cache/enabeld: unknown key 'enabeld'; did you mean 'enabled'?",
        "configs/query.json: warning[ttl-not-offered] /cache/default_ttl_seconds: 600 s is not a TTL the provider offers (got 600); use 300",
        "2 documents in 2 files: 1 error, 1 warning, invalid",
    ]


def test_strict_says_why_warnings_fail(capsys):
    reporters.text_report(ValidationResult([DocumentReport("a.json", None, "optimization", [TTL])], strict=True))
    assert (
        capsys.readouterr().out.splitlines()[-1] == "1 document in 1 file: 0 errors, 1 warning, invalid (--strict: warnings fail)"
    )


def test_json_has_one_entry_per_document_without_severities(capsys):
    reporters.json_report(RESULT)
    payload = json.loads(capsys.readouterr().out)
    assert payload["schema_version"] == 1 and payload["valid"] is False
    assert [(f["path"], f["index"], f["valid"], len(f["errors"]), len(f["warnings"])) for f in payload["files"]] == [
        ("configs/query.json", None, False, 1, 1),
        ("exports/all.jsonl", 3, True, 0, 0),
    ]
    assert "severity" not in payload["files"][0]["errors"][0]


def test_github_annotations_escape_what_would_break_a_workflow_command(capsys):
    odd = Finding("x", "warning", "", "first\nsecond 100%", None, None, 1, 2)
    reporters.github_report(ValidationResult([DocumentReport("dir,with:odd.json", None, "optimization", [odd])]))
    first, verdict = capsys.readouterr().out.splitlines()
    assert first == "::warning file=dir%2Cwith%3Aodd.json,line=1,col=2,title=optctl x::first%0Asecond 100%25"
    assert verdict == "optctl validate: valid"
