"""``history``'s bounds: a default length, a time window, and a stream over every environment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from optctl.commands import inspect
from optctl.commands.edges import Edges
from optctl.errors import UsageError
from optctl.services.window import bound
from optctl.stores.base import Change
from optctl.stores.sqlite import SqliteStore
from tests.support.samples import ai_config

NOW = datetime(2030, 12, 1, 12, 0, tzinfo=timezone.utc)  # later than the fixture's own seed entries


def _at(half_days: int) -> str:
    return (datetime(2030, 11, 1, tzinfo=timezone.utc) + timedelta(hours=12 * half_days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def edges(project) -> Edges:
    """dev: 60 changes 12 hours apart from Nov 1 (dev1 .. dev60); prod: one import on Nov 15 06:00 (pat)."""
    ticks = iter(range(60))
    clocks = {"dev": lambda: _at(next(ticks)), "prod": lambda: "2030-11-15T06:00:00.000000Z"}
    for name, clock in clocks.items():
        store = SqliteStore(SqliteStore.open(project.env(name)).path, project.env(name), clock)
        if name == "prod":
            store.put_documents([ai_config("indexing")], "pat")
        for n in range(60 if name == "dev" else 0):
            stored = store.read("indexing")
            store.write([Change("indexing", stored.revision, {"cache": {"enabled": n % 2 == 0}}, "set")], f"dev{n + 1}")
        store.close()
    return Edges(load_project=lambda _: project, now=lambda: NOW)


def _actors(lines) -> list[str]:
    return [line.entry.actor for line in lines]


def test_the_table_keeps_the_newest_50_and_says_there_are_more(edges):
    result = inspect.history(edges=edges)
    assert len(result.lines) == inspect.DEFAULT_HISTORY_LIMIT == 50 and result.more  # of 63
    assert _actors(result.lines)[-1] == "dev60" and _actors(result.lines)[0] == "dev12"
    assert not inspect.history(limit=70, edges=edges).more


def test_since_a_duration_counts_back_from_now(edges):
    result = inspect.history(since="7d", edges=edges)  # from Nov 24 12:00
    assert _actors(result.lines) == [f"dev{n}" for n in range(48, 61)] and not result.more


def test_since_and_until_as_times_merge_environments_by_time(edges):
    result = inspect.history(since="2030-11-14", until="2030-11-15T12:00Z", edges=edges)
    assert _actors(result.lines) == ["dev27", "dev28", "dev29", "pat"]


def test_the_stream_has_every_entry_of_every_environment_in_time_order(edges):
    with inspect.history_stream(since="2030-11-10", edges=edges) as stream:
        entries = list(stream.entries)
    assert len(entries) == 43 and "pat" in [e.actor for e in entries]
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_window_bounds_are_history_timestamps():
    assert bound("--since", "12h", NOW) == "2030-12-01T00:00:00.000000Z"
    assert bound("--since", "2w", NOW) == "2030-11-17T12:00:00.000000Z"
    assert bound("--until", "2026-11-30T13:00+01:00", NOW) == "2026-11-30T12:00:00.000000Z"
    assert bound("--until", None, NOW) is None
    with pytest.raises(UsageError, match="--since 'last tuesday': not a duration"):
        bound("--since", "last tuesday", NOW)
