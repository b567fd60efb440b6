"""Gate evaluators at the edge: the check gate runs a command, the metrics gate reads an HTTP
JSON endpoint. Each returns pass, fail or inconclusive with one line of detail; neither
decides what happens next (that is ``machine.record_gates``).

The I/O hides behind two small callables (``run`` and ``fetch``) so tests can fake them, and
the condition logic is plain data in, verdict out.
"""

from __future__ import annotations

import json
import operator
import os
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from optctl.documents.redact import scrub

from optctl.rollout.plan import duration_seconds, parse_condition
from optctl.rollout.state import GateResult

Outcome = tuple[GateResult, str]


@dataclass(frozen=True)
class GateContext:
    """What a gate is evaluated for; the check gate sees it as OPTCTL_* environment variables."""

    rollout_id: str
    stage: int  # 1-based, as people count stages
    environment: str
    services: tuple[str, ...]
    applied_at: str | None = None  # when the stage was applied (ISO): the savings gate measures from here
    now: str | None = None  # when the gate is evaluated (ISO), from the rollout's injected clock

    def environ(self) -> dict[str, str]:
        return {
            "OPTCTL_ROLLOUT_ID": self.rollout_id,
            "OPTCTL_STAGE": str(self.stage),
            "OPTCTL_ENV": self.environment,
            "OPTCTL_SERVICES": ",".join(self.services),
        }


class FetchError(Exception):
    """The endpoint could not be read (down, refused, timed out, not 2xx, not JSON)."""


def fetch_json(url: str, timeout: float) -> Any:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers={"Accept": "application/json"}), timeout=timeout
        ) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        raise FetchError(f"HTTP {err.code} from {url}") from None
    except (urllib.error.URLError, OSError) as err:
        raise FetchError(f"cannot reach {url} ({getattr(err, 'reason', err)})") from None
    except ValueError:
        raise FetchError(f"{url} did not answer with JSON") from None


def run_command(command: str | list[str], env: dict[str, str], timeout: float | None) -> tuple[int | None, str]:
    """(exit status, output); status None when it timed out.

    The command runs in its own process group (a new session), and that whole group is ended
    whenever this returns or raises: after a timeout, on Ctrl-C (KeyboardInterrupt), when optctl
    is told to stop (SIGTERM, raised here as SystemExit), and after the command itself exits, so
    nothing it started in the background outlives the gate. (A SIGKILL of optctl itself cannot
    be caught; see the README.)"""
    process: subprocess.Popen | None = None
    said: list[str] = []
    reader = threading.Thread(
        target=lambda: said.append(process.stdout.read() if process and process.stdout else ""), daemon=True
    )
    timed_out = False
    with _stop_signals() as stops:
        try:
            process = subprocess.Popen(
                command,
                shell=isinstance(command, str),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
            # Read on a thread and wait for the command itself: a background child holding the
            # pipe open must not keep the gate waiting once the command is done.
            reader.start()
            stops.arm()  # a Ctrl-C that came while the process was being created is raised now
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            stops.armed = False
            if process is not None:
                end_group(process)
                if reader.is_alive():
                    reader.join()
        stops.arm()  # one that came while the group was being ended
    assert process is not None
    return (None, "") if timed_out else (process.returncode, "".join(said))


def end_group(process: subprocess.Popen) -> None:
    """SIGKILL the process group ``process`` leads (whatever is left of it), then reap the leader."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already
    process.wait()


class _Stops:
    """SIGINT and SIGTERM while a check runs: noted while the process is being created (raising
    there would lose its pid, and with it the group), raised once ``armed``."""

    def __init__(self) -> None:
        self.armed = False
        self.noted: int | None = None

    def handler(self, signum: int, frame: Any) -> None:
        self.noted = signum
        if self.armed:
            self.arm()

    def arm(self) -> None:
        self.armed = True
        if self.noted is not None:
            signum, self.noted = self.noted, None
            raise KeyboardInterrupt() if signum == signal.SIGINT else SystemExit(128 + signum)


@contextmanager
def _stop_signals() -> Iterator[_Stops]:
    stops = _Stops()
    if threading.current_thread() is not threading.main_thread():
        yield stops  # signal handlers belong to the main thread; elsewhere nothing is caught here
        return
    previous = {signum: signal.signal(signum, stops.handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stops
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def check_environ(environ: dict[str, str], withheld: frozenset[str], passed: list[str]) -> dict[str, str]:
    """The environment a check command gets: optctl's own, less the credential variables the
    project names (``withheld``), except those the plan passes by name (``pass_env``)."""
    return {name: value for name, value in environ.items() if name not in withheld or name in passed}


@dataclass(frozen=True)
class Evaluators:
    """The edges gates touch; tests pass fakes."""

    run: Callable[[str | list[str], dict[str, str], float | None], tuple[int | None, str]] = run_command
    fetch: Callable[[str, float], Any] = fetch_json
    base_environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    withheld: frozenset[str] = frozenset()  # credential variables: not given to check commands unless passed
    secrets: frozenset[str] = frozenset()  # known secret values: never stored in a gate's detail
    savings: Callable[[dict[str, Any], GateContext], Outcome] = field(default=lambda gate, context: savings_gate(gate, context))

    def evaluate(self, gate: dict[str, Any], context: GateContext) -> Outcome:
        if gate["kind"] == "check":
            return self.check(gate, context)
        if gate["kind"] == "metrics":
            return self.metrics(gate, context)
        if gate["kind"] == "savings":
            return self.savings(gate, context)
        raise ValueError(f"{gate['kind']} gates are decided by the state machine, not evaluated")

    def check(self, gate: dict[str, Any], context: GateContext) -> Outcome:
        environ = check_environ(self.base_environ, self.withheld, gate.get("pass_env", [])) | context.environ()
        try:
            status, output = self.run(gate["command"], environ, duration_seconds(gate["timeout"]) or None)
        except OSError as err:
            return "fail", f"command could not run ({err.strerror or err})"
        if status is None:
            return "inconclusive", f"command timed out after {gate['timeout']}"
        said = scrub(_last_line(output), set(self.secrets))
        return ("pass" if status == 0 else "fail"), f"exit {status}{': ' + said if said else ''}"

    def metrics(self, gate: dict[str, Any], context: GateContext) -> Outcome:
        try:
            stats = self.fetch(gate["url"], duration_seconds(gate["timeout"]) or 10)
        except FetchError as err:
            return "inconclusive", str(err)
        return judge_metrics(stats, gate["conditions"], context.services)


def judge_metrics(stats: Any, conditions: list[str], services: tuple[str, ...]) -> Outcome:
    """Every service must report, and meet every condition; a silent service is not rolled out yet."""
    if not isinstance(stats, dict):
        return "inconclusive", "the endpoint's answer is not an object of service -> stats"
    silent = [s for s in services if not isinstance(stats.get(s), dict)]
    for service in services:
        if service in silent:
            continue
        for condition in conditions:
            held, seen = condition_holds(stats[service], condition)
            if not held:
                return "fail", f"{service}: {condition.strip()} does not hold (is {seen})"
    if silent:
        return "inconclusive", f"not reported yet: {', '.join(silent)}"
    return "pass", f"{len(services)} service(s) meet {' and '.join(c.strip() for c in conditions)}"


def condition_holds(stats: dict[str, Any], condition: str) -> tuple[bool, str]:
    """(verdict, the value seen, as text). A missing field never holds."""
    name, op, raw = parse_condition(condition)  # plans are validated, so it is one
    actual: Any = stats
    for part in name.split("."):
        actual = actual.get(part) if isinstance(actual, dict) else None
    if actual is None:
        return False, "missing"
    expected, actual_value = _literal(raw), _number(actual)
    try:
        held = bool(
            _OPERATORS[op](actual_value, expected)
        )  # only the operator asked for: one TypeError must not poison the others
    except TypeError:
        held = False  # an order between a string and a number: never holds
    return held, json.dumps(actual)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def _literal(raw: str) -> Any:
    try:
        return _number(json.loads(raw))
    except ValueError:
        return _number(raw.strip("'\""))


def _number(value: Any) -> Any:
    """The guide's endpoint reports ``hit_rate`` as ``"12.5%"``: compare it as 0.125."""
    if isinstance(value, str) and value.endswith("%"):
        try:
            return float(value[:-1]) / 100
        except ValueError:
            return value
    return value


def savings_gate(gate: dict[str, Any], context: GateContext) -> Outcome:
    """The savings gate's edge and decision live in optctl.savings; only the window is read here."""
    from datetime import timedelta

    from optctl.savings.evaluate import savings_gate as evaluate

    return evaluate(gate, context, timedelta(seconds=duration_seconds(gate.get("window", "24h"))))


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""
