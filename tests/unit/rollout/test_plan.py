"""The plan: durations, the guide's default plan, and the schema and the model agreeing."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from optctl.contract.schemas import load_schema
from optctl.rollout.plan import Plan, default_plan, duration_seconds, format_seconds, plan_to_json, semantic_findings


@pytest.mark.parametrize("text, seconds", [("0", 0), ("30s", 30), ("30m", 1800), ("24h", 86400), ("2d", 172800), ("1h30m", 5400)])
def test_durations(text, seconds):
    assert duration_seconds(text) == seconds
    assert duration_seconds(format_seconds(seconds)) == seconds


def test_a_whole_number_of_seconds_is_a_duration_in_plans_and_in_the_schema():
    data = {
        "name": "p",
        "stages": [
            {
                "environment": "dev",
                "services": ["a"],
                "gates": [{"kind": "soak", "duration": 0}, {"kind": "check", "command": "true", "timeout": 90}],
            }
        ],
    }
    plan = Plan.model_validate(data)
    assert duration_seconds(plan.stages[0].gates[0].duration) == 0 and duration_seconds(plan.stages[0].gates[1].timeout) == 90
    assert list(Draft202012Validator(load_schema("rollout-plan")).iter_errors(data)) == []
    with pytest.raises(ValueError):
        duration_seconds(-1)
    with pytest.raises(ValidationError):
        Plan.model_validate({**data, "stages": [{**data["stages"][0], "gates": [{"kind": "soak", "duration": -5}]}]})


@pytest.mark.parametrize("text", ["", "24", "1.5h", "h", "-1h", "1w", "24 h"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        duration_seconds(text)


def test_default_plan_is_dev_all_staging_all_then_production_one_at_a_time():
    plan = default_plan(["a", "b", "c"], soak="48h", check="./smoke.sh")
    assert [(s.environment, s.services) for s in plan.stages] == [
        ("dev", ["a", "b", "c"]),
        ("staging", ["a", "b", "c"]),
        ("production", ["a"]),
        ("production", ["b"]),
        ("production", ["c"]),
    ]
    assert [[g.kind for g in s.gates] for s in plan.stages] == [["soak", "check"]] + [["soak", "check", "approval"]] * 4
    assert semantic_findings(plan_to_json(plan)) == []


VALID = [
    {"name": "p", "stages": [{"environment": "dev", "services": "all"}]},
    {
        "name": "p.v2",
        "on_failure": "pause",
        "stages": [
            {
                "environment": "dev",
                "services": ["a"],
                "on_failure": "rollback",
                "gates": [
                    {"kind": "soak", "duration": "1h30m"},
                    {"kind": "approval"},
                    {"kind": "check", "command": ["./smoke", "--fast"], "timeout": "30s", "retries": 0, "retry_interval": "10s"},
                    {
                        "kind": "metrics",
                        "url": "https://svc/api/monitoring/llm-optimization",
                        "conditions": ["is_optimized == true", "hit_rate >= 0.2"],
                    },
                ],
            }
        ],
    },
]
INVALID = [
    {"stages": [{"environment": "dev", "services": "all"}]},
    {"name": "p", "stages": []},
    {"name": "p", "stages": [{"environment": "dev", "services": []}]},
    {"name": "p", "stages": [{"environment": "dev", "services": "some"}]},
    {"name": "p", "stages": [{"environment": "dev", "services": "all", "gates": [{"kind": "soak"}]}]},
    {"name": "p", "stages": [{"environment": "dev", "services": "all", "gates": [{"kind": "soak", "duration": "1 day"}]}]},
    {"name": "p", "stages": [{"environment": "dev", "services": "all", "gates": [{"kind": "approval", "by": "bob"}]}]},
    {
        "name": "p",
        "stages": [
            {"environment": "dev", "services": "all", "gates": [{"kind": "metrics", "url": "ftp://x", "conditions": ["a == 1"]}]}
        ],
    },
    {
        "name": "p",
        "stages": [
            {
                "environment": "dev",
                "services": "all",
                "gates": [{"kind": "metrics", "url": "https://ops:s3cret@x/m", "conditions": ["a == 1"]}],
            }
        ],
    },
    {
        "name": "p",
        "stages": [
            {
                "environment": "dev",
                "services": "all",
                "gates": [{"kind": "metrics", "url": "http://x", "conditions": ["hit rate high"]}],
            }
        ],
    },
    {
        "name": "p",
        "stages": [{"environment": "dev", "services": "all", "gates": [{"kind": "check", "command": "x", "retries": -1}]}],
    },
    {"name": "p", "stages": [{"environment": "dev", "services": "all"}], "on_failure": "ignore"},
    {"name": "has space", "stages": [{"environment": "dev", "services": "all"}]},
]


@pytest.mark.parametrize("document", VALID)
def test_schema_and_model_accept(document):
    assert list(Draft202012Validator(load_schema("rollout-plan")).iter_errors(document)) == []
    Plan.model_validate(document)


@pytest.mark.parametrize("document", INVALID)
def test_schema_and_model_reject(document):
    assert list(Draft202012Validator(load_schema("rollout-plan")).iter_errors(document)) != []
    with pytest.raises(ValidationError):
        Plan.model_validate(document)


def test_semantic_findings():
    findings = semantic_findings(
        {
            "name": "p",
            "stages": [
                {"environment": "dev", "services": "all"},
                {"environment": "dev", "services": ["a"]},
                {"environment": "production", "services": ["a", "b"], "gates": [{"kind": "approval"}, {"kind": "approval"}]},
                {"environment": "staging", "services": ["a"]},
            ],
        }
    )
    assert [(f.code, f.severity, f.pointer) for f in findings] == [
        ("duplicate-stage", "error", "/stages/1/services"),
        ("production-batch", "warning", "/stages/2/services"),
        ("repeated-approval-gate", "warning", "/stages/2/gates"),
        ("stage-order", "warning", "/stages/3/environment"),
    ]
