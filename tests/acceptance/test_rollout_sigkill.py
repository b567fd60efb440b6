"""A real SIGKILL at every journal step of an advance and of an abort, on both record stores (the
SQLite file of the documents; ArangoDB through the stand-in, reached over HTTP by the killed
process): another OPTCTL_HOME with the same optctl.toml finishes the rollout, nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from optctl.cli.app import main
from optctl.services.examples import load_examples
from optctl.settings.project import load_project
from optctl.stores.factory import open_store

KILLER = """
import os, sys
from pathlib import Path
from optctl.commands import rollout as commands
from optctl.commands.change import WriteOptions
step, verb, config = sys.argv[1], sys.argv[2], Path(sys.argv[3])
def kill(at, rollout):
    if at == step:
        os.kill(os.getpid(), 9)
options = WriteOptions(config=config, yes=True, reason="stop")
if verb == "advance":
    commands.advance(None, options, on_step=kill)
else:
    commands.abort(None, options, on_step=kill)
"""
ADVANCE_STEPS = ["loaded", "apply:intent-saved", "apply:written", "apply:done"]
ABORT_STEPS = ["loaded", "rollback:intent-saved", "rollback:written", "rollback:done"]


@pytest.fixture(params=["sqlite", "arango"])
def project_file(request, tmp_path, monkeypatch):
    config = tmp_path / "optctl.toml"
    if request.param == "sqlite":
        config.write_text("".join(f'[environments.{e}]\nurl = "sqlite:///optctl.db"\n' for e in ("dev", "staging", "production")))
    else:
        from optctl.settings.project import RolloutsConfig
        from tests.arango_server.harness import PASSWORD_VARIABLE, USER_VARIABLE, harness_for

        harness = harness_for(request)
        tables = []
        for env in ("dev", "staging", "production"):
            harness.open(env).close()  # its collections
            tables.append(
                f'[environments.{env}]\nurl = "{harness.url}"\ncollection = "{env}_ai_configs"\n'
                f'history_collection = "{env}_optctl_history"\nusername_env = "{USER_VARIABLE}"\n'
                f'password_env = "{PASSWORD_VARIABLE}"\n'
            )
        where = RolloutsConfig("production")
        for name in (where.collection, where.journal_collection):
            harness.server.state.create_collection(harness.database, name)
        config.write_text("".join(tables))
    for env in load_project(config).environments.values():
        store = open_store(env)
        load_examples(store, "seed")
        store.close()
    (tmp_path / "plan.yaml").write_text(
        "name: p\nstages:\n- {environment: dev, services: [indexing, query]}\n"
        "- {environment: staging, services: [indexing, query]}\n"
    )
    monkeypatch.chdir(tmp_path)
    return config


def cli(capsys, home, *args):
    with pytest.MonkeyPatch.context() as local:
        local.setenv("OPTCTL_HOME", str(home))
        code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def killed(home, step, verb, config):
    env = {**os.environ, "OPTCTL_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", KILLER, step, verb, str(config)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


def enabled(config, env):
    store = open_store(load_project(config).env(env))
    try:
        return {s: d.optimization["cache"]["enabled"] for s, d in store.read_many(["indexing", "query"]).items()}
    finally:
        store.close()


@pytest.mark.parametrize("step", ADVANCE_STEPS)
def test_an_advance_killed_at_any_step_is_finished_from_another_home(project_file, step, tmp_path, capsys):
    config = str(project_file)
    assert cli(capsys, tmp_path / "home-a", "rollout", "start", "plan.yaml", "--yes", "--config", config)[0] == 0
    killed(tmp_path / "home-a", step, "advance", project_file)
    code, out, _ = cli(capsys, tmp_path / "home-b", "rollout", "advance", "--yes", "--config", config, "-o", "json")
    assert code == 0, out
    shown = json.loads(out)["rollout"]
    assert shown["interrupted"] is None and shown["stages"][1]["enabled"] == ["indexing", "query"]
    assert enabled(project_file, "staging") == {"indexing": True, "query": True}
    history = json.loads(cli(capsys, tmp_path / "home-b", "history", "--env", "staging", "--config", config, "-o", "json")[1])[
        "entries"
    ]
    assert sorted(e["service"] for e in history if e["rollout"] == shown["id"] and e["action"] == "enable") == [
        "indexing",
        "query",
    ]


@pytest.mark.parametrize("step", ABORT_STEPS)
def test_an_abort_killed_at_any_step_is_finished_from_another_home(project_file, step, tmp_path, capsys):
    config = str(project_file)
    code, out, _ = cli(capsys, tmp_path / "home-a", "rollout", "start", "plan.yaml", "--yes", "--config", config, "-o", "json")
    rollout_id = json.loads(out)["rollout"]["id"]
    assert cli(capsys, tmp_path / "home-b", "rollout", "advance", "--yes", "--config", config)[0] == 0
    killed(tmp_path / "home-a", step, "abort", project_file)
    code, out, err = cli(
        capsys,
        tmp_path / "home-b",
        "rollout",
        "abort",
        rollout_id,
        "--reason",
        "again",
        "--yes",
        "--config",
        config,
        "-o",
        "json",
    )
    assert code == 0, out + err
    assert json.loads(out)["rollout"]["state"] == "aborted"
    assert enabled(project_file, "dev") == enabled(project_file, "staging") == {"indexing": False, "query": False}
