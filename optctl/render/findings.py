"""Reporters for ``validate``: a rich report for people, versioned JSON, GitHub annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from optctl.render.console import JSON_OUTPUT_VERSION, emit_json, stdout

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


def text_report(result: ValidationResult) -> None:
    console = stdout()
    lines = [
        Text.assemble(
            (f"{_where(report, finding)}: ", "bold"),
            (f"{finding.severity}[{finding.code}] ", "red" if finding.severity == "error" else "yellow"),
            finding.text(),
        )
        for report in result.reports
        for finding in report.findings
    ]
    # One write, not a print per finding: a 1 MB file can hold 300,000 problems (issue 15).
    if lines and console.color_system is None:
        console.file.write("".join(line.plain + "\n" for line in lines))
    elif lines:
        console.print(Text("\n").join(lines), soft_wrap=True)
    documents, files, errors, warnings = len(result.reports), result.files, result.error_count, result.warning_count
    verdict = "[green]valid[/]" if result.valid else "[red]invalid[/]"
    console.print(
        f"{documents} document{'s' * (documents != 1)} in {files} file{'s' * (files != 1)}: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, {verdict}"
        + (" (--strict: warnings fail)" if result.strict and warnings else "")
        + (f"; {len(result.skipped)} of no optctl kind skipped" if result.skipped else "")
    )


def json_report(result: ValidationResult) -> None:
    def finding_json(f: Finding) -> dict:
        return {k: v for k, v in f.to_json().items() if k != "severity"}

    emit_json(
        {
            "schema_version": JSON_OUTPUT_VERSION,
            "valid": result.valid,
            "files": [
                {
                    "path": r.path,
                    "index": r.index,
                    "kind": r.kind,
                    "valid": r.valid(result.strict),
                    "errors": [finding_json(f) for f in r.errors],
                    "warnings": [finding_json(f) for f in r.warnings],
                }
                for r in result.reports
            ],
            "skipped": [{"path": path, "index": index} for path, index in result.skipped],
        }
    )


def github_report(result: ValidationResult) -> None:
    """Workflow commands, so each problem shows on the pull request's diff."""
    for report in result.reports:
        for finding in report.findings:
            level = "error" if finding.severity == "error" or result.strict else "warning"
            props = f"file={_gh_prop(report.path)}"
            if finding.line is not None:
                props += f",line={finding.line},col={finding.column}"
            props += f",title=optctl {finding.code}"
            print(f"::{level} {props}::{_gh_data(finding.text())}")
    print(f"optctl validate: {'valid' if result.valid else 'invalid'}")


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")
