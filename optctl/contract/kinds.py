"""The kinds of document optctl validates, how each is recognised, and its extra checks.

A kind names its bundled schema and, optionally, a semantic-check function given as
``"module:function"`` (imported only when a document of that kind is seen, so validating
optimization objects never imports the rollout or caching packages). The function takes the
parsed document and returns a list of ``Finding``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any, Callable

from optctl.contract.findings import Finding


@dataclass(frozen=True)
class Kind:
    name: str
    schema: str
    detect: Callable[[Any], bool]
    checks: str | None = None
    # A pydantic model proven to give the schema's verdict (tests/contract/test_schema_agreement.py):
    # valid documents, the common case, are then checked at pydantic's speed, and jsonschema
    # runs only to explain a document the model rejects.
    model: str | None = None

    def semantic_findings(self, data: Any) -> list[Finding]:
        if self.checks is None:
            return []
        return _load(self.checks)(data)

    def model_accepts(self, data: Any) -> bool:
        if self.model is None:
            return False
        from pydantic import ValidationError

        try:
            _load(self.model).model_validate(data)
        except ValidationError:
            return False
        return True


@cache
def _load(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(import_module(module), name)


def _is_rollout_plan(data: Any) -> bool:
    return isinstance(data, dict) and "stages" in data


def _is_ai_config(data: Any) -> bool:
    return isinstance(data, dict) and ("configuration" in data or "_key" in data)


def _is_optimization(data: Any) -> bool:
    return isinstance(data, dict) and bool({"cache", "batch", "fallback"} & data.keys())


def _is_prompt_fixture(data: Any) -> bool:
    if isinstance(data, dict):
        return isinstance(data.get("messages"), list)
    return isinstance(data, list) and bool(data) and all(isinstance(m, dict) and "role" in m for m in data)


# Order matters: the first kind whose detector accepts a document is its kind.
KINDS: list[Kind] = [
    Kind("rollout-plan", "rollout-plan", _is_rollout_plan, "optctl.rollout.plan:semantic_findings"),
    Kind("ai-config", "ai-config", _is_ai_config, "optctl.contract.semantics:ai_config_findings",
         "optctl.contract.models:AIConfigDocument"),
    Kind("optimization", "optimization", _is_optimization, "optctl.contract.semantics:optimization_findings",
         "optctl.contract.models:OptimizationConfig"),
    Kind("prompt-fixture", "prompt-fixture", _is_prompt_fixture, "optctl.caching.inputs:semantic_findings"),
]


def kind_names() -> list[str]:
    return [kind.name for kind in KINDS]


def kind_named(name: str) -> Kind | None:
    return next((kind for kind in KINDS if kind.name == name), None)


def detect_kind(data: Any) -> Kind | None:
    return next((kind for kind in KINDS if kind.detect(data)), None)
