"""What validate does for large inputs, counted rather than timed (issue 15): a file of tiny
documents is scanned once and never located into, and one problem in a megabyte document is
placed by reading up to it, once."""

from __future__ import annotations

import json

import pytest

from optctl.commands.validate import validate
from optctl.documents import positions, reader


@pytest.fixture
def work(monkeypatch) -> dict[str, list]:
    """Every LineCounter (the array reader's) and PathIndex (the locator's) made while a test runs."""
    made: dict[str, list] = {"lines": [], "paths": []}

    class Lines(reader.LineCounter):
        def __init__(self, text: str):
            super().__init__(text)
            made["lines"].append(self)

    class Paths(positions.PathIndex):
        def __init__(self, text: str, last: bool = False):
            super().__init__(text, last)
            made["paths"].append(self)

    monkeypatch.setattr(reader, "LineCounter", Lines)
    monkeypatch.setattr(positions, "PathIndex", Paths)
    return made


def test_tiny_documents_are_scanned_once_and_never_located(tmp_path, work):
    count = 20_000
    path = tmp_path / "tiny.json"
    path.write_text("[" + ",".join(["{}"] * count) + "]")
    result = validate([str(path)])
    assert len(result.reports) == count and result.error_count == count
    assert {f.code for r in result.reports for f in r.findings} == {"unknown-kind"}
    last = result.reports[-1].findings[0]
    assert (last.line, last.column) == (1, 2 + 3 * (count - 1))
    assert sum(c.scanned for c in work["lines"]) <= len(path.read_text())
    assert work["paths"] == []  # a document of no kind is placed where it starts: no lookup


@pytest.mark.parametrize("indent", [None, 2])
def test_one_problem_after_a_megabyte_is_placed_by_one_read_up_to_it(tmp_path, work, indent):
    document = {
        "_key": "big",
        "provider": "anthropic",
        "configuration": {"model": "claude-sonnet-4-5-20250929"},
        "notes": ["x" * 100] * 10_000,
        "optimization": {"cache": {"enabled": "yes"}},
    }
    path = tmp_path / "big.json"
    text = json.dumps(document, indent=indent)
    path.write_text(text)
    assert len(text) > 1_000_000
    [report] = validate([str(path)]).reports
    [finding] = report.findings
    value = text.index('"yes"')
    assert (finding.code, finding.line, finding.column) == (
        "wrong-type",
        text.count("\n", 0, value) + 1,
        value - (text.rfind("\n", 0, value) + 1) + 1,
    )
    [walk] = work["paths"]
    assert walk.scanned <= value and walk.steps == 5 + 1 + 1  # the top-level keys up to it, cache, enabled
