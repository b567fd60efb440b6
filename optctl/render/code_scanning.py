"""``validate`` reports for code-review tools: SARIF 2.1.0 and GitLab's code-quality report.

SARIF as GitHub code scanning reads it (docs.github.com, "SARIF support for code scanning"):
one run whose ``tool.driver.rules`` describes each rule the results use, results with a
``ruleId``, a ``level``, a ``message.text`` and one physical location whose ``region`` has a
``startLine`` (code scanning drops results without one), artifact URIs relative to the
repository root (``uriBaseId: %SRCROOT%``), and ``partialFingerprints`` so that an alert keeps
its identity across runs. The shape is checked against the OASIS SARIF 2.1.0 schema (errata01)
in the tests.

GitLab's code-quality report (docs.gitlab.com, "Code Quality": the artifact
``artifacts:reports:codequality``) is a JSON array of issues, each with ``description``,
``check_name``, ``fingerprint``, ``severity`` and ``location.path`` / ``location.lines.begin``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from optctl import __version__
from optctl.render.console import Rows, emit_json_rows

if TYPE_CHECKING:
    from optctl.contract.checker import DocumentReport, ValidationResult
    from optctl.contract.findings import Finding

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"

# What each rule checks, for the rule list code scanning shows beside an alert; a code not
# listed (a new check) is described by its name.
RULES = {
    "unknown-key": "A key the schema does not allow (the wrapper rejects unknown keys).",
    "missing-key": "A required key is missing.",
    "wrong-type": "A value of the wrong JSON type (a quoted boolean or number, say).",
    "out-of-range": "A number outside the range the schema allows.",
    "not-allowed": "A value that is not one of those allowed.",
    "too-short": "An empty string or list where one is required.",
    "provider-mismatch": "optimization.provider differs from the document's provider.",
    "cache-unsupported-provider": "Caching enabled for a provider the wrapper cannot cache for.",
    "below-model-minimum": "min_tokens_to_cache below the model's minimum cacheable prefix: caching would silently not happen.",
    "ttl-not-offered": "A cache TTL the provider cannot express.",
    "batch-not-implemented": "batch.enabled while the wrapper does not implement batching.",
    "unknown-model": "A model not in optctl's dated model table.",
    "misspelt-optimization": "A top-level key that looks like a misspelt 'optimization'.",
    "syntax": "The file is not valid JSON or YAML.",
    "duplicate-key": "A key given twice in one object (the wrapper would silently keep the last).",
    "not-json-number": "NaN or Infinity, which JSON does not have.",
    "bom": "A byte-order mark at the start of the file.",
    "too-deep": "Nesting deeper than optctl reads.",
    "empty": "An empty file.",
    "unknown-kind": "A document of no kind optctl knows.",
    "unreadable": "A file optctl cannot read (binary, not UTF-8, too large).",
}


def _level(finding: Finding, strict: bool) -> str:
    return "error" if finding.severity == "error" or strict else "warning"


def _relative(path: str) -> str | None:
    """The path relative to the working folder (the repository root in CI), or None if outside."""
    if path == "-":
        return None
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return None
    return PurePosixPath(*candidate.parts).as_posix().removeprefix("./")


def _fingerprint(report: DocumentReport, finding: Finding) -> str:
    # Stable while the problem stays the same problem: the same file, document, place and rule.
    key = "\0".join((report.path, str(report.index), finding.pointer, finding.code, finding.message))
    return hashlib.sha256(key.encode()).hexdigest()


def _results(result: ValidationResult):
    for report in result.reports:
        for finding in report.findings:
            yield report, finding


# --- SARIF -----------------------------------------------------------------------------


def sarif_log(result: ValidationResult, codes: list[str], results: Rows) -> dict[str, Any]:
    """The SARIF log, ``results`` standing for its results: they are encoded only as written."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "optctl",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(code) for code in codes],
                    }
                },
                "invocations": [{"executionSuccessful": not any(r.unreadable for r in result.reports)}],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _rule(code: str) -> dict[str, Any]:
    description = RULES.get(code, f"optctl check {code}.")
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in code.split("-")),
        "shortDescription": {"text": description},
        "fullDescription": {"text": description},
        "help": {"text": f"{description} `optctl validate FILE` prints the place and a hint; see runbooks/ci-validation.md."},
    }


def _sarif_result(report: DocumentReport, finding: Finding, rule_index: int, strict: bool) -> dict[str, Any]:
    relative = _relative(report.path)
    artifact = (
        {"uri": quote(relative), "uriBaseId": SOURCE_ROOT}
        if relative is not None
        else {"uri": Path(report.path).resolve().as_uri() if report.path != "-" else "stdin"}
    )
    region: dict[str, int] = {"startLine": finding.line or 1}
    if finding.column:
        region["startColumn"] = finding.column
    properties: dict[str, Any] = {"pointer": finding.pointer}
    if report.index is not None:
        properties["documentIndex"] = report.index
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _level(finding, strict),
        "message": {"text": finding.text()},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
        "partialFingerprints": {"optctlFinding/v1": _fingerprint(report, finding)},
        "properties": properties,
    }


def sarif_report(result: ValidationResult, out: TextIO) -> None:
    """Past ``COMPACT_AFTER_ROWS`` findings on one line, the results encoded as written."""
    pairs = list(_results(result))
    codes = sorted({finding.code for _, finding in pairs})
    index = {code: i for i, code in enumerate(codes)}
    results = Rows(pairs, lambda pair: _sarif_result(pair[0], pair[1], index[pair[1].code], result.strict))
    emit_json_rows(sarif_log(result, codes, results), results, len(pairs), out)


# --- GitLab code quality ---------------------------------------------------------------


def _codequality_issue(report: DocumentReport, finding: Finding, strict: bool) -> dict[str, Any]:
    return {
        "description": finding.text(),
        "check_name": finding.code,
        "fingerprint": _fingerprint(report, finding),
        # GitLab's scale: info, minor, major, critical, blocker.
        "severity": "major" if _level(finding, strict) == "error" else "minor",
        "location": {"path": _relative(report.path) or report.path, "lines": {"begin": finding.line or 1}},
    }


def codequality_report(result: ValidationResult, out: TextIO) -> None:
    """Past ``COMPACT_AFTER_ROWS`` issues on one line, each encoded as written."""
    pairs = list(_results(result))
    issues = Rows(pairs, lambda pair: _codequality_issue(pair[0], pair[1], result.strict))
    emit_json_rows(issues, issues, len(pairs), out)
