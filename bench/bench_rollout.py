"""Staged-rollout speed on the embedded store: each step of a rollout of N services as a fresh
`optctl rollout ...` process, startup included, as an operator (or cron) sees it.

The plan is dev (all N), staging (all N), production (all N), zero soak, no gates, so every
`advance` applies one stage of N services; `abort` then restores all 3 x N, newest first.

    python bench/bench_rollout.py [--services 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from bench_store import _report, _seed, _timed

STEPS = ("start", "advance (stage 2)", "advance (stage 3)", "status", "status --output json", "abort")


def _one_run(folder: Path, count: int) -> dict[str, float]:
    home = folder / "home"
    services = _seed(home, count)
    env = {**os.environ, "OPTCTL_HOME": str(home), "OPTCTL_ACTOR": "bench", "COLUMNS": "120"}
    env.pop("OPTCTL_CONFIG", None)
    plan = folder / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "name": "bench",
                "stages": [{"environment": name, "services": services} for name in ("dev", "staging", "production")],
            }
        )
    )
    os.chdir(folder)  # no optctl.toml up from here: the embedded store
    argv = {
        "start": ["rollout", "start", str(plan), "--yes"],
        "advance (stage 2)": ["rollout", "advance", "--yes"],
        "advance (stage 3)": ["rollout", "advance", "--yes"],
        "status": ["rollout", "status"],
        "status --output json": ["rollout", "status", "--output", "json"],
        "abort": ["rollout", "abort", "--reason", "bench", "--yes"],
    }
    return {step: _timed(argv[step], env) for step in STEPS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="optctl-bench-") as folder:
            runs.append(_one_run(Path(folder), args.services))
    print(
        f"embedded SQLite store, rollout of {args.services} services per stage, 3 stages, {args.runs} runs"
        f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    for step in STEPS:
        _report(f"optctl rollout {step}", [r[step] for r in runs])


if __name__ == "__main__":
    main()
