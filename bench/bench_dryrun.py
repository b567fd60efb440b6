"""``optctl dry-run`` speed as ratios to a yardstick run side by side; counter accuracy on the corpus.

Each row runs two whole commands as fresh processes, start-up included, in turn (A B A B ...),
and takes the ratio A/B pair by pair, so a machine whose speed drifts moves both sides alike.
It prints min/median/max of each side's wall and CPU seconds and of both ratios, and A's peak
memory. The yardstick is tiktoken's own encode of the same text (``tiktoken_peer.py``: the same
files read, the same texts taken out, encoded with ``encode_ordinary_batch`` on every core),
except for the last rows.

Rows (targets from issues 11, 12 and 15):

* ``long-piece``: one fixture holding 1 MB of letters with no space, digit or punctuation: one
  pre-tokenizer piece (target: under 2 s end to end);
* ``cjk``: one fixture of 1 MB of ordinary CJK prose, sentences of ``corpus/cjk-prose.txt`` in
  random order (target: within 1.5x of tiktoken's encode);
* ``shared``: 1,000 fixtures sharing their tools and system prompt, differing in the conversation;
* ``distinct``: 1,000 fixtures that share nothing, ~41 M characters in all (target: within 1.2x);
* ``non-fixtures``: 5,000 JSON Lines that are not prompts: the text report against ``-o json``
  (target: within 2x);
* ``tiny``: 200,000 tiny documents, ``[{},{},...]`` (600 kB, issue 15's input): the text report
  against ``-o json`` (target: within 2x);
* ``tiny-json``: the same input, ``-o json`` against ``optctl validate -o json`` of it (the same
  reader over the same documents; target: a couple of seconds, it took 19 s).

``--accuracy``: how far each counter is from the o200k count on ``bench/corpus``.
``--write DIR``: only write the inputs (and the ranks file the yardstick reads) into DIR.

    python bench/bench_dryrun.py [--runs 5] [--only cjk,distinct] [--accuracy] [--write DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import os
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from measure import byte_compile_optctl, paired

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "bench" / "corpus"
ORDINARY = ("english", "python", "json", "cjk", "cjk-prose")  # longrun.txt is for --accuracy only
MODEL = "claude-sonnet-4-5-20250929"
ROWS = ("long-piece", "cjk", "shared", "distinct", "non-fixtures", "tiny", "tiny-json")
TEXT_VS_JSON = ("non-fixtures", "tiny")


def text_source(seed: int):
    """Endless realistic text: corpus lines in random order, with varying names and numbers."""
    lines = [
        line for name in ORDINARY for line in (CORPUS / f"{name}.txt").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
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
    raise AssertionError("unreachable: the source is endless")


def cjk_prose(chars: int, seed: int) -> str:
    """Sentences of the CJK corpus (ending in 。 . ? or their full-width forms) in random order."""
    text = (CORPUS / "cjk-prose.txt").read_text(encoding="utf-8")
    sentences, current = [], ""
    for char in text:
        current += char
        if char in "。．？！.?!\n":
            if current.strip():
                sentences.append(current.strip())
            current = ""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < chars:
        parts.append(rng.choice(sentences))
        size += len(parts[-1])
    return "".join(parts)[:chars]


def write_fixture(path: Path, system: str, turns: list[str], tools=None) -> None:
    messages = [
        {"role": "user" if t % 2 == 0 else "assistant", "content": [{"type": "text", "text": turn}]}
        for t, turn in enumerate(turns)
    ]
    fixture = {
        "model": MODEL,
        **({"tools": tools} if tools else {}),
        "system": [{"type": "text", "text": system}],
        "messages": messages,
    }
    path.write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")


def write_inputs(folder: Path, rows: Sequence[str] = ROWS) -> dict[str, Path]:
    """The inputs of ``rows`` (the 1,000-fixture folders take a while to write)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    paths = {"ranks": folder / "o200k_base.tiktoken"}
    from optctl.caching.tokens import bpe

    paths["ranks"].write_bytes(gzip.decompress(bpe.rank_file("o200k_base").read_bytes()))
    if "long-piece" in rows:
        paths["long-piece"] = folder / "long-piece.json"
        letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1_000_000))
        write_fixture(paths["long-piece"], "You index documents.", [letters])
    if "cjk" in rows:
        paths["cjk"] = folder / "cjk-prose.json"
        write_fixture(paths["cjk"], "文書を索引してください。", [cjk_prose(1_000_000, 8)])
    tools = json.loads((ROOT / "examples" / "prompts" / "support-agent-tools.json").read_text())["tools"]
    for name, shared in (("shared", True), ("distinct", False)):
        if name not in rows:
            continue
        sub = paths[name] = folder / name
        sub.mkdir(exist_ok=True)
        common = text_of(7_000, 3)
        for i in range(1000):
            system = common if shared else text_of(7_000, 10_000 + i)
            turns = [text_of(5_500, 20_000 + i * 10 + t) for t in range(6)]
            write_fixture(sub / f"fixture-{i:04d}.json", system, turns, tools)
    if "non-fixtures" in rows:
        paths["non-fixtures"] = folder / "non-fixtures.jsonl"
        with paths["non-fixtures"].open("w", encoding="utf-8") as out:
            for i in range(5000):
                out.write(json.dumps({"id": i, "name": f"row {i}", "value": i * 3}) + "\n")
    if {"tiny", "tiny-json"} & set(rows):
        # what `python3 -c "print('['+','.join(['{}']*200000)+']')" > tiny.json` writes
        paths["tiny"] = paths["tiny-json"] = folder / "tiny.json"
        paths["tiny"].write_text("[" + ",".join(["{}"] * 200_000) + "]\n")
    return paths


def commands(row: str, paths: dict[str, Path]) -> tuple[list[str], list[str]]:
    optctl = [sys.executable, "-m", "optctl"]
    dry_run = [*optctl, "dry-run", str(paths[row]), "--strategy", "optimal"]
    if row in TEXT_VS_JSON:
        return dry_run, [*dry_run, "--output", "json"]
    if row == "tiny-json":
        return [*dry_run, "--output", "json"], [*optctl, "validate", str(paths[row]), "--output", "json"]
    return [*dry_run, "--output", "json"], [
        sys.executable,
        str(ROOT / "bench" / "tiktoken_peer.py"),
        str(paths["ranks"]),
        str(paths[row]),
    ]


def spread(values: list[float]) -> str:
    """min / median / max."""
    return f"{min(values):.2f} {statistics.median(values):.2f} {max(values):.2f}"


def accuracy() -> None:
    from optctl.caching.tokens import bpe
    from optctl.caching.tokens.counters import calibrated, wrapper_estimate
    from optctl.providers import rules

    table = rules.load()
    engine = bpe.Engine()
    claude, newer = table.tokenizers["claude"], table.tokenizers["claude-2026"]
    print(f"{'corpus':<10} {'chars':>7} {'o200k':>7}  {'chars/4':>14} {'chars/3.5':>14} {'offline':>14} {'offline 2026':>14}")
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        base = engine.count(text)
        counts = [
            wrapper_estimate(text),
            round(len(text) / claude.chars_per_token),
            calibrated(base, text, False, claude)[0],
            calibrated(base, text, False, newer)[0],
        ]
        cells = " ".join(f"{c:>7} ({(c - base) / base:+4.0%})" for c in counts)
        print(f"{path.stem:<10} {len(text):>7} {base:>7}  {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default=",".join(ROWS), help=f"Comma-separated rows: {', '.join(ROWS)}.")
    parser.add_argument("--accuracy", action="store_true", help="Only the counter accuracy table.")
    parser.add_argument("--write", type=Path, help="Only write the inputs into this folder.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.accuracy:
        accuracy()
        return
    if args.write:
        for name, path in write_inputs(args.write).items():
            print(f"{name}: {path}")
        return
    byte_compile_optctl()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work shares the machine)")
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_inputs(Path(tmp), args.only.split(","))
        print(
            f"{'row':<13} {'A wall s':>16} {'B wall s':>16} {'A/B wall':>16} "
            f"{'A cpu s':>16} {'B cpu s':>16} {'A/B cpu':>16} {'A MiB':>6}   (min median max)"
        )
        for row in args.only.split(","):
            pair = paired(*commands(row, paths), args.runs)
            assert set(pair.a.codes + pair.b.codes) <= {0, 1}, f"{row}: exit codes {pair.a.codes} {pair.b.codes}"
            cells = (pair.a.wall, pair.b.wall, pair.ratios("wall"), pair.a.cpu, pair.b.cpu, pair.ratios("cpu"))
            print(f"{row:<13} " + " ".join(f"{spread(c):>16}" for c in cells) + f" {max(pair.a.peak):>6}", flush=True)
    accuracy()


if __name__ == "__main__":
    main()
