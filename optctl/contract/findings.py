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
