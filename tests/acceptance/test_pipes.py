"""Text output as scripts and people get it: whole records a line in a pipe, commands never split.

In these tests stdout is captured, so it is not a terminal: exactly a pipe's case. The terminal
case is rich's own (``TTY_COMPATIBLE=1``, ``COLUMNS``), as a narrow terminal window would be.
"""

from __future__ import annotations

import json
import re

import pytest

from optctl.cli.app import main

LONG_REASON = "ticket OPS-1234: " + "caching trial agreed with the owners of the indexing pipeline, " * 4
LONG_SERVICE = "indexing-" + "very-long-service-name-" * 5 + "end"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


@pytest.fixture
def project(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--example"]) == 0
    capsys.readouterr()
    return tmp_path


def _add_long_named_service(capsys, tmp_path):
    from tests.support.samples import ai_config

    (tmp_path / "long.json").write_text(json.dumps([ai_config(LONG_SERVICE)]))
    assert main(["import", "long.json", "--env", "dev", "-y"]) == 0
    capsys.readouterr()


def test_piped_history_is_one_line_per_entry_and_nothing_is_cut(project, capsys):
    assert (
        run(
            capsys,
            "set",
            "query",
            "cache.min_tokens_to_cache=4096",
            "cache.default_ttl_seconds=3600",
            "--env",
            "dev",
            "-y",
            "--reason",
            LONG_REASON,
        )[0]
        == 0
    )
    code, out = run(capsys, "history", "query", "--env", "dev")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["AT", "(UTC)", "ENV", "SERVICE", "REV", "ACTOR", "ACTION", "CHANGE", "REASON", "ROLLOUT"]
    entries = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d ", line)]
    assert len(entries) == 2  # the import and the set, one line each
    change = entries[1]
    assert "~ cache.min_tokens_to_cache: 2048 -> 4096; ~ cache.default_ttl_seconds: 300 -> 3600" in change
    assert LONG_REASON.strip() in change


def test_piped_status_keeps_every_column_and_one_line_per_service(project, capsys):
    _add_long_named_service(capsys, project)
    code, out = run(capsys, "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["SERVICE", "DEV", "STAGING", "PRODUCTION"]
    rows = {line.split()[0]: line for line in lines[1:] if line and not line.startswith(("cell:", "project:"))}
    assert set(rows) == {"agent", "classifier", "entity-extraction", "indexing", "query", "summarizer", LONG_SERVICE}
    assert "off 300s 2048; test-operator" in rows["query"]
    assert rows[LONG_SERVICE].split()[1:3] == ["off", "300s"]


def test_piped_rollout_list_keeps_the_name_column(project, capsys):
    name = "enable-prompt-caching-for-" + "every-service-of-the-platform-" * 3 + "q4"
    assert (
        run(
            capsys,
            "rollout",
            "plan",
            "--services",
            "indexing",
            "--soak",
            "0",
            "--no-approval",
            "--name",
            name,
            "--out",
            "plan.yaml",
        )[0]
        == 0
    )
    assert run(capsys, "rollout", "start", "plan.yaml", "--yes")[0] == 0
    code, out = run(capsys, "rollout", "list")
    assert code == 0
    header, *rest = [line for line in out.splitlines() if line.strip() and not set(line.strip()) <= {"─"}]
    assert [column.lower() for column in header.split()][:3] == ["id", "name", "state"]
    assert name in rest[0] and "running" in rest[0]


def test_on_a_narrow_terminal_no_command_in_a_hint_is_split(project, capsys, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "40")
    assert run(capsys, "rollout", "plan", "--services", "indexing", "--soak", "0", "--no-approval", "--out", "plan.yaml")[0] == 0
    code, out = run(capsys, "rollout", "start", "plan.yaml", "--yes")
    assert code == 0
    hints = [line for line in out.splitlines() if "`optctl " in line]
    assert hints, out
    for line in hints:
        assert line.count("`") % 2 == 0, f"a command split across lines: {line!r}"


def test_piped_rollout_status_is_one_line_per_stage(project, capsys):
    assert run(capsys, "enable", "query", "--env", "dev", "-y")[0] == 0
    assert (
        run(capsys, "rollout", "plan", "--services", "indexing,query", "--soak", "0", "--no-approval", "--out", "plan.yaml")[0]
        == 0
    )
    code, out = run(capsys, "rollout", "start", "plan.yaml", "--yes")
    assert code == 0
    stage_rows = [line for line in out.splitlines() if re.match(r"\s*\d+\s+(dev|staging|production)\s", line)]
    assert len(stage_rows) == 4, out  # dev, staging, production x2: one line each
    assert "(already on: query)" in stage_rows[0] and "indexing, query; (already on: query)" in stage_rows[0]
