"""Time a command as a fresh process and read its peak memory.

Linux carries a process's memory high-water mark across fork and exec, so a child forked
straight from a benchmark that has just generated 50 MB of data would report the parent's
peak. The command is therefore started from a small launcher process, and its wall time and
max RSS are read there with ``wait4``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass

_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps([time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss // 1024,
                  usage.ru_utime + usage.ru_stime]))
"""


def run(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (MiB) of ``cmd``."""
    wall, code, peak, _ = _launch(cmd)
    return wall, code, peak


def _launch(cmd: list[str]) -> tuple[float, int, int, float]:
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], check=True, capture_output=True, text=True)
    wall, code, peak, cpu = json.loads(out.stdout)
    return wall, code, peak, cpu


def best(cmd: list[str], repeat: int) -> tuple[float, int, int]:
    """Fastest wall time of ``repeat`` runs, the first exit code, the highest peak memory."""
    runs = [run(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), runs[0][1], max(r[2] for r in runs)


@dataclass
class Runs:
    """One command's runs: wall and CPU (user + system) seconds, peak MiB, exit codes."""

    wall: list[float]
    cpu: list[float]
    peak: list[int]
    codes: list[int]


@dataclass
class Pair:
    """Two commands run in turn (A B A B ...), so a drift in the machine's speed hits both alike."""

    a: Runs
    b: Runs

    def ratios(self, field: str = "wall") -> list[float]:
        return [x / y for x, y in zip(getattr(self.a, field), getattr(self.b, field))]


def paired(a: list[str], b: list[str], repeat: int, warmup: bool = True) -> Pair:
    """``repeat`` runs of each, interleaved, after one warm-up run of each that is not counted."""
    if warmup:
        _launch(a), _launch(b)
    runs: tuple[Runs, Runs] = (Runs([], [], [], []), Runs([], [], [], []))
    for _ in range(repeat):
        for cmd, into in zip((a, b), runs):
            wall, code, peak, cpu = _launch(cmd)
            into.wall.append(wall)
            into.cpu.append(cpu)
            into.peak.append(peak)
            into.codes.append(code)
    return Pair(*runs)


def spread(values: list[float]) -> str:
    """min / median / max, the way every figure in the README is quoted (the median first)."""
    return f"{statistics.median(values):.3f} ({min(values):.3f}..{max(values):.3f})"


def byte_compile_optctl() -> None:
    """Compile the optctl package as an installed wheel is: in an editable checkout run with
    PYTHONDONTWRITEBYTECODE every run would otherwise compile optctl's modules from source."""
    import compileall
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("optctl")
    assert spec is not None and spec.origin is not None
    compileall.compile_dir(Path(spec.origin).parent, quiet=1)
