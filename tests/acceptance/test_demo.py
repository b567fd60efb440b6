"""The main job (`examples/demo.sh`, the README's first command) runs to the end: a whole staged
rollout of the example services on the embedded store, ending on a completed status screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support import paths

ROOT = paths.ROOT


@pytest.mark.skipif(
    shutil.which("optctl", path=str(Path(sys.executable).parent)) is None,
    reason="the optctl console script is not installed next to this interpreter",
)
def test_the_demo_runs_a_whole_staged_rollout(tmp_path):
    home = tmp_path / "demo-home"
    env = {**os.environ, "OPTCTL_HOME": str(home), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("OPTCTL_ACTOR", None)
    done = subprocess.run(
        ["bash", str(ROOT / "examples" / "demo.sh")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status_screen, savings_screen = done.stdout.rsplit("== 5.", 1)[-1].split("== 6.", 1)
    assert "completed" in status_screen and "next: nothing: the rollout is complete" in status_screen
    # what caching really did, from the bundled usage log: query saves, indexing never reads, agent pays for writes
    assert "query/production: enabled 2026-11-20 00:00 UTC" in savings_screen
    assert savings_screen.count("no-cache-reads") == 2 and savings_screen.count("caching-costs-more") == 1
    assert "billed cost per day" in savings_screen
    status = subprocess.run(
        ["optctl", "rollout", "status", "--output", "json"], cwd=home, env=env, capture_output=True, text=True
    )
    shown = json.loads(status.stdout)["rollout"]
    assert shown["state"] == "completed" and shown["started_by"].startswith("demo")
    assert [(s["environment"], s["enabled"]) for s in shown["stages"]] == [
        ("dev", ["indexing", "query", "agent"]),
        ("staging", ["indexing", "query", "agent"]),
        ("production", ["indexing"]),
        ("production", ["query"]),
        ("production", ["agent"]),
    ]
    assert all(g["result"] == "pass" for s in shown["stages"] for g in s["gates"])
    assert "sk-ant-" not in done.stdout + done.stderr
