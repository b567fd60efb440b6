"""The rollout plan: ordered stages, each an environment and its services, with the gates that
must pass before the next stage starts.

The pydantic model is the importable face of ``schemas/rollout-plan.schema.json``;
``semantic_findings`` adds what a schema cannot say (a service rolled out twice, a production
stage that is not one service at a time, a gate kind that is misspelt).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator, model_validator

from optctl.contract.findings import Finding, error, warning
from optctl.errors import UsageError

_DURATION = re.compile(r"^(?:0|(?:\d+[smhd])+)$")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(==|!=|>=|<=|>|<)\s*(\S.*?)\s*$")


def parse_condition(text: str) -> tuple[str, str, str]:
    """``"hit_rate >= 0.2"`` -> (field path, operator, literal as written); ``ValueError`` if it is not one."""
    match = _CONDITION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a condition like 'hit_rate >= 0.2'")
    name, op, raw = match.groups()
    return name, op, raw


def duration_seconds(text: str | int) -> int:
    """``"1h30m"`` -> 5400. The plan's durations are strings so that people can read them; a whole
    number of seconds (``0``, ``90``) is accepted too."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"{text} is not a duration: seconds cannot be negative")
        return text
    if not isinstance(text, str) or not _DURATION.match(text):
        raise ValueError(f"{text!r} is not a duration like 30s, 30m, 24h, 2d or 1h30m")
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def format_seconds(seconds: float) -> str:
    """The inverse, rounded down to whole seconds, for status screens: 86399 -> ``23h59m59s``."""
    seconds = max(0, int(seconds))
    parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"), (seconds % 3600 // 60, "m"), (seconds % 60, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"


def _check_duration(value: str | int) -> str | int:
    duration_seconds(value)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SoakGate(_Strict):
    """Time that must pass after the stage was applied (the guide: watch costs 24-48 hours)."""

    kind: Literal["soak"]
    duration: StrictStr | StrictInt

    _duration = field_validator("duration")(_check_duration)


class ApprovalGate(_Strict):
    """A person other than the one who started the rollout runs ``optctl rollout approve``."""

    kind: Literal["approval"]


class _Retried(_Strict):
    retries: StrictInt = Field(3, ge=0, le=100)
    retry_interval: StrictStr | StrictInt = "1m"
    timeout: StrictStr | StrictInt = "5m"

    _durations = field_validator("retry_interval", "timeout")(_check_duration)


class CheckGate(_Retried):
    """A command whose exit status decides; a string runs through ``/bin/sh -c``."""

    kind: Literal["check"]
    command: StrictStr | list[StrictStr] = Field(min_length=1)
    pass_env: list[Annotated[StrictStr, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(default_factory=list)


class MetricsGate(_Retried):
    """An HTTP JSON endpoint mapping service -> stats; every stage service must meet every condition."""

    kind: Literal["metrics"]
    url: StrictStr = Field(pattern=r"^https?://[^/?#@]+([/?#]|$)")  # no user:password@: it would be shown
    conditions: list[StrictStr] = Field(min_length=1)
    timeout: StrictStr | StrictInt = "10s"

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, value: list[str]) -> list[str]:
        for condition in value:
            parse_condition(condition)
        return value


class SavingsGate(_Retried):
    """Measured usage since the stage was applied; the decision is ``optctl.savings.gate.judge``."""

    kind: Literal["savings"]
    window: StrictStr | StrictInt = "24h"
    min_calls: StrictInt | None = Field(None, ge=0)
    min_input_tokens: StrictInt | None = Field(None, ge=0)
    min_cache_read_ratio: float | None = Field(None, ge=0, le=1)
    max_cost_change: float | None = Field(None, ge=-1)
    usage_log: StrictStr | None = Field(None, min_length=1)
    bucket_width: Literal["1m", "1h", "1d"] = "1h"
    usage_source: Literal["usage-report", "analytics"] | None = None
    timeout: StrictStr | StrictInt = "2m"
    retry_interval: StrictStr | StrictInt = "1h"

    _window = field_validator("window")(_check_duration)

    @model_validator(mode="after")
    def _judges_something(self) -> "SavingsGate":
        if self.min_cache_read_ratio is None and self.max_cost_change is None:
            raise ValueError("a savings gate needs min_cache_read_ratio or max_cost_change (or both)")
        if self.usage_log is not None and self.usage_source is not None:
            raise ValueError("a savings gate reads usage_log or the Admin API's usage_source, not both")
        return self


Gate = Annotated[Union[SoakGate, ApprovalGate, CheckGate, MetricsGate, SavingsGate], Field(discriminator="kind")]
OnFailure = Literal["rollback", "pause"]


class Stage(_Strict):
    environment: StrictStr = Field(min_length=1)
    services: Literal["all"] | list[StrictStr] = Field(min_length=1)
    gates: list[Gate] = Field(default_factory=list)
    on_failure: OnFailure | None = None


class Plan(_Strict):
    name: StrictStr = Field(min_length=1, pattern=f"^{NAME}$")
    description: StrictStr | None = None
    on_failure: OnFailure = "rollback"
    stages: list[Stage] = Field(min_length=1)

    def on_failure_of(self, stage: Stage) -> OnFailure:
        return stage.on_failure or self.on_failure


def default_plan(
    services: list[str],
    soak: str = "24h",
    check: str | None = None,
    approval: bool = True,
    name: str = "enable-prompt-caching",
    savings: dict[str, Any] | None = None,
) -> Plan:
    """The migration guide's strategy: dev (all), staging (all), production one service at a time.

    Raises ``UsageError`` naming the option (``--services``, ``--soak``, ``--name``) at fault."""
    if not services:
        raise UsageError("--services needs at least one service name, e.g. --services indexing,query")
    try:
        duration_seconds(soak)
    except ValueError as err:
        raise UsageError(f"--soak {soak!r}: {err}") from None
    if not re.fullmatch(NAME, name):
        raise UsageError(f"--name {name!r}: use letters, digits, '.', '_' and '-', starting with a letter or digit")

    def gates(needs_approval: bool) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = [{"kind": "soak", "duration": soak}]
        if check:
            listed.append({"kind": "check", "command": check})
        if savings:
            listed.append(savings)
        if needs_approval and approval:
            listed.append({"kind": "approval"})
        return listed

    stages = [
        {"environment": "dev", "services": services, "gates": gates(False)},
        {"environment": "staging", "services": services, "gates": gates(True)},
        *({"environment": "production", "services": [service], "gates": gates(True)} for service in services),
    ]
    try:
        return Plan.model_validate({"name": name, "stages": stages}, strict=False)
    except ValueError as err:  # only a --savings-gate can be wrong this late: the rest was checked above
        raise UsageError(f"--savings-gate: {_first_error(err)}") from None


def _first_error(err: ValueError) -> str:
    errors = getattr(err, "errors", None)
    return str(errors()[0].get("msg", err)) if callable(errors) and errors() else str(err)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return plan.model_dump(mode="json", exclude_defaults=True, exclude_none=True)


PLAN_SCHEMA = "rollout-plan"


def plan_document(plan: Plan, json_format: bool = False, schema: str | None = None) -> str:
    """The plan as a file people edit: YAML by default, naming its schema for editors.

    ``schema`` is where editors find the schema: a path that exists (the installed schema; a
    relative path is resolved against the plan's folder), never a URL nobody serves.
    """
    import json

    data = plan_to_json(plan)
    if json_format:
        return json.dumps(data, indent=2) + "\n"
    import yaml

    header = f"# yaml-language-server: $schema={schema}\n" if schema else ""
    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def semantic_findings(data: Any) -> list[Finding]:
    """Problems a schema cannot express (run once the schema is satisfied; tolerant all the same)."""
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, list):
        return []
    findings: list[Finding] = []
    claimed: dict[str, dict[str, int]] = {}  # environment -> service ("*" for all) -> stage index
    for index, stage in enumerate(stages):
        if not isinstance(stage, dict):
            continue
        pointer = f"/stages/{index}"
        environment = stage.get("environment")
        services = stage.get("services")
        names = ["*"] if services == "all" else [s for s in services if isinstance(s, str)] if isinstance(services, list) else []
        env_claims = claimed.setdefault(environment, {}) if isinstance(environment, str) else {}
        for name in names:
            earlier = [at for claimed_name, at in env_claims.items() if name == "*" or claimed_name in (name, "*")]
            if earlier:
                findings.append(
                    error(
                        "duplicate-stage",
                        f"{pointer}/services",
                        f"{'all services' if name == '*' else name} in {environment} already rolled out by stage {min(earlier) + 1}",
                        "each service appears once per environment; remove it from one of the stages",
                    )
                )
            env_claims.setdefault(name, index)
        if environment == "production" and (services == "all" or (isinstance(services, list) and len(services) > 1)):
            findings.append(
                warning(
                    "production-batch",
                    f"{pointer}/services",
                    f"production stage {index + 1} enables {'all services' if services == 'all' else f'{len(services)} services'} at once",
                    "the migration guide rolls production out one service at a time: one stage per service",
                )
            )
        findings += _gate_findings(stage.get("gates"), pointer)
    return findings + _order_findings(stages)


def _gate_findings(gates: Any, pointer: str) -> list[Finding]:
    # An unknown gate kind is the schema's to report (with a did-you-mean); semantics run after it.
    kinds = [g.get("kind") for g in gates if isinstance(g, dict)] if isinstance(gates, list) else []
    return [
        warning(
            f"repeated-{kind}-gate",
            f"{pointer}/gates",
            f"stage has {kinds.count(kind)} {kind} gates",
            "one is enough: the longest soak or a single approval decides",
        )
        for kind in ("soak", "approval")
        if kinds.count(kind) > 1
    ] + _savings_window_findings([g for g in gates if isinstance(g, dict)] if isinstance(gates, list) else [], pointer)


def _savings_window_findings(gates: list[dict[str, Any]], pointer: str) -> list[Finding]:
    """A savings gate judges the usage up to when it runs: a soak shorter than its window cuts the window short."""

    def seconds(text: Any) -> int:
        try:
            return duration_seconds(text) if isinstance(text, str) else 0
        except ValueError:
            return 0

    soak = max((seconds(g.get("duration")) for g in gates if g.get("kind") == "soak"), default=0)
    return [
        warning(
            "savings-window-unsoaked",
            f"{pointer}/gates/{i}/window",
            f"the savings gate measures {g.get('window', '24h')} of usage but the stage soaks only {format_seconds(soak)}",
            "it would judge on less traffic than its window: soak at least as long as the window",
        )
        for i, g in enumerate(gates)
        if g.get("kind") == "savings" and seconds(g.get("window", "24h")) > soak
    ]


def _order_findings(stages: list[Any]) -> list[Finding]:
    """The guide's order is dev, then staging, then production; going back is usually a typo."""
    rank = {"dev": 0, "staging": 1, "production": 2}
    highest = -1
    findings = []
    for index, stage in enumerate(stages):
        environment = stage.get("environment") if isinstance(stage, dict) else None
        if not isinstance(environment, str):
            continue  # the schema's to report
        if environment in rank and rank[environment] < highest:
            findings.append(
                warning(
                    "stage-order",
                    f"/stages/{index}/environment",
                    f"{environment} comes after a later environment",
                    "roll out dev, then staging, then production, as the migration guide does",
                )
            )
        highest = max(highest, rank.get(environment, -1))
    return findings
