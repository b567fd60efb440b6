"""Consoles and the JSON emitters.

Consoles are created per call, never at import time: a module-level rich ``Console`` keeps
the stdout it saw at import and escapes ``CliRunner``'s capture (tiangolo/typer#196).
Rich already turns colour off when stdout is not a TTY and honours ``NO_COLOR``. Emoji codes are
off: a value such as ``:warning:`` in a document or a reason is printed as written (and rich's
table of emoji codes is not loaded on every run).

Off a terminal (a pipe, a file) rich would assume 80 columns and wrap or crop every line and
squeeze table columns; text for ``grep``, ``awk`` or ``cut`` must come out whole, one record
a line as ``kubectl get`` prints it, so there the console is as wide as any line can be.

rich itself is imported only when a console is made. ``plain`` tells a renderer without it that
its lines would come out as written, so an answer of a few plain lines in a pipe (an empty
``status``) does not pay rich's start-up: about 20 ms of CPU, a third of such a run.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from typing import IO, TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA_VERSION = 1
# Wide enough that no real line reaches it; rich allocates nothing in proportion to the width.
PIPE_WIDTH = 1 << 16


# The version of every JSON document optctl prints (the ``schema_version`` key): raised only when
# a key is removed or changes meaning; new keys are added without a change.
JSON_OUTPUT_VERSION = 1


def stdout() -> Console:
    return console_on(sys.stdout)


def stderr() -> Console:
    return console_on(sys.stderr)


def console_on(file: Any) -> Console:
    """A console writing to ``file``, as ``stdout()`` is one writing to stdout."""
    from rich.console import Console

    # soft_wrap: rich never breaks a printed line itself (a terminal folds a long one where it
    # must), so a command in a hint or a message is always one line to copy. Tables still fit
    # the terminal's width.
    console = Console(file=file, highlight=False, soft_wrap=True, emoji=False)
    if not console.is_terminal:
        console = Console(file=file, highlight=False, soft_wrap=True, emoji=False, width=PIPE_WIDTH)
    return console


def plain(file: IO[str]) -> bool:
    """True when rich would certainly not treat ``file`` as a terminal, so text printed there comes
    out as written (no colour, no wrapping): it is no TTY, and neither ``TTY_COMPATIBLE`` nor
    ``FORCE_COLOR``, rich's only ways to call something else a terminal, is set. False means "ask
    rich" (a console from ``stdout()``), not necessarily a terminal."""
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return False
    isatty = getattr(file, "isatty", None)
    try:
        return isatty is None or not isatty()
    except ValueError:  # closed: rich calls that no terminal too
        return True


def cell_break(console: Console) -> str:
    """What separates the lines of one table cell: a new line on a terminal; off one, where each
    record stays on one line for grep and awk (as ``kubectl get`` prints), a semicolon."""
    return "\n" if console.is_terminal else "; "


def emit_json(payload: Any, file: IO[str] | None = None) -> None:
    """Machine output: one JSON document on stdout (or ``file``, a console's), nothing else."""
    out = sys.stdout if file is None else file
    out.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    out.write("\n")


# Past this many rows (dry-run's fixtures and blocks, validate's documents or findings) JSON is
# written on one line: indented JSON goes through the standard library's pure-Python encoder
# (200,000 dry-run fixtures took it 20 s, 200,000 validated documents 3.5 s and 820 MB).
COMPACT_AFTER_ROWS = 2000
JSON_CHUNK = 1000  # rows encoded at a time on the one-line path


class Rows:
    """Where a long list goes in a JSON payload (at any depth): its items, each turned into JSON
    by ``to_json`` only as it is written, so the list of dictionaries is never held whole."""

    def __init__(self, items: Sequence[Any], to_json: Callable[[Any], Any]):
        self.items = items
        self.to_json = to_json


def emit_json_rows(payload: Any, rows: Rows, size: int, file: IO[str] | None = None) -> None:
    """``emit_json(payload)`` with ``rows`` in its place; past ``COMPACT_AFTER_ROWS`` (``size``:
    the rows this output counts) the same document on one line, the rows encoded a chunk at a
    time. Only whitespace differs between the two paths: one rule for every large JSON report."""
    out = sys.stdout if file is None else file
    if size <= COMPACT_AFTER_ROWS:

        def whole(value: Any) -> Any:
            return [rows.to_json(item) for item in rows.items] if value is rows else str(value)

        out.write(json.dumps(payload, indent=2, ensure_ascii=False, default=whole))
        out.write("\n")
        return
    hole = f"rows-{uuid.uuid4().hex}"  # stands for the rows in the encoded payload; no document holds it

    def mark(value: Any) -> Any:
        return hole if value is rows else str(value)

    head, tail = json.JSONEncoder(ensure_ascii=False, default=mark).encode(payload).split(f'"{hole}"', 1)
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    out.write(head + "[")
    for start in range(0, len(rows.items), JSON_CHUNK):
        chunk = encode([rows.to_json(item) for item in rows.items[start : start + JSON_CHUNK]])
        out.write((", " if start else "") + chunk[1:-1])
    out.write("]" + tail + "\n")


def emit_error_json(code: str, message: str, hint: str | None) -> None:
    """An error in JSON mode: a script reading stdout gets an object to look at, never nothing."""
    emit_json({"schema_version": SCHEMA_VERSION, "error": {"code": code, "message": message, "hint": hint}})
