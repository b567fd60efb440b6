"""The rollout renderers over hand-made results: the project/store footer and JSON fields, and the
soak time the view computed (the renderer only formats it)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

from rich.console import Console

from optctl.commands.rollout import Outcome, RolloutList, View
from optctl.render import rollout as render
from optctl.rollout.machine import StageAction
from optctl.rollout.state import GateStatus, Rollout, StageRecord
from optctl.settings.context import RunContext, StoreIdentity

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
CONTEXT = RunContext(
    "/srv/optctl.toml",
    None,
    (
        StoreIdentity("dev", "sqlite", "/srv/optctl.db"),
        StoreIdentity("production", "arangodb", "https://arango:8529/db", "ai_configs"),
    ),
)


def console(width: int = 100) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None)


def a_view(soak_left: float | None = 5400.0) -> View:
    stage = StageRecord(
        environment="dev",
        services=["indexing"],
        state="soaking",
        applied_at="2026-11-25T08:00:00Z",
        gates=[GateStatus(gate={"kind": "soak", "duration": "3h"})],
    )
    rollout = Rollout(
        id="r1",
        name="caching",
        started_by="alice",
        started_at="2026-11-25T08:00:00Z",
        updated_at="2026-11-25T08:00:00Z",
        stages=[stage],
    )
    return View(rollout, [], StageAction("wait", 0, until=NOW + timedelta(minutes=30), reason="soaking"), NOW, (), (soak_left,))


def test_outcome_text_ends_with_the_project_and_store_line():
    shown, errors = console(), console()
    render.outcome_text(Outcome([a_view()], context=CONTEXT), shown, errors)
    last = shown.file.getvalue().strip().splitlines()[-1]
    assert last.startswith("project: /srv/optctl.toml; store: dev: sqlite /srv/optctl.db")
    assert "production: arangodb https://arango:8529/db collection ai_configs" in last


def test_outcome_text_of_a_dry_run_still_says_the_project_and_store():
    shown = console()
    render.outcome_text(Outcome([a_view()], dry_run=True, context=CONTEXT), shown, console())
    assert (
        shown.file.getvalue().strip() == "project: /srv/optctl.toml; store: dev: sqlite /srv/optctl.db; "
        "production: arangodb https://arango:8529/db collection ai_configs"
    )


def test_outcome_json_adds_project_and_store_after_its_own_fields():
    shown = console()
    render.outcome_json(Outcome([a_view()], context=CONTEXT), shown)
    payload = json.loads(shown.file.getvalue())
    assert list(payload)[-2:] == ["project", "store"]
    assert payload["project"] == CONTEXT.to_json()["project"] and payload["store"]["dev"]["backend"] == "sqlite"
    assert payload["rollout"]["id"] == "r1"


def test_the_soak_time_shown_is_the_one_the_view_computed():
    shown = console()
    render.outcome_json(Outcome([a_view(soak_left=5400.0)], context=CONTEXT), shown)
    assert json.loads(shown.file.getvalue())["rollout"]["stages"][0]["gates"][0]["remaining_seconds"] == 5400
    text = console()
    render.outcome_text(Outcome([a_view(soak_left=5400.0)], context=CONTEXT), text, console())
    assert "1h30m left" in text.file.getvalue()
    assert "can move in 30m" in text.file.getvalue()


def test_list_text_and_json_say_the_project_and_store():
    listed = RolloutList([a_view().rollout], CONTEXT)
    shown = console()
    render.list_text(listed, shown)
    assert shown.file.getvalue().strip().splitlines()[-1].startswith("project: /srv/optctl.toml; store: dev")
    data = console()
    render.list_json(listed, data)
    payload = json.loads(data.file.getvalue())
    assert [r["id"] for r in payload["rollouts"]] == ["r1"] and payload["store"] == CONTEXT.to_json()["store"]
