"""Progress bars: drawn on a terminal a person watches, never in a pipe, in CI or in JSON mode.

The real CLI runs in a child process whose stderr is a pseudo-terminal (or a pipe); the bar's
delay is set to zero through its environment variable so that the test does not depend on how
long the work takes on a loaded machine.
"""

from __future__ import annotations

import json
import os
import pty
import selectors
import subprocess
import sys

import pytest

from optctl.render.progress import AFTER_VARIABLE, Bars

BAR = "━"  # rich's bar glyph


def _documents(tmp_path, count=300) -> str:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps({"cache": {"enabled": i % 2 == 0}}) + "\n" for i in range(count)))
    return str(path)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    return {**env, "TERM": "xterm-256color", AFTER_VARIABLE: "0", "COLUMNS": "100", **extra}


def _stderr_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run optctl with stderr on a pseudo-terminal; (exit code, stdout, what the terminal showed).

    Both are drained together: a child whose stdout fills the pipe (64 kB; the JSON of 300
    documents names the file 300 times, so a longer temporary path is enough) would otherwise
    block on it while this side waits for the terminal to close."""
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "optctl", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env
    )
    os.close(slave)
    assert child.stdout is not None
    received = {master: b"", child.stdout.fileno(): b""}
    with selectors.DefaultSelector() as open_ends:
        for fd in received:
            open_ends.register(fd, selectors.EVENT_READ)
        while open_ends.get_map():
            for key, _ in open_ends.select():
                try:
                    chunk = os.read(key.fd, 65536)
                except OSError:  # EIO: the child closed its end of the terminal
                    chunk = b""
                if chunk:
                    received[key.fd] += chunk
                else:
                    open_ends.unregister(key.fd)
    os.close(master)
    out = received[child.stdout.fileno()].decode()
    child.stdout.close()
    return child.wait(), out, received[master].decode(errors="replace")


def test_validate_draws_a_bar_on_a_terminal(tmp_path):
    code, out, shown = _stderr_on_a_terminal(["validate", _documents(tmp_path)], _env())
    assert code == 0 and "300 documents" in out
    assert BAR in shown and "validating" in shown and "kB" in shown  # bytes done, of the total


@pytest.mark.parametrize("why", ["json", "ci"])
def test_no_bar_in_json_mode_or_ci_even_on_a_terminal(tmp_path, why):
    args, env = ["validate", _documents(tmp_path)], _env()
    if why == "json":
        args.append("--output=json")
    else:
        env["CI"] = "true"
    code, out, shown = _stderr_on_a_terminal(args, env)
    assert code == 0 and BAR not in shown and "validating" not in shown


def test_no_bar_in_a_pipe(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "optctl", "validate", _documents(tmp_path)], capture_output=True, text=True, env=_env()
    )
    assert done.returncode == 0 and done.stderr == ""


class FakeTerminal:
    """A stream that says it is a terminal, and a clock the test moves."""

    def __init__(self):
        self.written, self.now = [], 0.0

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_short_work_shows_nothing_long_work_shows_the_bar():
    terminal = FakeTerminal()
    bars = Bars(stream=terminal, environ={"TERM": "xterm"}, clock=lambda: terminal.now)
    with bars("importing", 10, "documents") as advance:
        advance(3)
        terminal.now = 0.4  # under the default half second: still nothing
        advance(3)
        assert terminal.written == []
        terminal.now = 0.6
        advance(4)
    assert any("importing" in text and "10/10" in text for text in terminal.written)


def test_enable_import_and_export_of_many_services_show_a_bar_on_a_terminal(tmp_path):
    services = [f"s{i:03d}" for i in range(50)]
    documents = tmp_path / "services.jsonl"
    documents.write_text(
        "".join(
            json.dumps(
                {
                    "_key": s,
                    "provider": "anthropic",
                    "configuration": {"model": "claude-sonnet-4-5-20250929"},
                    "optimization": {"cache": {"enabled": False}},
                }
            )
            + "\n"
            for s in services
        )
    )
    env = _env(OPTCTL_HOME=str(tmp_path / "home"))
    for args, words in (
        (["import", str(documents), "-e", "dev", "-y"], ("writing 50 change(s) to dev", "50 changes")),
        (["enable", *services, "-e", "dev", "-y"], ("writing 50 change(s) to dev", "50 changes")),
        (["export", "-e", "dev"], ("reading dev", "50 documents")),
    ):
        code, out, shown = _stderr_on_a_terminal(args, env)
        assert code == 0 and all(word in shown for word in words), (args[0], shown)
        assert BAR not in out and "writing" not in out  # the bar never reaches stdout


def _fixtures(tmp_path, count=600) -> str:
    """Small prompt fixtures, one a line: three batches of the tokenizer, so the bar moves."""
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        "".join(
            json.dumps({"model": "claude-sonnet-4-5-20250929", "messages": [{"role": "user", "content": f"question {i}"}]}) + "\n"
            for i in range(count)
        )
    )
    return str(path)


def test_dry_run_shows_fixtures_done_and_their_rate_on_a_terminal(tmp_path):
    code, out, shown = _stderr_on_a_terminal(["dry-run", _fixtures(tmp_path)], _env())
    assert code == 0 and "fixtures (600)" in out
    assert BAR in shown and "dry-run" in shown and "256 fixtures" in shown and "fixtures/s" in shown
    assert BAR not in out


def test_no_dry_run_bar_in_json_mode_or_a_pipe(tmp_path):
    fixtures = _fixtures(tmp_path)
    code, out, shown = _stderr_on_a_terminal(["dry-run", fixtures, "-o", "json"], _env())
    assert code == 0 and json.loads(out)["total"]["fixtures"] == 600 and "dry-run" not in shown and BAR not in shown
    done = subprocess.run([sys.executable, "-m", "optctl", "dry-run", fixtures], capture_output=True, text=True, env=_env())
    assert done.returncode == 0 and done.stderr == ""


def test_advance_wait_shows_the_soak_under_its_spinner_but_not_in_json(tmp_path, monkeypatch):
    """The real CLI in process: stderr a terminal, the clock the test's, and each sleep moves it."""
    import time

    from optctl.cli.app import main
    from optctl.rollout import operations
    from tests.support.seeding import seed_embedded_examples
    from tests.unit.rollout.conftest import FakeClock

    monkeypatch.chdir(tmp_path)
    seed_embedded_examples()
    clock = FakeClock()
    monkeypatch.setattr(operations, "utc_now", clock)
    monkeypatch.setattr(time, "sleep", lambda seconds: clock.tick(seconds=seconds))
    for name, value in _env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CI", raising=False)
    plan = ["rollout", "plan", "--services", "indexing", "--soak", "2m", "--no-approval", "--out", "plan.yaml", "--force"]
    shown, captured = {}, sys.stderr
    for output in ("text", "json"):
        assert main(plan) == 0 and main(["rollout", "start", "--yes", "plan.yaml", "-o", "json"]) == 0
        terminal = FakeTerminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main(["rollout", "advance", "--wait", "--yes", "-o", output]) == 0
        monkeypatch.setattr(sys, "stderr", captured)
        shown[output] = "".join(terminal.written)
    assert "stage 1 (dev) soaking" in shown["text"] and "2m left" in shown["text"] and BAR in shown["text"]
    assert "waiting" in shown["text"]  # the spinner above the bar says what it is doing
    assert "soaking" not in shown["json"] and BAR not in shown["json"]
