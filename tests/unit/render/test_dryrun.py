"""The dry-run renderers say which project and store the run used: a footer line and JSON fields."""

from __future__ import annotations

import io
import json

from rich.console import Console

from optctl.commands import dryrun as dry
from optctl.providers import rules as table
from optctl.render import dryrun as render
from optctl.settings.context import RunContext, StoreIdentity
from tests.support import paths

FIXTURE = paths.ROOT / "examples" / "prompts" / "support-agent-tools.json"
FROM_STORE = RunContext("/srv/optctl.toml", None, (StoreIdentity("dev", "sqlite", "/srv/optctl.db"),))
EMBEDDED = RunContext(None, "/home/me/optctl.db")


def a_result(context: RunContext) -> dry.DryRunResult:
    settings = dry.default_settings()
    counter = dry.make_counter("chars4")
    reports = list(
        dry.run([str(FIXTURE)], settings=settings, rules=table.load(None), counter=counter, strategies=["wrapper"], calls=10)
    )
    return dry.result(
        reports,
        strategy="wrapper",
        strategies=["wrapper"],
        tokenizer=counter.name,
        calls=10,
        source=settings.source,
        context=context,
    )


def test_report_text_ends_with_the_project_and_store_line():
    shown = Console(file=io.StringIO(), width=120, color_system=None)
    render.report_text(a_result(FROM_STORE), console=shown)
    assert shown.file.getvalue().strip().splitlines()[-1] == "project: /srv/optctl.toml; store: dev: sqlite /srv/optctl.db"


def test_report_text_without_a_store_names_the_embedded_default():
    shown = Console(file=io.StringIO(), width=120, color_system=None)
    render.report_text(a_result(EMBEDDED), console=shown)
    assert shown.file.getvalue().strip().splitlines()[-1] == "project: embedded default at /home/me/optctl.db"


def test_report_json_adds_project_and_store_after_its_own_fields(capsys):
    render.report_json(a_result(FROM_STORE))
    payload = json.loads(capsys.readouterr().out)
    assert list(payload)[-2:] == ["project", "store"]
    assert payload["store"] == {"dev": {"backend": "sqlite", "location": "/srv/optctl.db"}}
    assert payload["config"] == "the default optimization config" and payload["total"]["fixtures"] == 1


def test_the_findings_on_stderr_end_with_the_project_line(capsys):
    render.findings_to_stderr(a_result(EMBEDDED).reports, EMBEDDED)
    assert capsys.readouterr().err.strip().splitlines()[-1] == "project: embedded default at /home/me/optctl.db"
