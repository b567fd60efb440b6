"""``validate`` as a library call: paths in, one report per document out, no printing.

Documents are read and checked one at a time, so a large JSON Lines export is never held in
memory whole; only the findings are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from optctl.contract.check import check_document
from optctl.contract.findings import Finding
from optctl.contract.kinds import Kind, detect_kind, kind_named, kind_names
from optctl.documents.reader import ParseProblem, SourceDocument, UnreadableFile, iter_paths, read_documents
from optctl.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError


@dataclass
class DocumentReport:
    path: str
    index: int | None
    kind: str | None
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def valid(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


@dataclass
class ValidationResult:
    reports: list[DocumentReport]
    strict: bool = False

    @property
    def valid(self) -> bool:
        return all(r.valid(self.strict) for r in self.reports)

    @property
    def exit_code(self) -> int:
        if any(r.unreadable for r in self.reports):
            return EXIT_USAGE
        return EXIT_OK if self.valid else EXIT_PROBLEMS


def validate_paths(
    paths: Iterable[str], *, kind: str | None = None, glob: str | None = None, strict: bool = False
) -> ValidationResult:
    forced = _forced_kind(kind)
    reports: list[DocumentReport] = []
    for path in iter_paths(paths, glob):
        try:
            for item in read_documents(path):
                reports.append(_report(item, forced))
        except UnreadableFile as err:
            # One unreadable file must not hide the problems of the others.
            finding = Finding("unreadable", "error", "", err.detail, None, None, err.line, err.column)
            reports.append(DocumentReport(path, None, None, [finding], unreadable=True))
    return ValidationResult(reports, strict)


def validate_document(document: SourceDocument, kind: Kind | None = None) -> DocumentReport:
    """Check one parsed document; findings carry file line and column."""
    kind = kind or detect_kind(document.data)
    if kind is None:
        return DocumentReport(document.path, document.index, None, [Finding(
            "unknown-kind", "error", "", "cannot tell what kind of document this is",
            f"pass --kind ({', '.join(kind_names())})", None, document.line, document.column,
        )])
    findings = [
        f.at(*(document.position(f.pointer, key=f.code == "unknown-key") or (None, None)))
        for f in check_document(document.data, kind)
    ]
    return DocumentReport(document.path, document.index, kind.name, findings)


def _report(item: SourceDocument | ParseProblem, forced: Kind | None) -> DocumentReport:
    if isinstance(item, ParseProblem):
        return DocumentReport(item.path, item.index, None, [
            Finding(item.code, "error", "", item.message, None, None, item.line, item.column)
        ])
    return validate_document(item, forced)


def _forced_kind(name: str | None) -> Kind | None:
    if name is None:
        return None
    kind = kind_named(name)
    if kind is None:
        raise UsageError(f"--kind {name!r} is not a kind optctl knows; choose one of: {', '.join(kind_names())}")
    return kind

