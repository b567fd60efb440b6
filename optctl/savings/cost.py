"""What measured usage cost, as billed and as it would have cost without caching.

Prices come from the rules table (``optctl.providers.rules``): the model's input and output price
per million tokens, and the provider's cache multipliers (5-minute write, 1-hour write, read).
Without caching every prompt token would have been billed at the plain input price; that is the
counterfactual a saving is measured against, on the same traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

from optctl.providers.rules import Rules
from optctl.savings.usage import Usage

PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Prices:
    """USD per token."""

    input: float
    write_5m: float
    write_1h: float
    read: float
    output: float

    def billed(self, usage: Usage) -> float:
        return (usage.uncached_input * self.input + usage.cache_write_5m * self.write_5m
                + usage.cache_write_1h * self.write_1h + usage.cache_read * self.read + usage.output * self.output)

    def without_caching(self, usage: Usage) -> float:
        return usage.input_tokens * self.input + usage.output * self.output


def prices_for(rules: Rules, model: str | None, provider: str = "anthropic") -> Prices | None:
    """The model's prices, or None when the table does not price it (the report says so)."""
    found = rules.model(model) if model else None
    if found is None or found.provider != provider or found.input_per_mtok is None:
        return None
    multipliers = rules.pricing(provider)
    try:
        write_5m, write_1h, read = multipliers["cache_write_5m"], multipliers["cache_write_1h"], multipliers["cache_read"]
    except KeyError:
        return None
    per_token = found.input_per_mtok / PER_MILLION
    output = (found.output_per_mtok or 0.0) / PER_MILLION
    return Prices(per_token, per_token * write_5m, per_token * write_1h, per_token * read, output)
