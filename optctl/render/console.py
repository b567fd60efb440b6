"""Consoles and the JSON emitter.

Consoles are created per call, never at import time: a module-level rich ``Console`` keeps
the stdout it saw at import and escapes ``CliRunner``'s capture (tiangolo/typer#196).
Rich already turns colour off when stdout is not a TTY and honours ``NO_COLOR``. Emoji codes are
off: a value such as ``:warning:`` in a document or a reason is printed as written (and rich's
table of emoji codes is not loaded on every run).
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from rich.console import Console


# The version of every JSON document optctl prints (the ``schema_version`` key): raised only when
# a key is removed or changes meaning; new keys are added without a change.
JSON_OUTPUT_VERSION = 1


def stdout() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, emoji=False)


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True, emoji=False)


def emit_json(payload: Any, file: IO[str] | None = None) -> None:
    """Machine output: one JSON document on stdout (or ``file``, a console's), nothing else."""
    out = sys.stdout if file is None else file
    out.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    out.write("\n")
