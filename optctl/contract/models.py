"""Pydantic models of the ``optimization`` object and the ai-config document.

These are the importable Python face of ``schemas/optimization.schema.json`` and
``schemas/ai-config.schema.json``; ``tests/contract/test_schema_agreement.py`` checks on
thousands of generated documents that both give the same verdict. They are strict on
purpose: the service-side wrapper would coerce ``"true"`` to a boolean, but a string where a
boolean belongs is a mistake an operator should see before it reaches production.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr


def _integral_float_to_int(value: Any) -> Any:
    # JSON Schema counts 300.0 as an integer; strict pydantic would not. Agree with the schema.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_integral_float_to_int)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=False)


class CacheConfig(_Strict):
    """Prompt caching: whether the wrapper injects ``cache_control`` markers, and when."""

    enabled: StrictBool = False
    default_ttl_seconds: JsonInt = Field(300, ge=60, le=3600)
    domain_definitions_ttl_seconds: JsonInt = Field(3600, ge=300, le=86400)
    min_tokens_to_cache: JsonInt = Field(1024, ge=256)
    auto_detect_cacheable: StrictBool = True


class BatchConfig(_Strict):
    """Request batching (declared by the wrapper's config, not implemented by it yet)."""

    enabled: StrictBool = False
    max_batch_size: JsonInt = Field(100, ge=1, le=10000)
    timeout_seconds: JsonInt = Field(86400, ge=60, le=259200)
    accumulation_strategy: Literal["time", "count", "hybrid"] = "hybrid"
    accumulation_time_seconds: JsonInt = Field(30, ge=1, le=300)
    retry_attempts: JsonInt = Field(3, ge=0, le=10)


class FallbackConfig(_Strict):
    """What the wrapper does when the optimised call fails."""

    enabled: StrictBool = True
    log_failures: StrictBool = True
    raise_on_fallback: StrictBool = False


class OptimizationConfig(_Strict):
    """The ``optimization`` field of an ai-config document."""

    cache: CacheConfig = Field(default_factory=CacheConfig)
    batch: BatchConfig = Field(default_factory=BatchConfig)
    fallback: FallbackConfig = Field(default_factory=FallbackConfig)
    provider: StrictStr | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OptimizationConfig:
        """Same entry point as the wrapper's ``OptimizationConfig.from_dict``."""
        return cls.model_validate(data)


class ModelConfiguration(BaseModel):
    """``configuration``: provider settings; other keys are the platform's and pass through."""

    model_config = ConfigDict(extra="allow", strict=True)

    model: StrictStr
    apiKey: StrictStr | None = Field(default=None, repr=False)


class AIConfigDocument(BaseModel):
    """One ArangoDB model-config document. Unknown top-level keys belong to the platform."""

    model_config = ConfigDict(extra="allow", strict=True)

    key: StrictStr = Field(alias="_key", min_length=1)
    # Absent is fine; null is not (the schema's type is string): with ``| None`` here a large export,
    # judged by this model, passed a document that a small file, judged by jsonschema, failed.
    id: StrictStr = Field(default=None, alias="_id")  # type: ignore[assignment]
    rev: StrictStr = Field(default=None, alias="_rev")  # type: ignore[assignment]
    provider: StrictStr = Field(min_length=1)
    isDefault: StrictBool = False
    configuration: ModelConfiguration
    # Absent is fine; an explicit null is not (the wrapper would call from_dict(None)).
    optimization: OptimizationConfig = Field(default=None)  # type: ignore[assignment]
