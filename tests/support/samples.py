"""Sample ai-config documents for store, change and CLI tests."""

from __future__ import annotations

from typing import Any


def ai_config(key: str, enabled: bool | None = False, **extra: Any) -> dict[str, Any]:
    """A realistic ai-config document; ``enabled=None`` leaves out the optimization field."""
    document: dict[str, Any] = {
        "_key": key,
        "provider": "anthropic",
        "isDefault": False,
        "configuration": {"model": "claude-sonnet-4-5-20250929", "apiKey": f"sk-ant-test-{key}-secret", "temperature": 0.2},
        **extra,
    }
    if enabled is not None:
        document["optimization"] = {"cache": {"enabled": enabled, "min_tokens_to_cache": 1024}, "provider": "anthropic"}
    return document
