"""What a model's tokens cost: one answer for dry-run's estimates and for the bill of real usage.

Prices come from the rules table (``models.json`` or ``--models-file``): each model's input and
output price per million tokens, its cache multipliers of the input price (the read multiplier
varies by model: 0.1, 0.05, 0.025), price tiers by prompt size (Haiku 5.5 costs more above
100k-token prompts) and dated changes (Sonnet 5.5's read price before 2026-10-07). Everything
here is pure: data in, data out.
"""

from __future__ import annotations

from dataclasses import dataclass

from optctl.providers.rules import Model, Rules

PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Prices:
    """USD per million tokens for one model, one prompt size, one date."""

    family: str
    input: float
    output: float | None
    write: dict[str, float]  # TTL name -> price of a cache write with that TTL
    read: float


@dataclass(frozen=True)
class Usage:
    """One response's (or one period's) usage, in the provider's own fields.

    ``input_tokens`` is what the API reports under that name: the tokens after the last
    breakpoint, neither written nor read.
    """

    input_tokens: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    output_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_write_5m + self.cache_write_1h + self.cache_read


def of_model(rules: Rules, model: Model, prompt_tokens: int | None = None, on: str | None = None) -> Prices | None:
    """The model's prices for a prompt of ``prompt_tokens`` on date ``on`` (ISO); None if unpriced.

    The highest tier whose ``above_prompt_tokens`` the prompt exceeds sets input and output;
    a price change dated after ``on`` puts back the multipliers from before it.
    """
    multipliers = {**rules.pricing(model.provider), **(model.cache_multipliers or {})}
    if on is not None:
        for change in sorted(model.price_changes, key=lambda c: c["before"], reverse=True):
            if on[:10] < change["before"]:
                multipliers.update(change["cache_multipliers"])
    input_price, output_price = model.input_per_mtok, model.output_per_mtok
    for tier in sorted(model.price_tiers, key=lambda t: t["above_prompt_tokens"]):
        if prompt_tokens is not None and prompt_tokens > tier["above_prompt_tokens"]:
            input_price, output_price = tier["input_per_mtok"], tier["output_per_mtok"]
    if input_price is None or "cache_read" not in multipliers:
        return None
    writes = {
        key.removeprefix("cache_write_"): input_price * value
        for key, value in multipliers.items()
        if key.startswith("cache_write_")
    }
    return Prices(model.family, input_price, output_price, writes, input_price * multipliers["cache_read"])


def for_model(rules: Rules, model_id: str, prompt_tokens: int | None = None, on: str | None = None) -> Prices | None:
    """Prices for a model id as sent (dated, Vertex or Bedrock forms); None for an unknown model."""
    model = rules.model(model_id)
    return of_model(rules, model, prompt_tokens, on) if model else None


def usage_cost(rules: Rules, model_id: str, usage: Usage, on: str | None = None) -> float | None:
    """USD a usage record costs as billed; None when the model or one of its prices is unknown.

    The tier is chosen by the record's own prompt size (input + cache writes + cache reads).
    """
    prices = for_model(rules, model_id, usage.prompt_tokens, on)
    return None if prices is None else billed(prices, usage)


def billed(prices: Prices, usage: Usage) -> float | None:
    """USD of ``usage`` at ``prices``; None when a price it needs is missing (an output price, a TTL)."""
    if usage.output_tokens and prices.output is None:
        return None
    if (usage.cache_write_5m and "5m" not in prices.write) or (usage.cache_write_1h and "1h" not in prices.write):
        return None
    total = (
        usage.input_tokens * prices.input
        + usage.cache_read * prices.read
        + usage.output_tokens * (prices.output or 0.0)
        + usage.cache_write_5m * prices.write.get("5m", 0.0)
        + usage.cache_write_1h * prices.write.get("1h", 0.0)
    )
    return total / PER_MILLION
