"""Small promises: an unreachable environment does not hide the others, `set` of a threshold
while caching is off warns as `enable` would, a generated plan's `$schema` resolves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from optctl.cli.app import main
from tests.support import paths
from tests.support.cli import run
from tests.support.network import refusing_port


@pytest.fixture
def half_down(tmp_path, monkeypatch, capsys, no_backoff):
    """dev and staging embedded, production an ArangoDB server that is down."""
    monkeypatch.chdir(tmp_path)
    with refusing_port() as port:
        (tmp_path / "optctl.toml").write_text(
            '[environments.dev]\nurl = "sqlite:///optctl.db"\n\n[environments.staging]\nurl = "sqlite:///optctl.db"\n\n'
            f'[environments.production]\nurl = "arangodb://127.0.0.1:{port}/pipeshub"\n'
        )
        assert main(["import", str(paths.EXAMPLES / "services" / "query.json"), "--env", "dev", "-y"]) == 0
        capsys.readouterr()
        yield tmp_path


def test_an_unreachable_environment_is_marked_and_the_others_shown(half_down, capsys):
    code, out, _ = run(capsys, "status")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["SERVICE", "DEV", "STAGING", "PRODUCTION"]
    query = next(line for line in lines if line.startswith("query"))
    assert "off 300s" in query and query.split()[-1] == "unreachable"
    assert any(line.startswith("production: unreachable: ") and "connection" in line for line in lines)


def test_an_unreachable_environment_in_json(half_down, capsys):
    code, out, _ = run(capsys, "status", "-o", "json")
    payload = json.loads(out)
    assert code == 1 and payload["environments"] == ["dev", "staging", "production"]
    assert set(payload["unreachable"]) == {"production"}
    assert set(payload["services"][0]["environments"]) == {"dev", "staging"}


def test_with_no_environment_reachable_it_is_an_environment_error(half_down, capsys):
    code, out, err = run(capsys, "status", "--env", "production")
    assert code == 2 and out == "" and "production" in err


def test_setting_a_low_threshold_while_caching_is_off_warns_as_enable_would(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--example"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "set", "summarizer", "cache.min_tokens_to_cache=300", "--env", "dev", "--dry-run", "-o", "json")
    (change,) = json.loads(out)["changes"]
    assert code == 0
    assert any(
        "min_tokens_to_cache" in w and "minimum cacheable prefix" in w and "once caching is enabled" in w
        for w in change["warnings"]
    )
    assert run(capsys, "set", "summarizer", "cache.min_tokens_to_cache=300", "--env", "dev", "-y")[0] == 0
    code, out, _ = run(capsys, "enable", "summarizer", "--env", "dev", "--dry-run", "-o", "json")
    (enabling,) = json.loads(out)["changes"]
    assert any("minimum cacheable prefix" in w for w in enabling["warnings"])
    code, out, _ = run(capsys, "set", "summarizer", "cache.default_ttl_seconds=3600", "--env", "dev", "--dry-run", "-o", "json")
    assert json.loads(out)["changes"][0]["warnings"] == []  # the threshold did not change: nothing new to say


def _schema_reference(plan_text: str, plan_folder: Path) -> Path:
    match = re.match(r"# yaml-language-server: \$schema=(\S+)\n", plan_text)
    assert match, plan_text[:200]
    reference = Path(match.group(1))
    return reference if reference.is_absolute() else plan_folder / reference


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "--out"])
def test_a_generated_plan_names_a_schema_that_exists_and_accepts_it(tmp_path, monkeypatch, capsys, to_file):
    monkeypatch.chdir(tmp_path)
    argv = ["rollout", "plan", "--services", "indexing,query", *(["--out", "plan.yaml"] if to_file else [])]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    text = (tmp_path / "plan.yaml").read_text() if to_file else out
    schema = _schema_reference(text, tmp_path)
    assert schema.is_file()
    validator = Draft202012Validator(json.loads(schema.read_text()))
    assert not list(validator.iter_errors(yaml.safe_load(text)))


def test_the_example_plan_names_the_schema_in_this_repository():
    plan = paths.EXAMPLES / "plans" / "enable-prompt-caching.yaml"
    schema = _schema_reference(plan.read_text(), plan.parent)
    assert schema.resolve() == (paths.ROOT / "schemas" / "rollout-plan.schema.json").resolve()
