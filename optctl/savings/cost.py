"""What measured usage cost, as billed and as it would have cost without caching.

Prices are the rules table's, through ``optctl.providers.prices`` (the same answer dry-run uses):
the model's price tier for the record's own prompt size, and the price in force on the record's
date. Without caching every prompt token would have been billed at the plain input price; that is
the counterfactual a saving is measured against, on the same traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from optctl.providers import prices
from optctl.providers.rules import Model, Rules
from optctl.savings.usage import UsageRecord


@dataclass(frozen=True)
class Costs:
    """USD."""

    billed: float
    without_caching: float
    input_without_caching: float  # the part caching can change: output costs the same either way


class Pricer:
    """Prices records against one rules table, looking each model id up once."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._model = lru_cache(maxsize=None)(self._lookup)

    def _lookup(self, model_id: str | None, provider: str) -> Model | None:
        found = self.rules.model(model_id) if model_id else None
        return found if found is not None and found.provider == provider else None

    def costs(self, record: UsageRecord) -> Costs | None:
        """None when the table does not price the record's model (or a price it needs)."""
        model = self._model(record.model, record.provider)
        if model is None:
            return None
        u = record.usage
        usage = prices.Usage(u.uncached_input, u.cache_write_5m, u.cache_write_1h, u.cache_read, u.output)
        price = prices.of_model(self.rules, model, usage.prompt_tokens, record.start.date().isoformat())
        billed = prices.billed(price, usage) if price else None
        if price is None or billed is None:
            return None
        plain = prices.Usage(input_tokens=u.input_tokens, output_tokens=u.output)
        without = prices.billed(price, plain) or 0.0
        return Costs(billed, without, prices.billed(price, prices.Usage(input_tokens=u.input_tokens)) or 0.0)
