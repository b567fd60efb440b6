"""Rollout writes behave like every other write (diff, ask, --yes, --dry-run), several active
rollouts are shown and stopped together, and a rollout is bound to the project it was started with."""

from __future__ import annotations

import json

import pytest

from tests.support.seeding import seed_embedded_examples
from optctl.settings.project import embedded_project, load_project
from optctl.stores.factory import open_store
from tests.support.cli import run


@pytest.fixture(autouse=True)
def seeded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seed_embedded_examples()


def caching(env: str) -> dict[str, bool]:
    store = open_store(embedded_project().env(env))
    try:
        return {s: d.optimization["cache"]["enabled"] for s, d in store.read_many().items() if d.optimization}
    finally:
        store.close()


def plan(capsys, services="indexing,query", out="plan.yaml"):
    assert run(capsys, "rollout", "plan", "--services", services, "--soak", "0", "--no-approval", "--out", out)[0] == 0


def test_off_a_terminal_a_rollout_write_without_yes_is_refused_and_writes_nothing(capsys):
    plan(capsys)
    code, out, err = run(capsys, "rollout", "start", "plan.yaml")
    assert code == 2 and "pass --yes" in err and "nothing was written" in err
    assert "dev           indexing   false -> true" in out  # the diff came first
    assert run(capsys, "rollout", "list", "-o", "json")[1].count('"id"') == 0 and not any(caching("dev").values())


def test_dry_run_shows_the_change_and_writes_nothing(capsys):
    plan(capsys)
    code, out, _ = run(capsys, "rollout", "start", "plan.yaml", "--dry-run", "-o", "json")
    shown = json.loads(out)
    assert code == 0 and shown["dry_run"] is True and shown["written"] is False
    assert [(c["environment"], c["service"], c["before"], c["after"]) for c in shown["preview"]["changes"]] == [
        ("dev", "indexing", False, True),
        ("dev", "query", False, True),
    ]
    assert not any(caching("dev").values())
    assert run(capsys, "rollout", "start", "plan.yaml", "--yes")[0] == 0
    code, out, _ = run(capsys, "rollout", "advance", "--dry-run")
    assert code == 0 and "stage 1 passes, stage 2 (staging) is applied" in out and "staging       query      false -> true" in out
    assert not any(caching("staging").values())
    code, out, _ = run(capsys, "rollout", "abort", "--reason", "look", "--dry-run")
    assert code == 0 and "true -> false" in out and all(caching("dev")[s] for s in ("indexing", "query"))


def test_plan_out_never_overwrites_without_force_and_o_means_output(capsys, tmp_path):
    plan(capsys)
    code, _, err = run(capsys, "rollout", "plan", "--services", "agent", "--out", "plan.yaml")
    assert code == 2 and "already exists; pass --force" in err and "indexing" in (tmp_path / "plan.yaml").read_text()
    assert run(capsys, "rollout", "plan", "--services", "agent", "--out", "plan.yaml", "--force")[0] == 0
    assert "indexing" not in (tmp_path / "plan.yaml").read_text()
    assert run(capsys, "rollout", "plan", "--services", "agent", "-o", "plan2.yaml")[0] == 2  # -o is --output
    assert not (tmp_path / "plan2.yaml").exists()


def test_several_active_rollouts_are_all_shown_paused_and_aborted_together(capsys):
    plan(capsys, "indexing", "one.yaml")
    plan(capsys, "query", "two.yaml")
    assert run(capsys, "rollout", "start", "one.yaml", "--yes")[0] == 0
    assert run(capsys, "rollout", "start", "two.yaml", "--yes")[0] == 0
    code, out, _ = run(capsys, "rollout", "status", "-o", "json")
    assert code == 0 and len(json.loads(out)["rollouts"]) == 2
    code, _, err = run(capsys, "rollout", "pause", "--reason", "3am", "--yes")
    assert code == 2 and "name one, or use --all" in err
    code, out, _ = run(capsys, "rollout", "pause", "--all", "--reason", "3am", "--yes", "-o", "json")
    assert code == 0 and [r["state"] for r in json.loads(out)["rollouts"]] == ["paused", "paused"]
    code, out, _ = run(capsys, "rollout", "abort", "--all", "--reason", "3am", "--yes", "-o", "json")
    assert code == 0 and [r["state"] for r in json.loads(out)["rollouts"]] == ["aborted", "aborted"]
    assert not any(caching("dev").values())


def test_pause_without_an_active_rollout_says_so_and_exits_0(capsys):
    code, _, err = run(capsys, "rollout", "pause", "--reason", "3am page", "--yes")
    assert code == 0 and "no active rollout: nothing to pause; go on" in err


def test_a_rollout_refuses_stores_other_than_those_it_was_started_with(capsys, tmp_path):
    plan(capsys)
    assert run(capsys, "rollout", "start", "plan.yaml", "--yes")[0] == 0
    embedded = embedded_project().env("dev").url.removeprefix("sqlite:///")
    other = tmp_path / "other.toml"  # same record store (production's file), another dev
    other.write_text(
        f'[environments.dev]\nurl = "sqlite:///elsewhere.db"\n[environments.staging]\nurl = "sqlite:///{embedded}"\n'
        f'[environments.production]\nurl = "sqlite:///{embedded}"\n'
    )
    load_project(other)
    code, _, err = run(capsys, "rollout", "advance", "--yes", "--config", str(other))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "was started with the embedded default store" in err and "elsewhere.db" in err and "nothing was done" in err
    assert not any(caching("staging").values())
