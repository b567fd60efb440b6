"""Shared helpers for the caching tests: the bundled rules and small request builders."""

from __future__ import annotations

import json

import pytest

from optctl.providers import rules as table
from optctl.caching.request import normalise
from tests.support import paths

EXAMPLES = paths.EXAMPLES / "prompts"
SONNET = "claude-sonnet-4-5-20250929"


@pytest.fixture(scope="session")
def rules():
    return table.load()


def request_of(data, model=SONNET):
    return normalise(data, table.load().markers("anthropic"), model)


def example(name):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def words(n: int) -> str:
    """Prose of about n words (so about n o200k tokens), varied enough not to collapse."""
    vocabulary = "the service reads each document and extracts dates amounts parties obligations topics".split()
    return " ".join(f"{vocabulary[i % len(vocabulary)]}{i % 7}" for i in range(n))
