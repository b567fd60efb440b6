"""validate as a plain function: every kind gets its checks, over the rules table asked for."""

from __future__ import annotations

import json
import subprocess
import sys

from optctl.commands.validate import validate
from optctl.errors import EXIT_OK, EXIT_PROBLEMS
from optctl.providers.rules import BUNDLED


def _stricter_models_file(tmp_path):
    raw = json.loads(BUNDLED.read_text())
    next(m for m in raw["models"] if "claude-sonnet-4-5" in m["match"])["min_cacheable_tokens"] = 8192
    path = tmp_path / "models.json"
    path.write_text(json.dumps(raw))
    return path


def test_a_models_file_changes_validates_verdict(tmp_path):
    document = tmp_path / "query.json"
    document.write_text(
        json.dumps(
            {
                "_key": "query",
                "provider": "anthropic",
                "configuration": {"model": "claude-sonnet-4-5-20250929"},
                "optimization": {"cache": {"enabled": True, "min_tokens_to_cache": 4096}},
            }
        )
    )
    assert validate([str(document)]).reports[0].findings == []
    result = validate([str(document)], strict=True, models_file=_stricter_models_file(tmp_path))
    assert [f.code for f in result.reports[0].findings] == ["below-model-minimum"] and result.exit_code == EXIT_PROBLEMS


def test_rollout_plans_and_prompt_fixtures_get_their_own_checks(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {"name": "p", "stages": [{"environment": "dev", "services": ["a"]}, {"environment": "dev", "services": ["a"]}]}
        )
    )
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps({"model": "claude-nobody-1", "messages": [{"role": "user", "content": "hi"}]}))
    result = validate([str(plan), str(fixture)])
    assert {(r.kind, f.code) for r in result.reports for f in r.findings} >= {
        ("rollout-plan", "duplicate-stage"),
        ("prompt-fixture", "unknown-model"),
    }


def test_validating_an_optimization_object_loads_neither_rollout_nor_caching(tmp_path):
    path = tmp_path / "optimization.json"
    path.write_text('{"cache": {"enabled": false}}')
    script = (
        "import sys; from optctl.commands.validate import validate; r = validate([sys.argv[1]]); "
        "print(r.exit_code, sorted({m.split('.')[1] for m in sys.modules if m.startswith('optctl.')}))"
    )
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True).stdout
    code, packages = out.split(" ", 1)
    assert int(code) == EXIT_OK and "rollout" not in packages and "caching" not in packages
