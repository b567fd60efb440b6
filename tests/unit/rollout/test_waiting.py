"""``advance --wait`` and ``status --watch`` end with distinct exit codes: 0 completed, 1 failed or
aborted, 4 waiting for a person (approval or pause), 5 timed out. The clock is injected and the
sleep moves it, so a 24 h soak and a 1 h timeout take no time at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from optctl.commands import rollout as commands
from optctl.commands.change import WriteOptions
from optctl.commands.edges import Edges
from optctl.services.examples import load_examples
from optctl.settings.project import embedded_project
from optctl.stores.factory import open_store
from tests.unit.rollout.conftest import FakeClock

YES = WriteOptions(yes=True, reason="test")


@pytest.fixture
def edges(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTCTL_HOME", str(tmp_path / "home"))
    project = embedded_project()
    for env in project.environments.values():
        store = open_store(env)
        load_examples(store, "seed")
        store.close()
    return Edges(load_project=lambda _: project, actor=lambda: "alice")


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(commands.ops, "utc_now", clock)
    return clock


def waiting(clock, timeout=None):
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.tick(seconds=seconds)

    return commands.Waiting(timeout, sleep, clock=clock), slept


def start(tmp_path: Path, edges, gates: str) -> str:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        f"name: p\nstages:\n- environment: dev\n  services: [indexing]\n  gates: {gates}\n"
        "- environment: staging\n  services: [indexing]\n"
    )
    return commands.start(str(plan), YES, edges).views[0].rollout.id


def test_wait_through_a_soak_to_completion_exits_0(tmp_path, edges, clock):
    start(tmp_path, edges, "[{kind: soak, duration: 24h}]")
    wait, slept = waiting(clock)
    outcome = commands.advance(None, YES, edges, wait=wait)
    assert outcome.views[0].rollout.state == "completed" and outcome.wait_exit_code() == commands.EXIT_COMPLETED == 0
    assert sum(slept) == 24 * 3600 and max(slept) <= wait.interval


def test_wait_stops_for_an_approval_with_exit_4(tmp_path, edges, clock):
    start(tmp_path, edges, "[{kind: approval}]")
    outcome = commands.advance(None, YES, edges, wait=waiting(clock)[0])
    assert outcome.views[0].next.kind == "wait" and outcome.wait_exit_code() == commands.EXIT_NEEDS_PERSON == 4


def test_wait_on_a_failed_gate_exits_1(tmp_path, edges, clock):
    start(tmp_path, edges, "[{kind: check, command: 'exit 3', retries: 0}]")
    outcome = commands.advance(None, YES, edges, wait=waiting(clock)[0])
    assert outcome.views[0].rollout.state == "failed" and outcome.wait_exit_code() == commands.EXIT_FAILED == 1


def test_wait_past_its_timeout_exits_5_and_slept_no_longer(tmp_path, edges, clock):
    start(tmp_path, edges, "[{kind: soak, duration: 24h}]")
    wait, slept = waiting(clock, timeout=3600)
    outcome = commands.advance(None, YES, edges, wait=wait)
    assert outcome.timed_out and outcome.wait_exit_code() == commands.EXIT_TIMED_OUT == 5
    assert sum(slept) == 3600 and outcome.views[0].rollout.state == "running"


def test_watch_ends_on_pause_abort_completion_and_timeout(tmp_path, edges, clock):
    rollout_id = start(tmp_path, edges, "[{kind: soak, duration: 2h}]")
    shown = []
    wait, _ = waiting(clock, timeout=60)
    assert commands.watch(None, wait, shown.append, None, edges).wait_exit_code() == 5
    commands.pause(rollout_id, YES, edges)
    assert commands.watch(None, waiting(clock)[0], shown.append, None, edges).wait_exit_code() == 4
    commands.resume(rollout_id, YES, edges)
    clock.tick(hours=3)
    commands.advance(rollout_id, YES, edges)
    commands.advance(rollout_id, YES, edges)
    assert commands.watch(rollout_id, waiting(clock)[0], shown.append, None, edges).wait_exit_code() == 0
    other = start(tmp_path, edges, "[]")
    commands.abort(other, YES, edges)
    assert commands.watch(other, waiting(clock)[0], shown.append, None, edges).wait_exit_code() == 1


class Terminal:
    """A stream that says whether it is a terminal, and keeps what is written to it."""

    def __init__(self, tty: bool = True):
        self.tty, self.written = tty, []

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.written)


def soak_bars(clock, terminal, quiet=False):
    """Bars on ``terminal`` that read the test's clock: the soak's time passes without anyone waiting."""
    from optctl.render.progress import Bars

    start = clock()
    return Bars(quiet, terminal, {"TERM": "xterm", "COLUMNS": "100"}, clock=lambda: (clock() - start).total_seconds())


def test_wait_through_a_soak_shows_its_time_left_counting_down(tmp_path, edges, clock):
    import re
    from dataclasses import replace

    start(tmp_path, edges, "[{kind: soak, duration: 2m}]")
    terminal = Terminal()
    wait, slept = waiting(clock)
    outcome = commands.advance(None, YES, replace(edges, progress=soak_bars(clock, terminal)), wait=wait)
    assert outcome.wait_exit_code() == 0 and max(slept) <= wait.tick  # slept in ticks, the clock moved by them
    assert "stage 1 (dev) soaking" in terminal.text and "━" in terminal.text
    left = [m.group(1) for m in re.finditer(r"(\w+) left", terminal.text)]
    seconds = [
        int(m.group(1) or 0) * 60 + int(m.group(2) or 0) for m in (re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", t) for t in left)
    ]
    assert left[0] == "1m59s" and seconds == sorted(seconds, reverse=True) and len(set(seconds)) > 100  # every second


@pytest.mark.parametrize("where", ["pipe", "json"])
def test_no_soak_bar_in_a_pipe_or_in_json_mode(tmp_path, edges, clock, where):
    from dataclasses import replace

    start(tmp_path, edges, "[{kind: soak, duration: 2m}]")
    terminal = Terminal(tty=where != "pipe")
    bars = soak_bars(clock, terminal, quiet=where == "json")
    outcome = commands.advance(None, YES, replace(edges, progress=bars), wait=waiting(clock)[0])
    assert outcome.wait_exit_code() == 0 and terminal.written == []
