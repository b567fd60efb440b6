"""Side by side: ``optctl validate`` against ``check-jsonschema`` with the same schema.

Rows: one small file; 10,000 small files; one 50 MB export. Both tools run as fresh processes
(start-up included), best of ``--repeat`` runs; peak memory is the child's max RSS.
check-jsonschema reads one JSON instance per file, so for the export it gets the same documents
as one JSON array with an array-of-ai-config schema, while optctl reads the JSON Lines file
(as ``arangoexport --type jsonl`` writes it) and runs its semantic checks too.

    pip install -e '.[bench]' && python bench/bench_validate.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from measure import best

ROOT = Path(__file__).resolve().parents[1]


def document(i: int) -> dict:
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
        "description": "Model configuration for service %d, padded to a realistic size. " % i + "x" * 200,
    }


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
    return {"$schema": ai.pop("$schema"), "type": "array", "items": {"$ref": "#/$defs/aiConfig"}, "$defs": {**defs, "aiConfig": ai}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--export-mb", type=int, default=50)
    args = parser.parse_args()
    optctl = [sys.executable, "-m", "optctl", "validate"]
    cjs = shutil.which("check-jsonschema")
    if cjs is None:
        print("check-jsonschema is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="optctl-bench-") as tmp:
        tmp = Path(tmp)
        schema, array_schema = tmp / "ai-config.bundled.json", tmp / "ai-config-array.bundled.json"
        schema.write_text(json.dumps(bundled_schema(False)))
        array_schema.write_text(json.dumps(bundled_schema(True)))
        small = tmp / "one.json"
        small.write_text(json.dumps(document(0), indent=2))
        many = tmp / "many"
        many.mkdir()
        for i in range(args.files):
            (many / f"s{i:05d}.json").write_text(json.dumps(document(i)))
        export, array = tmp / "export.jsonl", tmp / "export.json"
        with open(export, "w") as out:
            i = 0
            while out.tell() < args.export_mb * 1024 * 1024:
                out.write(json.dumps(document(i)) + "\n")
                i += 1
        docs = i
        array.write_text("[" + ",\n".join(export.read_text().splitlines()) + "]")
        size_mb = export.stat().st_size / (1024 * 1024)
        many_files = sorted(str(p) for p in many.iterdir())
        rows = [
            ("one small file", optctl + [str(small)], [cjs, "--schemafile", str(schema), str(small)]),
            (f"{args.files:,} small files", optctl + [str(many)], [cjs, "--schemafile", str(schema), *many_files]),
            (f"{size_mb:.0f} MB export ({docs:,} docs)", optctl + [str(export)], [cjs, "--schemafile", str(array_schema), str(array)]),
        ]
        print(f"{'row':<32} {'optctl s':>9} {'MiB':>6} {'check-jsonschema s':>19} {'MiB':>6} {'speed-up':>9}")
        for name, ours, theirs in rows:
            o_wall, o_code, o_mem = best(ours, args.repeat)
            c_wall, c_code, c_mem = best(theirs, args.repeat)
            assert o_code == 0 and c_code == 0, f"{name}: a tool found problems in valid data ({o_code}, {c_code})"
            print(f"{name:<32} {o_wall:>9.3f} {o_mem:>6} {c_wall:>19.3f} {c_mem:>6} {c_wall / o_wall:>8.1f}x")
        print(f"peak memory on the export: {o_mem} MiB = {o_mem / size_mb:.1f}x the file size (target < 4x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
