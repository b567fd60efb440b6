"""The history's bounds, on every backend: a time window, a limit, and a stream in order.

``history`` with ``--since``/``--until`` and ``history --all`` (issue 12) rest on these: the window
is ``since <= at < until`` on the entries' own timestamps, and ``iter_history`` yields exactly
what ``history`` returns, oldest first, without reading it all at once.
"""

from __future__ import annotations

import pytest

from optctl.stores.base import Change
from tests.support.samples import ai_config


@pytest.fixture
def bounded(store_factory):
    store = store_factory("dev")
    store.put_documents([ai_config("a"), ai_config("b")], actor="alice")
    for actor in ("bob", "carol", "dave"):
        stored = store.read("a")
        store.write([Change("a", stored.revision, {"cache": {"enabled": actor != "carol"}}, "set")], actor=actor)
    return store


def _actors(entries) -> list[str]:
    return [entry.actor for entry in entries]


def test_since_and_until_bound_the_entries_by_their_time(bounded):
    entries = bounded.history()
    third, fifth = entries[2].at, entries[4].at
    assert _actors(bounded.history(since=third)) == _actors(entries[2:])
    assert _actors(bounded.history(until=third)) == _actors(entries[:2])
    assert _actors(bounded.history(since=third, until=fifth)) == _actors(entries[2:4])
    assert _actors(bounded.history("a", since=third, limit=1)) == ["dave"]
    assert bounded.history(since=fifth, until=third) == []


def test_iter_history_streams_what_history_returns_oldest_first(bounded):
    assert [e.to_json() for e in bounded.iter_history()] == [e.to_json() for e in bounded.history()]
    assert _actors(bounded.iter_history("a")) == ["alice", "bob", "carol", "dave"]
    since = bounded.history()[3].at
    assert _actors(bounded.iter_history(since=since)) == _actors(bounded.history(since=since))


def test_last_changes_is_the_newest_entry_of_each_service(bounded):
    assert {service: entry.actor for service, entry in bounded.last_changes().items()} == {"a": "dave", "b": "alice"}
