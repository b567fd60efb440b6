"""Prompt fixtures: reading them (through ``optctl.documents.reader``) and checking them.

The reader keeps a file holding a list of ``{role, content}`` messages as one document (one
fixture); a JSON Lines file is one fixture a line. ``semantic_findings`` is what
``optctl validate`` runs on a ``prompt-fixture``, over the rules table it is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, Sequence

from optctl.contract.findings import Finding, warning
from optctl.providers.rules import Rules


@dataclass(frozen=True)
class Fixture:
    label: str  # file, or file[line index] for JSON Lines
    data: Any = None
    problem: str | None = None  # one line: why this input could not be read as a fixture
    size: int = 0  # characters of source text, to choose the tokenizer engine
    share: int = 0  # bytes of its file it stands for: the progress bar's measure


@dataclass(frozen=True)
class InputFile:
    path: str
    size: int | None  # bytes; None for stdin, whose length is known only at its end


def input_files(paths: Iterable[str], glob: str | None = None) -> list[InputFile]:
    """Every file under ``paths`` (folders expanded) with its size: what a progress bar counts to."""
    from optctl.documents.reader import STDIN, iter_paths

    return [InputFile(path, None if path == STDIN else os.path.getsize(path)) for path in iter_paths(paths, glob)]


def total_bytes(files: Sequence[InputFile]) -> int | None:
    sizes = [file.size for file in files]
    return None if None in sizes else sum(size for size in sizes if size is not None)


def load_fixtures(files: Iterable[InputFile]) -> Iterator[Fixture]:
    """Every document of every file as a fixture, in input order.

    Each fixture's ``share`` is its text's length (and a separator's), the last one of a file
    also taking what is left of the file, so that the shares of a file add up to its size
    (characters stand in for bytes, as validate's bar counts them).
    """
    from optctl.documents.reader import ParseProblem, read_documents

    for file in files:
        left = file.size
        last: Fixture | None = None
        for doc in read_documents(file.path):
            if last is not None:
                yield last
            if isinstance(doc, ParseProblem):
                last = Fixture(doc.path if doc.index is None else f"{doc.path}[{doc.index}]", problem=str(doc))
                continue
            share = len(doc.text) + 1 if left is None else min(len(doc.text) + 1, left)
            last = Fixture(doc.label, doc.data, size=len(doc.text), share=share)
            left = None if left is None else left - share
        if last is not None:
            yield replace(last, share=last.share + left) if left else last


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
