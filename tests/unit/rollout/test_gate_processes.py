"""A check gate runs in its own process group, and nothing it started outlives the gate: not after
it exits, not after a timeout, not on Ctrl-C, not when optctl is told to stop. The command reports
its background child's pid through a FIFO and the test watches that child through a pidfd (readable
once the process has ended), so it waits on events, never on a sleep.

It also sees no credential variable the project names unless the plan passes it by name, and a
known secret value never reaches the stored detail."""

from __future__ import annotations

import os
import select
import signal
import threading
from pathlib import Path

import pytest

from optctl.rollout.gates import Evaluators, GateContext, check_environ, run_command

CONTEXT = GateContext("ro-1", 1, "dev", ("agent",))


def ended(pidfd: int) -> bool:
    """The watched process has ended (a SIGKILL is delivered asynchronously: allow it a moment)."""
    return bool(select.select([pidfd], [], [], 10)[0])


def spawning(fifo: Path, then: str) -> str:
    """A shell that starts a long-lived child in the background, says its pid, then does ``then``."""
    return f"sleep 300 & echo $! > {fifo}; {then}"


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pid"
    os.mkfifo(path)
    return path


def read_pid(fifo: Path, pids: list[int], ready: threading.Event, action=None) -> threading.Thread:
    """Reads the child's pid and opens a pidfd on it while it surely still runs (it sleeps 300 s)."""

    def reader():
        with open(fifo) as said:
            pids.append(os.pidfd_open(int(said.read().strip())))
        ready.set()
        if action is not None:
            action()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


def test_a_background_child_is_ended_when_the_check_exits(fifo):
    pids, ready = [], threading.Event()
    read_pid(fifo, pids, ready)
    status, _ = run_command(spawning(fifo, "exit 0"), dict(os.environ), None)
    assert status == 0 and ready.wait(10) and ended(pids[0])


def test_a_timeout_ends_the_whole_group(fifo):
    pids, ready = [], threading.Event()
    read_pid(fifo, pids, ready)
    status, _ = run_command(spawning(fifo, "sleep 300"), dict(os.environ), 1)
    assert status is None and ready.wait(10) and ended(pids[0])


@pytest.mark.parametrize("signum, raised", [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)])
def test_ctrl_c_or_a_stop_signal_ends_the_whole_group(fifo, signum, raised):
    pids, ready = [], threading.Event()
    read_pid(fifo, pids, ready, action=lambda: os.kill(os.getpid(), signum))
    with pytest.raises(raised):
        run_command(spawning(fifo, "sleep 300"), dict(os.environ), None)
    assert ready.wait(10) and ended(pids[0])
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or signum != signal.SIGTERM  # the handler is put back


def test_credential_variables_are_withheld_unless_the_plan_passes_them():
    environ = {"PATH": "/bin", "OPTCTL_ARANGO_PASSWORD": "hunter2-secret", "OPTCTL_ARANGO_USERNAME": "ops"}
    withheld = frozenset({"OPTCTL_ARANGO_PASSWORD", "OPTCTL_ARANGO_USERNAME"})
    assert check_environ(environ, withheld, []) == {"PATH": "/bin"}
    assert check_environ(environ, withheld, ["OPTCTL_ARANGO_USERNAME"]) == {"PATH": "/bin", "OPTCTL_ARANGO_USERNAME": "ops"}


def test_a_check_sees_no_withheld_variable_and_its_output_never_stores_a_secret():
    evaluators = Evaluators(
        base_environ={"PATH": os.environ["PATH"], "DB_PASSWORD": "hunter2-secret"},
        withheld=frozenset({"DB_PASSWORD"}),
        secrets=frozenset({"hunter2-secret"}),
    )
    gate = {"kind": "check", "timeout": "1m", "retries": 0, "retry_interval": "1m"}
    assert evaluators.evaluate(gate | {"command": 'test -z "$DB_PASSWORD" && echo withheld'}, CONTEXT) == (
        "pass",
        "exit 0: withheld",
    )
    result, detail = evaluators.evaluate(
        gate | {"command": 'echo "password is $DB_PASSWORD"', "pass_env": ["DB_PASSWORD"]}, CONTEXT
    )
    assert result == "pass" and "hunter2-secret" not in detail and detail.startswith("exit 0: password is ")


def test_the_projects_credential_variables_are_what_is_withheld(tmp_path):
    from optctl.rollout.operations import gate_edges
    from optctl.settings.project import load_project

    (tmp_path / "optctl.toml").write_text(
        '[environments.production]\nurl = "arangodb://db.internal:8529/pipeshub"\n'
        'username_env = "OPTCTL_ARANGO_USERNAME"\npassword_env = "OPTCTL_ARANGO_PASSWORD"\n'
    )
    edges = gate_edges(load_project(tmp_path / "optctl.toml"), {"OPTCTL_ARANGO_PASSWORD": "hunter2-secret", "HOME": "/root"})
    assert edges.withheld == {"OPTCTL_ARANGO_USERNAME", "OPTCTL_ARANGO_PASSWORD"} and edges.secrets == {"hunter2-secret"}
