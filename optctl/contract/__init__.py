"""The optimization contract: the pydantic models a service may import, the bundled JSON
schemas, and the semantic checks that go beyond them."""

from optctl.contract.models import (
    AIConfigDocument,
    BatchConfig,
    CacheConfig,
    FallbackConfig,
    OptimizationConfig,
)

__all__ = ["AIConfigDocument", "BatchConfig", "CacheConfig", "FallbackConfig", "OptimizationConfig"]
