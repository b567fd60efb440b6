"""Time a command as a fresh process and read its peak memory.

Linux carries a process's memory high-water mark across fork and exec, so a child forked
straight from a benchmark that has just generated 50 MB of data would report the parent's
peak. The command is therefore started from a small launcher process, and its wall time and
max RSS are read there with ``wait4``.
"""

from __future__ import annotations

import json
import subprocess
import sys

_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps([time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss // 1024]))
"""


def run(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (MiB) of ``cmd``."""
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], check=True, capture_output=True, text=True)
    wall, code, peak = json.loads(out.stdout)
    return wall, code, peak


def best(cmd: list[str], repeat: int) -> tuple[float, int, int]:
    """Fastest wall time of ``repeat`` runs, the first exit code, the highest peak memory."""
    runs = [run(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), runs[0][1], max(r[2] for r in runs)
