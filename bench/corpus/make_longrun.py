"""Writes ``longrun.txt``: text whose o200k pre-tokenizer pieces are thousands of characters long.

Each line is one unbroken run of letters (no space, digit or punctuation), the kind of text a
pure-Python BPE merge is quadratic on: CJK prose with its punctuation removed (from
``cjk-prose.txt``), Korean without spaces, lowercase words run together (URL slugs, domain-like
names, minified identifiers), a DNA-like sequence, capitals, one letter repeated, and base64
letters without their digits and padding. Deterministic: ``python bench/corpus/make_longrun.py``
rewrites the same file.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

HERE = Path(__file__).parent
WORDS = ("cache prompt token service rollout staging production marker prefix breakpoint "
         "system message tool result document image window budget provider wrapper").split()


def letters_only(text: str) -> str:
    """Drop everything that is not a letter or a mark: one pre-tokenizer piece per script run."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LM")


def runs(rng: random.Random) -> list[str]:
    prose = (HERE / "cjk-prose.txt").read_text(encoding="utf-8").split("\n\n")
    japanese, chinese, traditional, korean = (letters_only(block) for block in prose)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [
        japanese * 4,
        chinese * 4,
        traditional * 6,
        korean * 6,
        "".join(rng.choice(WORDS) for _ in range(3000)),
        "".join(rng.choice("acgt") for _ in range(20000)),
        "".join(rng.choice(WORDS).upper() for _ in range(1500)),
        "a" * 20000,
        "ー" * 5000,
        "".join(rng.choice(alphabet) for _ in range(8000)).lower(),
    ]


def main() -> None:
    text = "\n".join(runs(random.Random(11))) + "\n"
    (HERE / "longrun.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
