"""Token counters, pluggable: what the provider would bill for each block of a request.

* ``offline`` (default): exact o200k_base counts (``bpe``) times the model family's published
  calibration (Claude vs o200k: +16% prose, +30% code; the 2026 tokenizer about 30% more
  again). A block whose text is symbol-heavy (code, JSON) takes the code factor.
* ``chars4``: the wrapper's own ``ceil(len/4)``, to see what the wrapper believes.
* ``anthropic``: the exact total from Anthropic's count_tokens endpoint (``count_api``);
  per-block figures are the offline estimates scaled to that total.

Images and PDFs are estimated from their size (``media``); every count says whether it is
an estimate. The calibration numbers live in the rules table, not here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Sequence

from optctl.caching import media
from optctl.caching.request import Block, Request
from optctl.providers.rules import Rules, Tokenizer

if TYPE_CHECKING:
    from optctl.caching.tokens import bpe

_SYMBOLS = b"{}[]()<>=;:_/\\|&*#$%^~`\"'@+"


@dataclass(frozen=True)
class BlockTokens:
    tokens: int
    estimate: bool
    how: str


class Counter(Protocol):
    name: str
    exact_total: bool  # the request total is the provider's own count (per-block figures never are)

    def count(self, requests: Sequence[Request], rules: Rules) -> list[list[BlockTokens]]: ...


def wrapper_estimate(text: str) -> int:
    """The deployed wrapper's token estimate, exactly: ``math.ceil(len(text) / 4)``."""
    return math.ceil(len(text) / 4) if text else 0


def is_code_like(text: str, share: float) -> bool:
    # bytes.translate deletes at memory speed (str.translate is 20x slower); UTF-8 never puts
    # these ASCII bytes inside a multi-byte character, so the count is exact.
    if not text:
        return False
    raw = text.encode("utf-8", "surrogatepass")
    return (len(raw) - len(raw.translate(None, _SYMBOLS))) / len(text) > share


def calibrated(base: int, text: str, code_like: bool, tokenizer: Tokenizer) -> tuple[int, str]:
    code = code_like or is_code_like(text, tokenizer.code_symbol_share)
    factor = tokenizer.code_factor if code else tokenizer.prose_factor
    return math.ceil(base * factor), f"{tokenizer.base_encoding} x{factor:g} ({'code' if code else 'prose'}, {tokenizer.name})"


def _media_tokens(block: Block, rules: Rules) -> tuple[int, list[str]]:
    total, notes = 0, []
    for item in block.media:
        estimate = media.image_tokens if item.get("type") == "image" else media.document_tokens
        tokens, how = estimate(item, rules.content)
        total += tokens
        notes.append(how)
    return total, notes


def _combine(text_tokens: int, how: str, block: Block, rules: Rules, exact_text: bool) -> BlockTokens:
    extra, notes = _media_tokens(block, rules)
    return BlockTokens(
        text_tokens + extra, not exact_text or bool(block.media), "; ".join(filter(None, [how if block.text else "", *notes]))
    )


class CharsPerFour:
    """The wrapper's ruler applied to everything: shows how far its belief is from the bill."""

    name = "chars4"
    exact_total = False

    def count(self, requests: Sequence[Request], rules: Rules) -> list[list[BlockTokens]]:
        return [[_combine(wrapper_estimate(b.text), "chars/4", b, rules, False) for b in r.blocks] for r in requests]


class Offline:
    """BPE counts calibrated per model family; texts of many requests are counted in one batch."""

    name = "offline"
    exact_total = False

    def __init__(self) -> None:
        self._engine: bpe.Engine | None = None

    @property
    def engine(self) -> bpe.Engine:
        if self._engine is None:
            from optctl.caching.tokens import bpe

            self._engine = bpe.Engine()
        return self._engine

    def count(self, requests: Sequence[Request], rules: Rules) -> list[list[BlockTokens]]:
        texts = [b.text for r in requests for b in r.blocks]
        bases = iter(self.engine.count_many(texts))
        result = []
        for request in requests:
            tokenizer = _tokenizer_for(request, rules)
            row = []
            for block in request.blocks:
                tokens, how = calibrated(next(bases), block.text, block.code_like, tokenizer)
                row.append(_combine(tokens, how, block, rules, False))
            result.append(row)
        return result


def _tokenizer_for(request: Request, rules: Rules) -> Tokenizer:
    model = rules.model(request.model or "")
    return rules.tokenizers[model.tokenizer if model else next(iter(rules.tokenizers))]


def scale_to_total(estimates: list[BlockTokens], total: int, source: str) -> list[BlockTokens]:
    """Spread an exact request total over the blocks in proportion to the offline estimates."""
    estimated = sum(b.tokens for b in estimates)
    if estimated == 0:
        return estimates
    scaled, carried = [], 0
    for i, block in enumerate(estimates):
        share = total - carried if i == len(estimates) - 1 else round(block.tokens * total / estimated)
        carried += share
        scaled.append(BlockTokens(share, True, f"{source} total, split by the offline estimate"))
    return scaled
