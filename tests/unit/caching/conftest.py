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


def request_of(data, model=SONNET, client=None):
    return normalise(data, table.load().markers("anthropic"), model, client)


def analysed(data, strategy="wrapper", client=None, model=SONNET, **cache):
    """One fixture through the whole analysis (offline counts), as dry-run reports it."""
    from optctl.caching.analysis import analyse
    from optctl.caching.placement import CacheSettings
    from optctl.caching.tokens.counters import Offline

    config = CacheSettings.of(_Config(**cache))
    return analyse(
        [("f", request_of(data, model, client))],
        cache=config,
        provider=None,
        rules=table.load(),
        counter=Offline(),
        strategies=[strategy],
        calls=10,
        emit=True,
    )[0]


class _Config:
    def __init__(self, **overrides):
        from optctl.caching.placement import CacheSettings

        defaults = CacheSettings.from_schema_defaults()
        for name in (
            "enabled",
            "min_tokens_to_cache",
            "auto_detect_cacheable",
            "default_ttl_seconds",
            "domain_definitions_ttl_seconds",
        ):
            setattr(self, name, overrides.get(name, getattr(defaults, name)))
        self.enabled = overrides.get("enabled", True)


def example(name):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def words(n: int) -> str:
    """Prose of about n words (so about n o200k tokens), varied enough not to collapse."""
    vocabulary = "the service reads each document and extracts dates amounts parties obligations topics".split()
    return " ".join(f"{vocabulary[i % len(vocabulary)]}{i % 7}" for i in range(n))
