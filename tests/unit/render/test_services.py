"""The service renderers over hand-made result objects: formatting only, onto the console given."""

from __future__ import annotations

import io
import json

from rich.console import Console

from optctl.commands.change import ChangeResult
from optctl.commands.inspect import DiffResult, HistoryLine, HistoryResult, ShowResult
from optctl.commands.status import StatusResult
from optctl.render import services as render
from optctl.render import status as status_render
from optctl.services.changes import ChangePlan, PlannedChange
from optctl.services.diff import Difference, ServiceDifference
from optctl.services.status import Cell, Row
from optctl.settings.context import RunContext, StoreIdentity
from optctl.stores.base import HistoryEntry, StoredDocument
from tests.support.samples import ai_config

CONTEXT = RunContext(
    "/srv/optctl.toml",
    None,
    (
        StoreIdentity("dev", "sqlite", "/srv/optctl.db"),
        StoreIdentity("prod", "arangodb", "https://arango:8529/pipeshub", "ai_configs"),
    ),
)
EMBEDDED = RunContext(None, "/home/me/optctl.db", (StoreIdentity("production", "sqlite", "/home/me/optctl.db"),))


def console(width: int = 60) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None)


def out(shown: Console) -> str:
    return shown.file.getvalue()


def _entry(**extra) -> HistoryEntry:
    fields = dict(
        revision="2",
        at="2026-12-01T10:00:00.000000Z",
        actor="alice",
        action="enable",
        service="indexing",
        env="dev",
        before={"cache": {"enabled": False}},
        after={"cache": {"enabled": True}},
        reason="a reason long enough to matter",
    )
    return HistoryEntry(**{**fields, **extra})


def test_the_preview_shows_each_difference_and_the_dry_run_line():
    planned = PlannedChange("indexing", "1", {"cache": {"enabled": False}}, {"cache": {"enabled": True}}, "enable", ("careful",))
    shown = console()
    render.change_preview(
        ChangeResult(CONTEXT, ChangePlan("dev", [planned], [("query", "already enabled")]), dry_run=True), shown
    )
    assert out(shown).splitlines() == [
        "indexing in dev (revision 1): enable",
        "  ~ cache.enabled: false -> true",
        "  warning: careful",
        "query in dev: already enabled",
        "dry run: 1 change(s) to dev shown, nothing written",
    ]


def test_after_a_write_the_revisions_then_the_project_and_stores():
    shown, errors = console(200), console()
    render.change_text(ChangeResult(CONTEXT, ChangePlan("dev"), False, (_entry(),)), shown, errors)
    assert out(shown).splitlines() == [
        "wrote 1 change(s) to dev: indexing@2",
        "project: /srv/optctl.toml; store: dev: sqlite /srv/optctl.db; prod: arangodb https://arango:8529/pipeshub collection ai_configs",
    ]
    render.change_text(ChangeResult(CONTEXT, ChangePlan("dev"), False, cancelled=True), console(), errors)
    assert out(errors) == "cancelled; nothing was written\n"


def test_json_adds_project_and_store_after_the_commands_own_keys():
    shown = console()
    render.change_json(ChangeResult(CONTEXT, ChangePlan("dev"), True), shown)
    payload = json.loads(out(shown))
    assert list(payload) == ["schema_version", "env", "dry_run", "changes", "unchanged", "written", "project", "store"]
    assert payload["project"] == {"file": "/srv/optctl.toml", "embedded_default": None}
    assert payload["store"]["prod"] == {
        "backend": "arangodb",
        "location": "https://arango:8529/pipeshub",
        "collection": "ai_configs",
    }


def test_status_is_a_table_whose_rows_are_not_cut_off_a_terminal():
    cells = {"dev": Cell(True, True, True, 300, 1024, "2", _entry()), "prod": Cell(False)}
    shown = console(width=20)
    status_render.status_text(StatusResult(CONTEXT, ["dev", "prod"], [Row("a-service-with-a-long-name", cells)]), shown)
    lines = [line.rstrip() for line in out(shown).splitlines()]
    assert lines[0].split() == ["SERVICE", "DEV", "PROD"]
    # one record a line off a terminal: the cell's two lines joined (issue 13)
    assert lines[1].split() == ["a-service-with-a-long-name", "on", "300s", "1024;", "alice", "12-01", "10:00", "absent"]


def test_an_empty_embedded_store_says_where_it_looked_and_what_to_do():
    shown = console()
    status_render.status_text(StatusResult(EMBEDDED, ["production"], []), shown)
    text = out(shown)
    assert "embedded default store at /home/me/optctl.db" in text and "--config" in text and "optctl init" in text


def test_history_shows_the_differences_it_is_given_whole():
    line = HistoryLine(_entry(), [Difference("cache.enabled", "changed", False, True)])
    shown = console(width=40)
    render.history_text(HistoryResult(CONTEXT, [line]), shown)
    text = out(shown)
    assert "~ cache.enabled: false -> true" in text and "a reason long enough to matter" in text
    assert "…" not in text


def test_show_and_diff_never_print_a_secret():
    document = ai_config("indexing")
    shown = console(200)
    render.document_text(ShowResult(CONTEXT, "dev", StoredDocument("indexing", "indexing", "3", document)), shown)
    render.env_diff_text(
        DiffResult(
            CONTEXT,
            "dev",
            "prod",
            [
                ServiceDifference(
                    "indexing", None, [Difference("configuration.apiKey", "changed", "sk-ant-a-secret", "sk-ant-other")]
                ),
                ServiceDifference("query", "dev", []),
            ],
        ),
        shown,
    )
    text = out(shown)
    assert "sk-ant-" not in text and "revision 3" in text and "query: only in dev" in text


def test_without_colour_the_table_is_written_as_rich_lays_it_out():
    cells = {
        "dev": Cell(True, True, True, 300, 1024, "2", _entry()),
        "prod": Cell(True, False, last_change=_entry(actor="a-much-longer-actor")),
    }
    result = StatusResult(CONTEXT, ["dev", "prod"], [Row("indexing", cells), Row("q", {"dev": Cell(False), "prod": Cell(False)})])
    table = render.aligned_table("SERVICE", "DEV", "PROD")
    for row in result.rows:
        table.add_row(row.service, *(status_render._cell(row.cells[env], "\n") for env in result.environments))
    laid_out = Console(file=io.StringIO(), width=1000, color_system=None, force_terminal=True)
    laid_out.print(table)
    assert render.plain_columns(table) == "".join(line.rstrip() + "\n" for line in out(laid_out).splitlines())
