"""Reporters for ``validate``: a rich report for people, versioned JSON, GitHub annotations,
each written onto the stream it is given.

rich is imported only where colour may be wanted: in a pipe or a file (``plain``) the report
is the same lines written as they are, so one small file's check in CI or a hook does not pay
rich's start-up (about a tenth of such a run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from optctl.render.console import JSON_OUTPUT_VERSION, Rows, console_on, emit_json_rows, plain

if TYPE_CHECKING:
    from optctl.contract.findings import Finding
    from optctl.contract.checker import DocumentReport, ValidationResult


def _where(report: DocumentReport, finding: Finding) -> str:
    place = report.path
    if finding.line is not None:
        place += f":{finding.line}:{finding.column}"
    elif report.index is not None:
        place += f"[{report.index}]"
    return place


def text_report(result: ValidationResult, out: TextIO) -> None:
    """A line per finding, ``file:line:column: severity[code] pointer: message``, then the counts.

    All the findings go out in one write, not a print each: a 1 MB file can hold 300,000
    problems (issue 15), and without colour the lines are plain strings, never styled text
    that is then flattened again.
    """
    findings = [(report, finding) for report in result.reports for finding in report.findings]
    documents, files, errors, warnings = len(result.reports), result.files, result.error_count, result.warning_count
    counts = (
        f"{documents} document{'s' * (documents != 1)} in {files} file{'s' * (files != 1)}: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, "
    )
    verdict = "valid" if result.valid else "invalid"
    after = (" (--strict: warnings fail)" if result.strict and warnings else "") + (
        f"; {len(result.skipped)} of no optctl kind skipped" if result.skipped else ""
    )
    if plain(out):
        out.write(_plain_lines(findings) + f"{counts}{verdict}{after}\n")
        return
    from rich.text import Text

    console = console_on(out)
    if console.color_system is None:
        out.write(_plain_lines(findings))
    elif findings:
        lines = [
            Text.assemble(
                (f"{_where(report, f)}: ", "bold"),
                (f"{f.severity}[{f.code}] ", "red" if f.severity == "error" else "yellow"),
                f.text(),
            )
            for report, f in findings
        ]
        console.print(Text("\n").join(lines), soft_wrap=True)
    console.print(Text.assemble(counts, (verdict, "green" if result.valid else "red"), after))


def _plain_lines(findings: list[tuple[DocumentReport, Finding]]) -> str:
    return "".join(f"{_where(report, f)}: {f.severity}[{f.code}] {f.text()}\n" for report, f in findings)


def json_report(result: ValidationResult, out: TextIO) -> None:
    """One object per document; past ``COMPACT_AFTER_ROWS`` documents on one line, written as encoded."""
    strict = result.strict

    def finding_json(f: Finding) -> dict:
        return {k: v for k, v in f.to_json().items() if k != "severity"}

    def report_json(r: DocumentReport) -> dict:
        return {
            "path": r.path,
            "index": r.index,
            "kind": r.kind,
            "valid": r.valid(strict),
            "errors": [finding_json(f) for f in r.errors],
            "warnings": [finding_json(f) for f in r.warnings],
        }

    files = Rows(result.reports, report_json)
    payload = {
        "schema_version": JSON_OUTPUT_VERSION,
        "valid": result.valid,
        "files": files,
        "skipped": [{"path": path, "index": index} for path, index in result.skipped],
    }
    emit_json_rows(payload, files, len(result.reports), out)


def github_report(result: ValidationResult, out: TextIO) -> None:
    """Workflow commands, so each problem shows on the pull request's diff; written as they are,
    never through rich (which would read ``[...]`` in a message as markup)."""
    lines = []
    for report in result.reports:
        for finding in report.findings:
            level = "error" if finding.severity == "error" or result.strict else "warning"
            props = f"file={_gh_prop(report.path)}"
            if finding.line is not None:
                props += f",line={finding.line},col={finding.column}"
            props += f",title=optctl {finding.code}"
            lines.append(f"::{level} {props}::{_gh_data(finding.text())}\n")
    lines.append(f"optctl validate: {'valid' if result.valid else 'invalid'}\n")
    out.write("".join(lines))


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")
