"""Zero breaking changes: the emitted request is the fixture plus markers, and nothing else."""

import json

import pytest

from optctl.caching.analysis import analyse
from optctl.caching.tokens.counters import Offline
from optctl.contract.models import CacheConfig

from .conftest import EXAMPLES, request_of

MARKERS = [{"type": "ephemeral"}, {"type": "ephemeral", "ttl": "1h"}]


def fixtures():
    for path in sorted(EXAMPLES.iterdir()):
        lines = path.read_text(encoding="utf-8").splitlines() if path.suffix == ".jsonl" else [path.read_text(encoding="utf-8")]
        for i, line in enumerate(lines):
            yield pytest.param(json.loads(line), id=f"{path.name}:{i}")


def only_markers_added(original, emitted, added: list) -> None:
    """Walk both; every difference must be a new cache_control, or a string made one marked text block."""
    if isinstance(original, str) and isinstance(emitted, list):
        assert emitted == [{"type": "text", "text": original, "cache_control": emitted[0]["cache_control"]}]
        added.append(emitted[0]["cache_control"])
        return
    assert type(original) is type(emitted)
    if isinstance(original, dict):
        extra = set(emitted) - set(original)
        assert extra <= {"cache_control"} and set(original) <= set(emitted)
        if extra:
            added.append(emitted["cache_control"])
        for key in original:
            only_markers_added(original[key], emitted[key], added)
    elif isinstance(original, list):
        assert len(original) == len(emitted)
        for a, b in zip(original, emitted):
            only_markers_added(a, b, added)
    else:
        assert original == emitted


@pytest.mark.parametrize("strategy", ["wrapper", "optimal"])
@pytest.mark.parametrize("data", list(fixtures()))
def test_emitted_request_differs_from_the_fixture_only_by_markers(rules, data, strategy):
    before = json.dumps(data, sort_keys=True)
    request = request_of(data)
    report = analyse(
        [("f", request)],
        cache=CacheConfig(enabled=True),
        provider=None,
        rules=rules,
        counter=Offline(),
        strategies=[strategy],
        calls=10,
        emit=True,
    )[0]
    added: list = []
    only_markers_added(data, report.emitted, added)
    assert json.dumps(data, sort_keys=True) == before  # the fixture itself is untouched
    new = [b for b in report.breakpoints if b["origin"] == "new"]
    dropped = [b for b in report.blocks if b.marker == "dropped"]
    assert len(added) == len(new) + len(dropped)
    assert all(marker in MARKERS for marker in added)


def test_optimal_turns_a_string_system_prompt_into_one_marked_block(rules):
    data = json.loads((EXAMPLES / "indexing-service.json").read_text(encoding="utf-8"))
    report = analyse(
        [("f", request_of(data))],
        cache=CacheConfig(enabled=True),
        provider=None,
        rules=rules,
        counter=Offline(),
        strategies=["optimal"],
        calls=10,
        emit=True,
    )[0]
    system = report.emitted[0]["content"]
    assert system == [{"type": "text", "text": data[0]["content"], "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    wrapper = analyse(
        [("f", request_of(data))],
        cache=CacheConfig(enabled=True),
        provider=None,
        rules=rules,
        counter=Offline(),
        strategies=["wrapper"],
        calls=10,
        emit=True,
    )[0]
    assert wrapper.emitted[0] == {**data[0], "cache_control": {"type": "ephemeral"}}  # exactly what the wrapper sends
