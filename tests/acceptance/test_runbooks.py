"""Every ``$ optctl ...`` line of every runbook runs, in order, against an embedded store seeded
with the bundled example services, and exits as the runbook says (0 unless the line carries a
``# exit N`` comment). A runbook's sections run in order on one store; a section written for a
particular situation (a paused rollout, a killed process) gets it set up first by ``SITUATIONS``.
The clock moves 25 hours between commands, so soaks have always passed.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from optctl.cli.app import main
from optctl.settings.project import embedded_project
from optctl.stores.factory import open_store
from optctl.services.examples import load_examples
from optctl.rollout import operations
from tests.unit.rollout.conftest import FakeClock, kill_an_advance_after_its_write
from tests.support import paths, usage_logs

ROOT = paths.ROOT
RUNBOOKS = sorted((ROOT / "runbooks").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\s*$")
EXPECT = re.compile(r"#\s*exit (\d+)\b")


def sections(path: Path) -> list[tuple[str, list[str]]]:
    """(heading, commands) for every ``## `` section with commands in console/bash blocks."""
    found: list[tuple[str, list[str]]] = [("", [])]
    fence, pending = None, ""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = FENCE.match(line)
        if match:
            fence = None if fence is not None else match.group(1)
            continue
        if fence is None and line.startswith("## "):
            found.append((line[3:].strip(), []))
        elif fence in ("console", "bash", "sh", "shell") and (pending or line.startswith("$ ")):
            pending += line.removeprefix("$ ").rstrip()
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
            else:
                found[-1][1].append(pending)
                pending = ""
    return [(heading, commands) for heading, commands in found if commands]


def _paused_by_a_failing_gate(_):
    plan = Path("failing.yaml")
    plan.write_text(
        "name: stuck\non_failure: pause\nstages:\n- environment: dev\n  services: [indexing]\n"
        "  gates: [{kind: check, command: 'echo upstream 503 >&2; exit 1'}]\n- environment: staging\n  services: [indexing]\n"
    )
    return [f"optctl rollout start {plan} --yes", "optctl rollout advance --yes  # exit 1: the gate failed"]


def _killed_mid_apply(clock):
    _run("optctl rollout plan --services indexing,query --soak 0 --no-approval --out plan.yaml", clock)
    _run("optctl rollout start plan.yaml --yes", clock)
    kill_an_advance_after_its_write()
    return []


# The situation each section is written for; the default is the seeded examples only.
SITUATIONS = {
    ("rollback.md", "1."): lambda clock: [
        "optctl rollout plan --services indexing,query --soak 0 --no-approval --out plan.yaml",
        "optctl rollout start plan.yaml --yes",
        "optctl rollout advance --yes",
        "optctl rollout advance --yes",
        "optctl rollout advance --yes",
    ],
    ("stuck-rollout.md", "A gate that never passes"): _paused_by_a_failing_gate,
    ("stuck-rollout.md", "A process that died"): _killed_mid_apply,
}


def _expected(line: str) -> int:
    found = EXPECT.search(line)
    return int(found.group(1)) if found else 0


def _caching(env: str) -> dict[str, bool]:
    store = open_store(embedded_project().env(env))
    try:
        return {name: bool((doc.optimization or {}).get("cache", {}).get("enabled")) for name, doc in store.read_many().items()}
    finally:
        store.close()


def _rollout_states() -> list[str]:
    from optctl.rollout.records import open_records

    records = open_records(embedded_project())
    try:
        return [r.state for r in records.list()]
    finally:
        records.close()


# What must be true once a runbook has been followed to the end.
AFTERWARDS = {
    "staged-rollout.md": lambda: (
        _rollout_states() == ["paused"] and _caching("production")["indexing"] and not _caching("production")["query"]
    ),
    "enable-one-service.md": lambda: not any(_caching("staging").values()),
    "rollback.md": lambda: (
        _rollout_states() == ["aborted"]
        and not any(_caching(env)[s] for env in ("dev", "staging", "production") for s in ("indexing", "query"))
    ),
    "stuck-rollout.md": lambda: (
        _rollout_states() == ["aborted", "running"] and all(_caching("dev")[s] for s in ("indexing", "query"))
    ),
}


def _run(line: str, clock: FakeClock) -> int:
    words = shlex.split(line, comments=True)
    with pytest.MonkeyPatch.context() as local:
        while words and re.match(r"^[A-Z_]+=", words[0]):
            name, _, value = words.pop(0).partition("=")
            local.setenv(name, value)
        assert words[0] == "optctl", f"runbook commands run optctl only: {line}"
        code = main(words[1:])
    clock.tick(hours=25)
    return code


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    for env in embedded_project().environments.values():
        store = open_store(env)
        load_examples(store, "seed")
        store.close()
    clock = FakeClock()
    monkeypatch.setattr(operations, "utc_now", clock)
    # The services' usage log the savings gates read (`usage_log=usage.jsonl`): caching works everywhere.
    usage_logs.hourly(
        tmp_path / "usage.jsonl", ("indexing", "query", "agent"), ("dev", "staging", "production"), clock.now, 30 * 24
    )
    return clock


def test_every_runbook_has_commands():
    assert {p.name for p in RUNBOOKS} >= {"staged-rollout.md", "enable-one-service.md", "rollback.md", "stuck-rollout.md"}
    for path in RUNBOOKS:
        assert sum(len(c) for _, c in sections(path)) >= 2, path.name


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_runbook_commands_run_as_written(path, world, capsys):
    clock = world
    for heading, commands in sections(path):
        situation = next(
            (make for (name, prefix), make in SITUATIONS.items() if name == path.name and heading.startswith(prefix)), None
        )
        if situation is not None:
            for line in situation(clock):
                assert _run(line, clock) == _expected(line), f"situation for {heading!r}: {line}\n{capsys.readouterr()}"
        for line in commands:
            expected = _expected(line)
            code = _run(line, clock)
            out = capsys.readouterr()
            assert code == expected, f"{path.name} / {heading}: `{line}` exited {code}\n{out.out[-2000:]}\n{out.err[-2000:]}"
    assert AFTERWARDS.get(path.name, lambda: True)(), f"{path.name}: the end state is not what the runbook promises"
