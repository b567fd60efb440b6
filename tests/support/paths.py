"""Where the checkout's own folders are, so no test counts ``parents[...]`` by hand."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CORPUS = ROOT / "bench" / "corpus"
