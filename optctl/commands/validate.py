"""``validate PATH...``: check documents against the contract, for CI and pre-commit.

The one place every kind gets all its semantic checks: the contract's own (over the rules
table, bundled or ``--models-file``), a rollout plan's and a prompt fixture's from the layers
that own them. Those two are imported only when a document of their kind is seen, so validating
optimization objects never loads the rollout or caching packages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from optctl.commands.edges import Edges
from optctl.contract.checker import ValidationResult, validate_paths
from optctl.contract.findings import Finding
from optctl.contract.kinds import KindTable, contract_kinds
from optctl.providers.rules import Rules, load


def every_kind(rules: Rules) -> KindTable:
    """Every kind optctl validates, each with all of its checks."""

    def rollout_plan(data: Any) -> list[Finding]:
        from optctl.rollout.plan import semantic_findings

        return semantic_findings(data)

    def prompt_fixture(data: Any) -> list[Finding]:
        from optctl.caching.inputs import semantic_findings

        return semantic_findings(data, rules)

    return contract_kinds(rules).with_checks({"rollout-plan": rollout_plan, "prompt-fixture": prompt_fixture})


def validate(
    paths: Sequence[str],
    kind: str | None = None,
    glob: str | None = None,
    strict: bool = False,
    models_file: Path | None = None,
    edges: Edges = Edges(),
    skip_unknown: bool = False,
) -> ValidationResult:
    """One report per document; ``result.exit_code`` is 0 valid, 1 problems found, 2 unreadable input.

    ``skip_unknown``: documents of no optctl kind are skipped (``result.skipped``), not failed.
    """
    return validate_paths(
        paths,
        kinds=every_kind(load(models_file)),
        kind=kind,
        glob=glob,
        strict=strict,
        skip_unknown=skip_unknown,
        progress=edges.progress,
    )
