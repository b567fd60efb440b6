"""Large JSON reports (validate's, dry-run's) take one path: one line, rows encoded a chunk at a time."""

from __future__ import annotations

import io
import json

from optctl.contract.checker import DocumentReport, ValidationResult
from optctl.contract.findings import error
from optctl.render import console
from optctl.render.code_scanning import codequality_report, sarif_report
from optctl.render.findings import json_report


class CountingOut(io.StringIO):
    """Records, at each write, how many rows had been turned into JSON by then."""

    def __init__(self, converted: list[int]):
        super().__init__()
        self.converted = converted
        self.seen: list[int] = []

    def write(self, text: str) -> int:
        self.seen.append(len(self.converted))
        return super().write(text)


def test_rows_are_converted_a_chunk_ahead_of_the_writes_and_the_document_is_the_same():
    converted: list[int] = []
    items = list(range(3 * console.JSON_CHUNK + 7))
    rows = console.Rows(items, lambda i: converted.append(i) or {"i": i})
    out = CountingOut(converted)
    console.emit_json_rows({"a": 1, "deep": [{"rows": rows}], "z": None}, rows, len(items), out)
    text = out.getvalue()
    assert text.count("\n") == 1 and json.loads(text) == {"a": 1, "deep": [{"rows": [{"i": i} for i in items]}], "z": None}
    # Never more than one chunk converted ahead of what was written: the rows' JSON is never held whole.
    assert max(b - a for a, b in zip(out.seen, out.seen[1:])) <= console.JSON_CHUNK


def test_small_output_stays_indented():
    rows = console.Rows([1, 2], lambda i: {"i": i})
    out = io.StringIO()
    console.emit_json_rows({"rows": rows}, rows, 2, out)
    assert out.getvalue() == json.dumps({"rows": [{"i": 1}, {"i": 2}]}, indent=2) + "\n"


def result(documents: int) -> ValidationResult:
    return ValidationResult(
        [DocumentReport("t.jsonl", i, None, [error("unknown-kind", "", "what kind?")]) for i in range(documents)]
    )


def test_validate_reports_past_the_threshold_are_one_line_of_the_same_json():
    for report in (json_report, sarif_report, codequality_report):
        small, large = io.StringIO(), io.StringIO()
        report(result(console.COMPACT_AFTER_ROWS), small)
        report(result(console.COMPACT_AFTER_ROWS + 1), large)
        assert small.getvalue().count("\n") > console.COMPACT_AFTER_ROWS  # indented
        assert large.getvalue().count("\n") == 1, report.__name__  # the compact path
        assert json.dumps(json.loads(large.getvalue()), ensure_ascii=False) + "\n" == large.getvalue()
