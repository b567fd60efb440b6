"""``validate`` as a library call: paths in, one report per document out, no printing.

Documents are read and checked one at a time, so a large JSON Lines export is never held in
memory whole; only the findings are kept.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Iterable

from optctl.contract.check import check_document
from optctl.contract.findings import Finding
from optctl.contract.kinds import Kind, KindTable
from optctl.documents.reader import STDIN, ParseProblem, SourceDocument, UnreadableFile, iter_paths, read_documents
from optctl.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError


UNKNOWN_KIND = "unknown-kind"
AUTO_KIND = "auto"  # --kind auto: detect each document's kind (the default)


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
        """No errors, nor (``strict``) warnings: no finding at all then, as a finding is one or the other."""
        return not self.findings if strict else not any(f.severity == "error" for f in self.findings)


@dataclass
class ValidationResult:
    reports: list[DocumentReport]
    strict: bool = False
    # With ``skip_unknown``: (path, index) of each document of no optctl kind, left unchecked.
    skipped: list[tuple[str, int | None]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(r.valid(self.strict) for r in self.reports)

    @property
    def files(self) -> int:
        return len({r.path for r in self.reports})

    # Counted over the findings, without a list per report: a file of 200,000 tiny documents has
    # as many reports, and the summary line asks for each count.
    @property
    def error_count(self) -> int:
        return sum(f.severity == "error" for r in self.reports for f in r.findings)

    @property
    def warning_count(self) -> int:
        return sum(f.severity == "warning" for r in self.reports for f in r.findings)

    @property
    def exit_code(self) -> int:
        if any(r.unreadable for r in self.reports):
            return EXIT_USAGE
        return EXIT_OK if self.valid else EXIT_PROBLEMS


# Below this much input, jsonschema alone judges every document faster than pydantic's models can
# be imported (~90 ms, about 500 documents' worth of jsonschema); above it the models pay for
# themselves, and jsonschema runs only for the documents they reject. Size stands for the number
# of documents here, so a file that is one large document is judged by jsonschema too.
MODEL_WORTH_BYTES = 256 * 1024

# ``commands.edges.Progress``: (description, total, unit) -> a context giving ``advance(amount)``.
Progress = Callable[[str, "float | None", str], ContextManager[Callable[[float], None]]]


def validate_paths(
    paths: Iterable[str],
    *,
    kinds: KindTable,
    kind: str | None = None,
    glob: str | None = None,
    strict: bool = False,
    skip_unknown: bool = False,
    progress: Progress | None = None,
) -> ValidationResult:
    """Every document of every path, checked against ``kinds`` (the table says which checks each kind gets);
    ``progress`` hears of the bytes read as they go.

    ``skip_unknown`` is for hooks that see every JSON and YAML file of a repository
    (``package.json``, CI workflows): a document optctl cannot tell the kind of is skipped, not
    failed. A file that does not parse still fails: it may be a broken optctl document.
    """
    forced = _forced_kind(kinds, kind)
    result = ValidationResult([], strict)
    files = list(iter_paths(paths, glob))
    sizes = [_size(path) for path in files]
    many = STDIN in files or sum(sizes) >= MODEL_WORTH_BYTES  # stdin: no size known, may be long
    with progress("validating", sum(sizes) or None, "bytes") if progress else nullcontext(_ignore) as advance:
        for path, size in zip(files, sizes):
            done = 0
            try:
                for item in read_documents(path):
                    if isinstance(item, ParseProblem):
                        result.reports.append(_problem_report(item))
                        continue
                    # A file that is one document is one document whatever its size: explaining it
                    # costs jsonschema less than importing the models would.
                    report = report_document(item, kinds, forced, many and (item.index is not None or len(files) > 1))
                    if skip_unknown and report.kind is None and [f.code for f in report.findings] == [UNKNOWN_KIND]:
                        result.skipped.append((report.path, report.index))
                    else:
                        result.reports.append(report)
                    if done < size:
                        step = min(len(item.text) + 1, size - done)  # characters: bytes, near enough
                        advance(step)
                        done += step
            except UnreadableFile as err:
                # One unreadable file must not hide the problems of the others.
                finding = Finding("unreadable", "error", "", err.detail, None, None, err.line, err.column)
                result.reports.append(DocumentReport(path, None, None, [finding], unreadable=True))
            advance(size - done)
    return result


def _size(path: str) -> int:
    try:
        return 0 if path == STDIN else os.path.getsize(path)
    except OSError:
        return 0  # reading it will say why


def _ignore(amount: float) -> None:
    pass


def report_document(
    document: SourceDocument, kinds: KindTable, kind: Kind | None = None, use_model: bool = True
) -> DocumentReport:
    """Check one parsed document; findings carry file line and column."""
    kind = kind or kinds.detect(document.data)
    if kind is None:
        return DocumentReport(
            document.path,
            document.index,
            None,
            [
                Finding(
                    UNKNOWN_KIND,
                    "error",
                    "",
                    "cannot tell what kind of document this is",
                    f"pass --kind ({kinds.listed})",
                    None,
                    document.line,
                    document.column,
                )
            ],
        )
    findings = check_document(document.data, kind, use_model, locate=lambda pointer, key: document.position(pointer, key=key))
    return DocumentReport(document.path, document.index, kind.name, findings)


def _problem_report(item: ParseProblem) -> DocumentReport:
    return DocumentReport(
        item.path, item.index, None, [Finding(item.code, "error", "", item.message, None, None, item.line, item.column)]
    )


def _forced_kind(kinds: KindTable, name: str | None) -> Kind | None:
    if name is None or name == AUTO_KIND:
        return None
    kind = kinds.named(name)
    if kind is None:
        raise UsageError(f"--kind {name!r} is not a kind optctl knows; choose one of: {', '.join([AUTO_KIND, *kinds.names()])}")
    return kind
