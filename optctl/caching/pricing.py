"""What a call costs without caching, on the first call (cache write) and on a hit (cache read).

Input side only: caching does not change what output costs. With mixed TTLs the provider bills
``1h-write(B) + 5m-write(C - B)`` on a first call, where B is the prefix at the highest 1h
breakpoint and C at the highest one overall, and ``read(C)`` on a hit; the rest is plain input.
Since TTLs never increase along the prefix, that is each written segment (the tokens between one
effective breakpoint and the next) at the write price of the breakpoint that ends it. Prices
come from the rules table through ``optctl.providers.prices`` (per model, tier and date).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from optctl.providers.prices import PER_MILLION, Prices


@dataclass(frozen=True)
class Cost:
    currency: str
    uncached: float
    first_call: float
    hit: float
    break_even_calls: int | None  # calls within the TTL before caching pays; None if it never does
    calls: int
    saving_over_calls: float

    def to_json(self) -> dict:
        return {
            "currency": self.currency,
            "per_call_uncached": round(self.uncached, 6),
            "first_call": round(self.first_call, 6),
            "hit": round(self.hit, 6),
            "break_even_calls": self.break_even_calls,
            "calls": self.calls,
            "saving_over_calls": round(self.saving_over_calls, 6),
        }


def cost(total: int, written: list[tuple[int, str, bool]], prices: Prices, calls: int) -> Cost:
    """``written``: (tokens, ttl, written on every call) of each cached segment, in prefix order.

    A segment written on every call (it ends in a final message that changes) costs the write
    price on a "hit" too: later calls never read it back.
    """
    cached = sum(tokens for tokens, _, _ in written)
    plain = (total - cached) * prices.input / PER_MILLION
    uncached = total * prices.input / PER_MILLION
    first = sum(tokens * prices.write[ttl] for tokens, ttl, _ in written) / PER_MILLION + plain
    hit = (
        sum(tokens * (prices.write[ttl] if every_call else prices.read) for tokens, ttl, every_call in written) / PER_MILLION
        + plain
    )
    return Cost(
        "USD", uncached, first, hit, break_even(uncached, first, hit), calls, calls * uncached - (first + (calls - 1) * hit)
    )


def break_even(uncached: float, first: float, hit: float) -> int | None:
    """Smallest n with first + (n-1)*hit <= n*uncached."""
    if hit >= uncached:
        return None
    return max(1, math.ceil((first - hit) / (uncached - hit) - 1e-9))
