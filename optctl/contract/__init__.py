"""The optimization contract: the pydantic models a service may import, the bundled JSON
schemas, and the semantic checks that go beyond them.

The models are loaded on first use, so commands that never validate (``status``, ``history``)
do not pay for importing pydantic.

May import: ``providers`` (the rules table is a parameter of the semantic checks), ``documents``,
``errors``; never ``caching`` or ``rollout`` (their checks are given to ``kinds.KindTable``).
"""

from typing import Any

__all__ = ["AIConfigDocument", "BatchConfig", "CacheConfig", "FallbackConfig", "OptimizationConfig"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from optctl.contract import models

        return getattr(models, name)
    raise AttributeError(f"module 'optctl.contract' has no attribute {name!r}")
