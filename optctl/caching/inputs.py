"""Prompt fixtures: reading them (through ``optctl.documents.reader``) and checking them.

The reader keeps a file holding a list of ``{role, content}`` messages as one document (one
fixture); a JSON Lines file is one fixture a line. ``semantic_findings`` is what
``optctl validate`` runs on a ``prompt-fixture``, over the rules table it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from optctl.contract.findings import Finding, warning
from optctl.providers.rules import Rules


@dataclass(frozen=True)
class Fixture:
    label: str  # file, or file[line index] for JSON Lines
    data: Any = None
    problem: str | None = None  # one line: why this input could not be read as a fixture
    size: int = 0  # characters of source text, to choose the tokenizer engine


def load_fixtures(paths: Iterable[str], glob: str | None = None) -> Iterator[Fixture]:
    from optctl.documents.reader import ParseProblem, iter_paths, read_documents

    for path in iter_paths(paths, glob):
        for doc in read_documents(path):
            if isinstance(doc, ParseProblem):
                where = doc.path if doc.index is None else f"{doc.path}[{doc.index}]"
                yield Fixture(where, problem=str(doc))
            else:
                yield Fixture(doc.label, doc.data, size=len(doc.text))


def semantic_findings(data: Any, rules: Rules) -> list[Finding]:
    """Problems the schema cannot see: roles, block types, markers, their TTLs and number."""
    from optctl.caching.placement import caller_markers, over_the_limit
    from optctl.caching.request import normalise

    request = normalise(data, rules.markers("anthropic"))
    findings = list(request.findings)
    over = over_the_limit(request, caller_markers(request), rules.provider("anthropic")["max_breakpoints"])
    findings += [over] if over else []
    if request.model and rules.model(request.model) is None:
        findings.append(
            warning("unknown-model", "/model", f"model {request.model!r} is not in optctl's models table (`optctl models`)")
        )
    return findings
