"""Read JSON, JSON Lines and YAML documents from files, folders and stdin, keeping positions.

A top-level JSON array is a list of documents (``arangoexport --type json``), except a list
of chat messages, which is one prompt fixture. Parsing is the fast C path (``json``, libyaml); positions are worked out only for a document
that has a problem, so a clean 50 MB export costs no more than parsing it. JSON Lines and JSON
arrays are read one document at a time, so a problem in one document does not hide the
others and a large export is never held twice in memory.

Things that make a file unusable as a whole (missing, unreadable, binary, not UTF-8, too big)
raise ``UsageError`` (exit 2). Problems inside a document that can be pointed at (a syntax
error, a duplicate key, NaN) are yielded as ``ParseProblem`` so that every one is reported.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Generator, Iterable, Iterator

from optctl.documents import guards, positions
from optctl.documents.redact import scrub, secret_values
from optctl.errors import UsageError

MAX_SINGLE_DOCUMENT_BYTES = 64 * 1024 * 1024
SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml"}
STDIN = "-"


class UnreadableFile(UsageError):
    """The file as a whole cannot be read as text; ``detail`` says why, without the path."""

    def __init__(self, path: str, detail: str, line: int | None = None, column: int | None = None):
        self.path, self.detail, self.line, self.column = path, detail, line, column
        super().__init__(f"{path}{f':{line}:{column}' if line else ''}: {detail}")


@dataclass
class SourceDocument:
    """One parsed document and where it came from."""

    path: str
    index: int | None  # position in a JSON array, JSON Lines file or YAML stream
    data: Any
    text: str  # this document's own source text
    line: int  # 1-based line of the file where ``text`` starts
    column: int  # 1-based column of the file where ``text`` starts
    fmt: str
    # Some object in ``text`` gives a key twice: a pointer then means each key's last occurrence
    # (the value ``data`` holds), which positions must read each object to the end to find.
    duplicates: bool = False

    @property
    def label(self) -> str:
        return self.path if self.index is None else f"{self.path}[{self.index}]"

    @cached_property
    def _locator(self) -> positions.Locator:
        """Made at the document's first problem, and kept: its next problems reuse what it read."""
        return positions.Locator(self.text, self.fmt, last=self.duplicates)

    def position(self, pointer: str, *, key: bool = False) -> tuple[int, int] | None:
        """File line and column (1-based) of the value (or key) at a JSON pointer."""
        found = self._locator.position(pointer, key)
        if found is None:
            return None
        line, column = found
        return self.line + line - 1, (self.column + column - 1 if line == 1 else column)


@dataclass(frozen=True)
class ParseProblem:
    """A document that could not be parsed, or parsed into something JSON cannot hold."""

    path: str
    line: int
    column: int
    code: str
    message: str
    index: int | None = None

    def __str__(self) -> str:
        """The one line every command prints for it: ``file:line:column: what is wrong``."""
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class _DuplicateKeyObject(dict):
    """A JSON object that had a key twice; the wrapper would silently keep the last value."""

    duplicates: list[str]


_duplicate_objects_built = 0  # lets a clean document skip the search for duplicates


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict:
    global _duplicate_objects_built
    obj = dict(pairs)
    if len(obj) != len(pairs):
        _duplicate_objects_built += 1
        marked = _DuplicateKeyObject(obj)
        # Each repeated key once, in the order of their first repeat: a 1 MB object of one key
        # given 100,000 times is one problem, not 100,000.
        seen: set[str] = set()
        repeated: dict[str, None] = {}
        for key, _ in pairs:
            if key in seen:
                repeated[key] = None
            seen.add(key)
        marked.duplicates = list(repeated)
        return marked
    return obj


class _NotJsonConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJsonConstant(name)


_DECODER = json.JSONDecoder(object_pairs_hook=_object_pairs, parse_constant=_reject_constant)
_WS = re.compile(r"[ \t\n\r]*")
_NEXT_ELEMENT = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")  # between two elements of an array: one match, not three steps


def _skip_space(text: str, pos: int = 0) -> int:
    """The offset of the first character at or after ``pos`` that is not JSON whitespace."""
    found = _WS.match(text, pos)
    assert found is not None  # zero or more characters: it always matches
    return found.end()


def iter_paths(paths: Iterable[str], glob: str | None = None) -> Iterator[str]:
    """Expand folders (recursively) into the files optctl can read, in a stable order."""
    for raw in paths:
        if raw == STDIN:
            yield STDIN
            continue
        path = Path(raw)
        if path.is_dir():
            pattern = glob or "*"
            found = sorted(p for p in path.rglob(pattern) if p.is_file() and (glob or p.suffix.lower() in SUFFIXES))
            if not found:
                raise UsageError(f"{raw}: folder has no {glob or '.json, .jsonl or .yaml'} files to read")
            yield from (str(p) for p in found)
        elif path.exists():
            yield raw
        else:
            raise UsageError(f"{raw}: no such file or folder")


def read_documents(path: str) -> Iterator[SourceDocument | ParseProblem]:
    """Every document in one file (or stdin), in order."""
    if path != STDIN and SUFFIXES.get(Path(path).suffix.lower()) == "jsonl":
        yield from _stream_json_lines(path)
        return
    text = _read_text(path)
    fmt = _format_of(path, text)
    if text.startswith("\ufeff"):
        yield ParseProblem(path, 1, 1, "bom", "file starts with a UTF-8 byte-order mark; save it without one")
        return
    if not text.strip():
        yield ParseProblem(path, 1, 1, "empty", "file is empty; it should hold at least one document")
        return
    if fmt == "yaml":
        yield from _yaml_documents(path, text)
    elif fmt == "jsonl":
        yield from _json_lines(path, text.splitlines())
    else:
        yield from _json_documents(path, text)


def _read_text(path: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if path == STDIN else Path(path).read_bytes()
    except OSError as err:
        raise UnreadableFile(path, f"cannot read ({err.strerror or err})") from None
    if b"\x00" in raw[:8192]:
        raise UnreadableFile(path, "binary file, not JSON or YAML text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise UnreadableFile(
            path, f"not UTF-8 text (byte 0x{raw[err.start]:02x}); save the file as UTF-8", line, column
        ) from None


def _format_of(path: str, text: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        fmt = SUFFIXES[suffix]
    else:
        head = text.lstrip("\ufeff \t\r\n")[:1]
        fmt = "json" if head in ("{", "[") else "yaml"
    if fmt != "jsonl" and len(text) > MAX_SINGLE_DOCUMENT_BYTES:
        raise UnreadableFile(
            path,
            f"{len(text) // (1024 * 1024)} MiB is over the {MAX_SINGLE_DOCUMENT_BYTES // (1024 * 1024)} MiB "
            "limit for one JSON or YAML file; export it as JSON Lines (.jsonl), which is read a line at a time",
        )
    return fmt


def _json_documents(path: str, text: str) -> Iterator[SourceDocument | ParseProblem]:
    start = _skip_space(text)
    if text.startswith("[", start) and not _is_conversation(text, start):
        yield from _json_array(path, text, start)
        return
    try:
        data, end, duplicates = _decode(text, start)
    except _Problem as problem:
        yield problem.at(path, text)
        return
    rest = _skip_space(text, end)
    if rest < len(text):
        # Several JSON values one per line, in a .json file: read it as JSON Lines.
        if text[end:rest].count("\n"):
            yield from _json_lines(path, text.splitlines())
            return
        yield _Problem(rest, "syntax", "unexpected text after the document").at(path, text)
        return
    yield from _checked(SourceDocument(path, None, data, text, 1, 1, "json", duplicates))


def _is_conversation(text: str, start: int) -> bool:
    """A top-level array of ``{role, content}`` messages is one prompt, not many documents.

    A first message without ``role`` (the wrapper skips it and marks the rest) keeps it one
    prompt: the first element has ``content``, or the second is a message.
    """
    try:
        first, end, _ = _decode(text, _skip_space(text, start + 1))
    except _Problem:
        return False
    if isinstance(first, dict) and "content" in first:
        return True
    after = _skip_space(text, end)
    if not (isinstance(first, dict) and text.startswith(",", after)):
        return False
    try:
        second, _, _ = _decode(text, _skip_space(text, after + 1))
    except _Problem:
        return False
    return isinstance(second, dict) and "role" in second and "content" in second


def _json_array(path: str, text: str, start: int) -> Iterator[SourceDocument | ParseProblem]:
    """Each element of a top-level array (``arangoexport --type json``) is one document.

    Elements come in order, so their lines and columns are counted on from the previous
    element's (``LineCounter``): the whole array is scanned once for positions, not once per
    element, and a 100,000-document array costs what the same documents as JSON Lines do.
    """
    lines = LineCounter(text)
    pos = _skip_space(text, start + 1)
    index = 0
    if text.startswith("]", pos):
        yield ParseProblem(path, *lines.at(pos), "empty", "the array holds no documents")
        return
    while True:
        try:
            data, end, duplicates = _decode(text, pos)
        except _Problem as problem:
            yield ParseProblem(path, *lines.at(problem.offset), problem.code, problem.message, index)
            return
        line, column = lines.at(pos)
        yield from _checked(SourceDocument(path, index, data, text[pos:end], line, column, "json", duplicates))
        following = _NEXT_ELEMENT.match(text, end)
        if following is not None:
            pos = following.end()
            index += 1
            continue
        pos = _skip_space(text, end)
        if text.startswith("]", pos) and not text[_skip_space(text, pos + 1) :]:
            return
        yield ParseProblem(path, *lines.at(pos), "syntax", "expected ',' or ']' after an array element", index)
        return


class LineCounter:
    """1-based line and column of offsets in one text, asked for in increasing order.

    Each call scans only the text between the previous offset and this one (``scanned`` counts
    those characters, so a test can hold the array reader to one pass); an offset before the
    previous one starts again from the top, which is correct, only slower.
    """

    def __init__(self, text: str):
        self.text = text
        self.offset = 0  # where the last call stopped
        self.line = 1  # the line ``offset`` is on
        self.line_start = 0  # offset of that line's first character
        self.scanned = 0

    def at(self, offset: int) -> tuple[int, int]:
        if offset < self.offset:
            self.offset, self.line, self.line_start = 0, 1, 0
        newlines = self.text.count("\n", self.offset, offset)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.offset, offset) + 1
        self.scanned += offset - self.offset
        self.offset = offset
        return self.line, offset - self.line_start + 1


def _stream_json_lines(path: str) -> Iterator[SourceDocument | ParseProblem]:
    """A JSON Lines file a line at a time: a large export never sits in memory whole."""
    try:
        handle = open(path, "rb")
    except OSError as err:
        raise UnreadableFile(path, f"cannot read ({err.strerror or err})") from None
    with handle:
        if b"\x00" in handle.read(8192):
            raise UnreadableFile(path, "binary file, not JSON Lines text")
        handle.seek(0)
        lines = (_decode_line(path, number, raw) for number, raw in enumerate(handle, start=1))
        found = yield from _json_lines(path, lines)
    if not found:
        yield ParseProblem(path, 1, 1, "empty", "file is empty; it should hold at least one document")


def _decode_line(path: str, number: int, raw: bytes) -> str:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnreadableFile(
            path, f"not UTF-8 text (byte 0x{raw[err.start]:02x}); save the file as UTF-8", number, err.start + 1
        ) from None
    if number == 1 and line.startswith("\ufeff"):
        raise UnreadableFile(path, "file starts with a UTF-8 byte-order mark; save it without one", 1, 1)
    return line.rstrip("\r\n")


def _json_lines(path: str, lines: Iterable[str]) -> Generator[SourceDocument | ParseProblem, None, int]:
    """Documents of JSON Lines text; returns how many non-blank lines there were."""
    index = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data, end, duplicates = _decode(line, 0)
            if line[end:].strip():
                raise _Problem(end, "syntax", "unexpected text after the document on this line")
        except _Problem as problem:
            yield ParseProblem(path, number, problem.offset + 1, problem.code, problem.message, index)
        else:
            yield from _checked(SourceDocument(path, index, data, line, number, 1, "jsonl", duplicates))
        index += 1
    return index


class _Problem(Exception):
    def __init__(self, offset: int, code: str, message: str):
        super().__init__(message)
        self.offset, self.code, self.message = offset, code, message

    def at(self, path: str, text: str) -> ParseProblem:
        return ParseProblem(path, *_line_col(text, self.offset), self.code, self.message)


def _decode(text: str, pos: int) -> tuple[Any, int, bool]:
    """The value at ``pos``, where it ends, and whether it holds a key given twice."""
    before = _duplicate_objects_built
    try:
        value, end = _DECODER.raw_decode(text, pos)
        return value, end, _duplicate_objects_built != before
    except json.JSONDecodeError as err:
        raise _Problem(err.pos, "syntax", f"invalid JSON: {err.msg[0].lower()}{err.msg[1:]}") from None
    except _NotJsonConstant as err:
        found = re.compile(rf"-?{err.args[0]}").search(text, pos)
        raise _Problem(
            found.start() if found else pos, "not-json-number", f"{err.args[0]} is not a JSON number; use a finite number or null"
        ) from None
    except RecursionError:
        raise _Problem(pos, "too-deep", guards.depth_message()) from None
    except ValueError:  # an integer literal longer than Python converts
        offset = guards.long_integer_offset(text, pos)
        if offset is None:
            raise
        raise _Problem(offset, "number-too-long", guards.long_integer_message(text, offset)) from None


def _checked(document: SourceDocument) -> list[SourceDocument | ParseProblem]:
    """Report keys given twice (the wrapper would keep the last one without a word) and what guards refuse.

    A list, not a generator: it is made once per document, 200,000 times for a file of tiny ones.
    """
    refused = _refused(document)
    if refused is not None:
        message = scrub(refused.message, secret_values(document.data))  # names the pointer: scrubbed as below
        return [refused if message == refused.message else replace(refused, message=message)]
    if not document.duplicates:
        return [document]
    problems: list[SourceDocument | ParseProblem] = []
    secrets = secret_values(document.data)
    for pointer in _find_duplicates(document.data, ""):
        line, column = document.position(pointer, key=True) or (document.line, document.column)
        name = pointer.rsplit("/", 1)[-1]
        message = f"key {name!r} appears more than once at {pointer}; keep one (the last one wins silently)"
        # The key is the document's own: scrubbed of its secret values, as check_document's findings are.
        problems.append(ParseProblem(document.path, line, column, "duplicate-key", scrub(message, secrets), document.index))
    return problems or [document]  # a key given twice in an object the data no longer holds


def _refused(document: SourceDocument) -> ParseProblem | None:
    """Nesting too deep, or a lone surrogate: see ``guards``."""
    pointer = guards.deeper_than(document.data, json_text=None if document.fmt == "yaml" else document.text)
    if pointer is not None:
        code, message = "too-deep", guards.depth_message()
    else:
        pointer = guards.lone_surrogate(document.data, document.text)
        if pointer is None:
            return None
        code, message = "lone-surrogate", guards.surrogate_message(pointer)
        offset = guards.lone_surrogate_offset(document.text)
        if offset is not None:
            line, column = _line_col(document.text, offset)
            line, column = document.line + line - 1, (document.column + column - 1 if line == 1 else column)
            return ParseProblem(document.path, line, column, code, message, document.index)
    line, column = document.position(pointer) or (document.line, document.column)
    return ParseProblem(document.path, line, column, code, message, document.index)


def _find_duplicates(value: Any, pointer: str) -> Iterator[str]:
    if isinstance(value, _DuplicateKeyObject):
        for key in value.duplicates:
            yield f"{pointer}/{positions.escape(key)}"
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, (dict, list)):
                yield from _find_duplicates(child, f"{pointer}/{positions.escape(key)}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            if isinstance(child, (dict, list)):
                yield from _find_duplicates(child, f"{pointer}/{i}")


def _yaml_documents(path: str, text: str) -> Iterator[SourceDocument | ParseProblem]:
    import yaml

    try:
        alias = guards.yaml_alias(text, positions.yaml_loader())
        if alias is not None:
            mark, index = alias
            yield ParseProblem(
                path, mark.line + 1, mark.column + 1, "yaml-alias", guards.alias_message(), index if index > 0 else None
            )
            return
        nodes = list(yaml.compose_all(text, Loader=positions.yaml_loader()))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        yield ParseProblem(
            path,
            mark.line + 1 if mark else 1,
            mark.column + 1 if mark else 1,
            "syntax",
            f"invalid YAML: {err.problem or err.context}",
        )
        return
    except yaml.YAMLError as err:  # e.g. a control character libyaml will not read
        line, column = _line_col(text, getattr(err, "position", 0) or 0)
        yield ParseProblem(path, line, column, "syntax", f"invalid YAML: {str(err).splitlines()[0]}")
        return
    except RecursionError:
        yield ParseProblem(path, 1, 1, "too-deep", "nesting is too deep to read")
        return
    multi = len(nodes) > 1
    for index, node in enumerate(nodes):
        duplicate = positions.yaml_duplicate_key(node)
        if duplicate is not None:
            name, mark = duplicate
            yield ParseProblem(
                path,
                mark.line + 1,
                mark.column + 1,
                "duplicate-key",
                f"key {name!r} appears more than once; keep one (the last one wins silently)",
                index if multi else None,
            )
            continue
        doc_text = text[node.start_mark.index : node.end_mark.index]
        try:
            data = positions.yaml_loader()(text).construct_document(node)
        except (yaml.YAMLError, ValueError, RecursionError) as err:
            offset = guards.long_integer_offset(doc_text)
            if offset is not None:
                line, column = _line_col(doc_text, offset)
                yield ParseProblem(
                    path,
                    node.start_mark.line + line,
                    column if line > 1 else node.start_mark.column + column,
                    "number-too-long",
                    guards.long_integer_message(doc_text, offset),
                    index if multi else None,
                )
            else:
                yield ParseProblem(
                    path, node.start_mark.line + 1, 1, "syntax", f"invalid YAML value: {err}", index if multi else None
                )
            continue
        document = SourceDocument(
            path, index if multi else None, data, doc_text, node.start_mark.line + 1, node.start_mark.column + 1, "yaml"
        )
        yield _refused(document) or document


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return LineCounter(text).at(offset)
