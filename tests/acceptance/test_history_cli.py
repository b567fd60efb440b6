"""``optctl history`` bounded, through the real CLI: a default length, a window, and --all as JSON Lines."""

from __future__ import annotations

import json

import pytest

from optctl.cli.app import main
from tests.acceptance.test_store_commands import project, run  # noqa: F401  (the fixture)

SECRET_FREE = "sk-ant"


@pytest.fixture
def changed(project, capsys):  # noqa: F811
    for verb in ("enable", "disable", "enable"):
        assert main([verb, "indexing", "agent", "-e", "dev", "-y", "-r", "trial"]) == 0
    capsys.readouterr()
    return project


def test_all_as_json_is_one_entry_a_line_oldest_first_every_environment(changed, capsys):
    code, out, _ = run(capsys, "history", "--all", "-o", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 6 * 3 + 6  # examples imported in 3 environments, 6 changes in dev
    assert {line["schema_version"] for line in lines} == {1}
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
    assert [line["action"] for line in lines if line["service"] == "indexing" and line["env"] == "dev"] == [
        "import",
        "enable",
        "disable",
        "enable",
    ]
    assert SECRET_FREE not in out


def test_limit_since_and_until_bound_the_table_and_the_json(changed, capsys):
    document = json.loads(run(capsys, "history", "-e", "dev", "-n", "3", "-o", "json")[1])
    assert document["limit"] == 3 and document["more"] is True
    assert [e["action"] for e in document["entries"]] == ["disable", "enable", "enable"]
    assert json.loads(run(capsys, "history", "--since", "1h", "-o", "json")[1])["more"] is False
    assert json.loads(run(capsys, "history", "--until", "2000-01-01", "-o", "json")[1])["entries"] == []
    code, out, _ = run(capsys, "history", "-e", "dev", "-n", "2")
    assert code == 0 and "the newest 2 entries; older ones: --limit N, --since 7d, or --all" in out


def test_all_as_a_table_and_the_contradictions(changed, capsys):
    code, out, _ = run(capsys, "history", "--all", "agent", "-e", "dev")
    assert code == 0 and out.count("trial") == 3 and out.count("AT (UTC)") == 1
    assert run(capsys, "history", "--all", "-n", "5")[0] == 2
    code, _, err = run(capsys, "history", "--since", "yesterday")
    assert code == 2 and "--since 'yesterday': not a duration" in err


def test_the_help_states_the_default_length(capsys):
    code, out, _ = run(capsys, "history", "--help")
    assert code == 0 and "newest 50" in out and "--since" in out and "--all" in out
