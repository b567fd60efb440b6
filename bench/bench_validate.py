"""Side by side: ``optctl validate`` against ``check-jsonschema`` (the peer), and a JSON array
against the same documents as JSON Lines (the floor), with the same schema.

Every row runs two commands in turn (A B A B ...: a drift in the machine's speed hits both), as
fresh processes with start-up included, after one warm-up run of each on the small rows. It
prints the median with min..max of wall and CPU seconds, and the A/B ratio pair by pair; the
target of each row (issue 12) is on the ratio of CPU seconds, which a loaded machine disturbs
least. Peak memory is the child's max RSS (``measure.py``).

check-jsonschema reads one JSON instance per file, so for an export it gets the same documents
as one JSON array with an array-of-ai-config schema; optctl reads the JSON Lines file (as
``arangoexport --type jsonl`` writes it) or the array, and runs its semantic checks too.

    pip install -e '.[bench]' && python bench/bench_validate.py [--repeat 3] [--rows small,export,...]

The optctl package is byte-compiled first, as an installed wheel is: in an editable checkout
run with PYTHONDONTWRITEBYTECODE (as CI and these machines are) every run would otherwise
compile optctl's modules from source, while the peer's were compiled when pip installed it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Callable

from measure import byte_compile_optctl, paired, spread

ROOT = Path(__file__).resolve().parents[1]
ROWS = ("small", "files", "export", "invalid", "array", "shapes", "tiny", "tiny-json", "locate")


def document(i: int, padding: int = 200) -> dict:
    return {
        "_key": f"service-{i}",
        "_id": f"ai_configs/service-{i}",
        "_rev": f"_h{i:08x}---",
        "provider": "anthropic",
        "isDefault": i == 0,
        "configuration": {"apiKey": f"sk-ant-bench-{i:06d}", "model": "claude-sonnet-4-5-20250929", "temperature": 0.2},
        "optimization": {
            "cache": {"enabled": i % 2 == 0, "min_tokens_to_cache": 1024, "default_ttl_seconds": 300},
            "fallback": {"enabled": True, "log_failures": True},
            "provider": "anthropic",
        },
        "description": "Model configuration for service %d, padded to a realistic size. " % i + "x" * padding,
    }


def broken(i: int, padding: int = 200) -> dict:
    """A document with two schema errors: a string for a boolean, a minimum under its bound."""
    doc = document(i, padding)
    doc["optimization"]["cache"].update(enabled="yes", min_tokens_to_cache=5)
    return doc


def megabyte_document(enabled: object) -> str:
    """One ai-config document of about 1 MB, pretty-printed: 100,000 platform sample counts (a
    token each, where a whole-document source map pays per token), then the optimization object
    last (``enabled`` "yes" is its one problem; false, the same size, makes it valid)."""
    big = {key: value for key, value in document(0).items() if key != "optimization"}
    big["samples"] = list(range(100_000))
    big["optimization"] = {"cache": {"enabled": enabled}, "provider": "anthropic"}
    return json.dumps(big, indent=2)


def bundled_schema(array: bool) -> dict:
    """ai-config with the optimization schema inlined, so check-jsonschema needs no network."""
    ai = json.loads((ROOT / "schemas/ai-config.schema.json").read_text())
    opt = json.loads((ROOT / "schemas/optimization.schema.json").read_text())
    opt.pop("$schema")
    opt.pop("$id")
    ai.pop("$id")
    ai["$defs"] = {"optimization": opt}
    ai["properties"]["optimization"] = {"$ref": "#/$defs/optimization"}
    if not array:
        return ai
    defs = ai.pop("$defs")
    return {
        "$schema": ai.pop("$schema"),
        "type": "array",
        "items": {"$ref": "#/$defs/aiConfig"},
        "$defs": {**defs, "aiConfig": ai},
    }


def write_export(base: Path, megabytes: float, make: Callable[[int], dict]) -> tuple[Path, Path, int]:
    """The same documents as JSON Lines and as one JSON array; returns both and the count."""
    lines, array = base.with_suffix(".jsonl"), base.with_suffix(".json")
    count = 0
    with open(lines, "w") as out:
        while out.tell() < megabytes * 1024 * 1024:
            out.write(json.dumps(make(count)) + "\n")
            count += 1
    array.write_text("[" + ",\n".join(lines.read_text().splitlines()) + "]")
    return lines, array, count


class Table:
    def __init__(self, repeat: int):
        self.repeat = repeat
        print(f"{'row':<44} {'A: optctl s (cpu)':>22} {'B s (cpu)':>22} {'A/B cpu':>22} {'A/B wall':>22} {'target':>8}  A MiB")

    def row(
        self, name: str, ours: list[str], theirs: list[str], target: float, codes: tuple[int, int] = (0, 0), warmup: bool = True
    ) -> None:
        pair = paired(ours, theirs, self.repeat, warmup)
        assert set(pair.a.codes) == {codes[0]} and set(pair.b.codes) == {codes[1]}, (
            f"{name}: exit codes {pair.a.codes} {pair.b.codes}"
        )
        cpu = pair.ratios("cpu")
        met = "met" if statistics.median(cpu) < target else "MISSED"
        print(
            f"{name:<44} {spread(pair.a.cpu):>22} {spread(pair.b.cpu):>22} {spread(cpu):>22} {spread(pair.ratios()):>22}"
            f" {'< ' + format(target, 'g'):>8} {met}  {max(pair.a.peak)}",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--export-mb", type=float, default=50)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"which rows, of {', '.join(ROWS)}")
    args = parser.parse_args()
    rows = set(args.rows.split(","))
    optctl = [sys.executable, "-m", "optctl", "validate"]
    cjs = shutil.which("check-jsonschema", path=os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))))
    if cjs is None:
        print("check-jsonschema is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    byte_compile_optctl()  # as installed: bytecode cached
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work shares the machine)")
    with tempfile.TemporaryDirectory(prefix="optctl-bench-") as folder:
        tmp = Path(folder)
        schema, array_schema = tmp / "ai-config.bundled.json", tmp / "ai-config-array.bundled.json"
        schema.write_text(json.dumps(bundled_schema(False)))
        array_schema.write_text(json.dumps(bundled_schema(True)))
        peer = [cjs, "--schemafile", str(schema)]
        array_peer = [cjs, "--schemafile", str(array_schema)]
        table = Table(args.repeat)
        if "small" in rows:
            small, bad = tmp / "one.json", tmp / "bad.json"
            small.write_text(json.dumps(document(0), indent=2))
            bad.write_text(json.dumps(broken(0), indent=2))
            table.row("one small valid file", optctl + [str(small)], peer + [str(small)], 0.8)
            table.row("one small invalid file (2 errors)", optctl + [str(bad)], peer + [str(bad)], 0.8, (1, 1))
        if "files" in rows:
            many = tmp / "many"
            many.mkdir()
            for i in range(args.files):
                (many / f"s{i:05d}.json").write_text(json.dumps(document(i)))
            table.row(f"{args.files:,} small files", optctl + [str(many)], peer + sorted(str(p) for p in many.iterdir()), 1.0)
        if rows & {"export", "array"}:
            lines, array, count = write_export(tmp / "export", args.export_mb, document)
            label = f"{args.export_mb:g} MB, {count:,} documents"
            if "export" in rows:
                table.row(f"{label}, JSON Lines", optctl + [str(lines)], array_peer + [str(array)], 1.0, warmup=False)
            if "array" in rows:
                table.row(f"{label}, JSON array", optctl + [str(array)], array_peer + [str(array)], 1 / 3, warmup=False)
        if "invalid" in rows:
            lines, array, count = write_export(
                tmp / "invalid", args.export_mb, lambda i: broken(i) if i % 10 == 0 else document(i)
            )
            table.row(
                f"{args.export_mb:g} MB, {count:,} docs, 10% invalid",
                optctl + [str(lines)],
                array_peer + [str(array)],
                0.4,
                (1, 1),
                warmup=False,
            )
        if "tiny" in rows:
            # Issue 15: a megabyte of documents too small to be anything (each one unknown-kind).
            tiny = tmp / "tiny.json"
            tiny.write_text("[" + ",".join(["{}"] * 200_000) + "]")
            table.row("1 MB, 200,000 tiny documents, JSON array", optctl + [str(tiny)], array_peer + [str(tiny)], 1.0, (1, 1))
        if "tiny-json" in rows:
            # Issue 12: the JSON report of 200,000 documents (one finding each) against the text one
            # of the same file; past 2,000 documents it is one line, written a chunk at a time.
            tiny = tmp / "tiny.json"
            tiny.write_text("[" + ",".join(["{}"] * 200_000) + "]")
            table.row(
                "200,000 tiny documents, -o json vs text", optctl + [str(tiny), "-o", "json"], optctl + [str(tiny)], 1.5, (1, 1)
            )
        if "locate" in rows:
            # Issue 15: the line and column of one problem after a megabyte (check-jsonschema gives none).
            big = tmp / "big-invalid.json"
            big.write_text(megabyte_document("yes"))
            table.row("1 MB document, one problem at its end", optctl + [str(big)], peer + [str(big)], 1.0, (1, 1))
        if "shapes" in rows:
            # Lean documents (no padding), so that 100,000 of them fit one JSON file (64 MiB limit).
            for count in (1_000, 10_000, 100_000):
                lines, array = tmp / f"lean{count}.jsonl", tmp / f"lean{count}.json"
                texts = [json.dumps(document(i, padding=0)) for i in range(count)]
                lines.write_text("\n".join(texts) + "\n")
                array.write_text("[" + ",\n".join(texts) + "]")
                table.row(
                    f"JSON array vs JSON Lines, {count:,} docs",
                    optctl + [str(array)],
                    optctl + [str(lines)],
                    1.3,
                    warmup=count < 100_000,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
