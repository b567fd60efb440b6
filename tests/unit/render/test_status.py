"""``status`` without a console: stdout, and rich only when something needs it."""

from __future__ import annotations

import io
import os
import sys

import pytest
from rich.console import Console

from optctl.commands.status import StatusResult
from optctl.render import status as render
from optctl.render.console import plain
from optctl.services.status import Cell, Row
from optctl.settings.context import RunContext, StoreIdentity

EMBEDDED = RunContext(None, "/home/me/[data]/optctl.db", (StoreIdentity("dev", "sqlite", "/home/me/[data]/optctl.db"),))
PROJECT = RunContext("/srv/optctl.toml", None, (StoreIdentity("dev", "sqlite", "/srv/optctl.db"),))


@pytest.mark.parametrize("context", [EMBEDDED, PROJECT], ids=["embedded", "project"])
def test_an_empty_answer_in_a_pipe_is_written_as_rich_writes_it(context, capsys):
    result = StatusResult(context, ["dev"], [])
    render.status_text(result)  # capsys: stdout is no terminal, so the plain path
    written = capsys.readouterr().out
    shown = Console(file=io.StringIO(), color_system=None, width=1 << 16)
    render.status_text(result, shown)
    assert written == shown.file.getvalue() and written.count("\n") == 2
    assert ("[data]" in written) is (context is EMBEDDED)  # a path is printed as written, never read as markup


def test_rows_or_an_unreachable_environment_still_go_through_rich(capsys):
    cells = {"dev": Cell(True, True, True, 300, 1024, "2")}
    render.status_text(StatusResult(PROJECT, ["dev"], [Row("indexing", cells)]))
    assert capsys.readouterr().out.splitlines()[1].split() == ["indexing", "on", "300s", "1024"]
    render.status_text(StatusResult(PROJECT, ["dev", "prod"], [], {"prod": "down"}))
    assert "prod: unreachable: down" in capsys.readouterr().out


def test_json_needs_no_console(capsys):
    render.status_json(StatusResult(PROJECT, ["dev"], []))
    assert '"services": []' in capsys.readouterr().out


def _pipe():
    read, write = os.pipe()
    os.close(read)
    return os.fdopen(write, "w")


def _terminal():
    leader, follower = os.openpty()
    os.close(leader)
    return os.fdopen(follower, "w")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
@pytest.mark.parametrize(
    "environ",
    [{}, {"FORCE_COLOR": "1"}, {"FORCE_COLOR": ""}, {"TTY_COMPATIBLE": "1"}, {"TTY_COMPATIBLE": "0"}, {"NO_COLOR": "1"}],
)
@pytest.mark.parametrize("make", [io.StringIO, _pipe, _terminal])
def test_plain_never_says_plain_where_rich_sees_a_terminal(make, environ, monkeypatch):
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    file = make()
    try:
        terminal = Console(file=file).is_terminal
        assert not (plain(file) and terminal)
        if not environ or environ == {"NO_COLOR": "1"}:  # nothing to ask rich about: plain is the whole answer
            assert plain(file) is not terminal
    finally:
        file.close()
