"""The kinds of document optctl validates, how each is recognised, and the table of their checks.

Every kind names its bundled schema and how to recognise it. Its semantic checks (a function
from the parsed document to findings) are given to the table by whoever builds it: the contract
supplies those of ai-config documents and optimization objects, over the rules table it is
handed; ``optctl.commands.validate`` adds the rollout plan's and the prompt fixture's, which
live in the layers above. So the contract never imports ``rollout`` or ``caching``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Callable, Mapping

from optctl.contract.findings import Finding
from optctl.providers.rules import Rules

SemanticCheck = Callable[[Any], list[Finding]]


@dataclass(frozen=True)
class Kind:
    name: str
    schema: str
    detect: Callable[[Any], bool]
    checks: SemanticCheck | None = None
    # A pydantic model proven to give the schema's verdict (tests/contract/test_schema_agreement.py):
    # valid documents, the common case, are then checked at pydantic's speed, and jsonschema
    # runs only to explain a document the model rejects. A function, so pydantic loads on first use.
    model: Callable[[], Any] | None = None

    def semantic_findings(self, data: Any) -> list[Finding]:
        return self.checks(data) if self.checks is not None else []

    def model_rejection(self, data: Any) -> frozenset[str] | None:
        """None when the kind's model accepts ``data``; else the top-level keys its errors are under
        ("" for an error about the document as a whole). Asked only of a kind with a ``model``.

        The keys let jsonschema explain only those members: by the agreement of model and schema,
        a member the model accepts holds nothing for the schema to report either.
        """
        assert self.model is not None
        from pydantic import ValidationError

        try:
            self.model().model_validate(data)
        except ValidationError as err:
            places = err.errors(include_url=False, include_context=False, include_input=False)
            return frozenset(str(place["loc"][0]) if place["loc"] else "" for place in places)
        return None


def _ai_config_model() -> Any:
    from optctl.contract.models import AIConfigDocument

    return AIConfigDocument


def _optimization_model() -> Any:
    from optctl.contract.models import OptimizationConfig

    return OptimizationConfig


def _is_rollout_plan(data: Any) -> bool:
    # A list of stage names is GitLab CI's `stages:`, not a plan (whose stages are objects).
    if not isinstance(data, dict) or "stages" not in data:
        return False
    stages = data["stages"]
    return not (isinstance(stages, list) and stages and all(isinstance(stage, str) for stage in stages))


def _is_ai_config(data: Any) -> bool:
    return isinstance(data, dict) and ("configuration" in data or "_key" in data)


def _is_optimization(data: Any) -> bool:
    return isinstance(data, dict) and ("cache" in data or "batch" in data or "fallback" in data)


def _is_prompt_fixture(data: Any) -> bool:
    if isinstance(data, dict):
        return isinstance(data.get("messages"), list)
    return isinstance(data, list) and bool(data) and all(isinstance(m, dict) and "role" in m for m in data)


@dataclass(frozen=True)
class KindTable:
    """The kinds in detection order: the first whose detector accepts a document is its kind."""

    kinds: tuple[Kind, ...]

    def names(self) -> list[str]:
        return [kind.name for kind in self.kinds]

    @cached_property
    def listed(self) -> str:
        """The names as a sentence lists them; a hint says it for each document of no kind."""
        return ", ".join(self.names())

    def named(self, name: str) -> Kind | None:
        return next((kind for kind in self.kinds if kind.name == name), None)

    def detect(self, data: Any) -> Kind | None:
        for kind in self.kinds:  # a plain loop: asked once per document, 200,000 times for a file of tiny ones
            if kind.detect(data):
                return kind
        return None

    def with_checks(self, checks: Mapping[str, SemanticCheck]) -> KindTable:
        """The same kinds, those named in ``checks`` with those semantic checks."""
        return KindTable(tuple(replace(kind, checks=checks.get(kind.name, kind.checks)) for kind in self.kinds))


# Recognition only: no semantic checks (what ``apply`` needs to tell one kind from another).
KINDS = KindTable(
    (
        Kind("rollout-plan", "rollout-plan", _is_rollout_plan),
        Kind("ai-config", "ai-config", _is_ai_config, model=_ai_config_model),
        Kind("optimization", "optimization", _is_optimization, model=_optimization_model),
        Kind("prompt-fixture", "prompt-fixture", _is_prompt_fixture),
    )
)


def contract_kinds(rules: Rules) -> KindTable:
    """Every kind, with the checks the contract itself owns (ai-config, optimization) asking ``rules``."""
    from optctl.contract import semantics

    return KINDS.with_checks(
        {
            "ai-config": lambda document: semantics.ai_config_findings(document, rules),
            "optimization": lambda optimization: semantics.optimization_findings(optimization, rules),
        }
    )
