"""A finding: one problem in one document, in a shape every reporter can render."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """``pointer`` is a JSON pointer into the document; line/column are filled in by the reader."""

    code: str
    severity: Severity
    pointer: str
    message: str
    hint: str | None = None
    value: str | None = None  # the offending value, already redacted and shortened
    line: int | None = None
    column: int | None = None

    def text(self, place: str | None = None) -> str:
        """The one wording of a finding: ``place: message (got value); hint``, place defaulting to the pointer."""
        place = self.pointer if place is None else place
        text = f"{place}: {self.message}" if place else self.message
        if self.value is not None:
            text += f" (got {self.value})"
        return text + (f"; {self.hint}" if self.hint else "")

    def at(self, line: int | None, column: int | None) -> Finding:
        return replace(self, line=line, column=column)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "value": self.value,
        }


def error(code: str, pointer: str, message: str, hint: str | None = None) -> Finding:
    return Finding(code, "error", pointer, message, hint)


def warning(code: str, pointer: str, message: str, hint: str | None = None) -> Finding:
    return Finding(code, "warning", pointer, message, hint)
