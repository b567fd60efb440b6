"""The Store contract: every backend must pass every test here (see ``store_factory``)."""

from __future__ import annotations

import copy

import pytest

from optctl.errors import ConflictError, NotFoundError
from optctl.stores.base import Change
from optctl.stores.base import without_system_fields as _user_fields
from tests.support.samples import ai_config


def _enable(stored, **kwargs) -> Change:
    after = copy.deepcopy(stored.optimization)
    after["cache"]["enabled"] = True
    return Change(stored.service, stored.revision, after, kwargs.pop("action", "enable"), **kwargs)


def test_an_empty_store_has_nothing(store):
    assert store.list_services() == []
    assert store.read_many() == {}
    assert store.history() == []
    with pytest.raises(NotFoundError, match="ghost"):
        store.read("ghost")


def test_documents_come_back_exactly_as_put_key_order_included(store):
    odd = ai_config(
        "indexing",
        purpose="Ünïcode ✓",
        weights=[1, 2.5, None, {"z": 1, "a": [True, False]}],
        nested={"zeta": 1, "alpha": {"y": "", "x": 0.1}},
        isMultimodal=True,
    )
    store.put_documents([odd], actor="alice")

    stored = store.read("indexing")

    assert stored.service == "indexing" and stored.key == "indexing"
    assert _user_fields(stored.document) == odd
    assert list(_user_fields(stored.document)) == list(odd)
    assert list(stored.document["nested"]) == ["zeta", "alpha"]


def test_import_is_recorded_in_the_history(store):
    document = ai_config("query")
    entries = store.put_documents([document], actor="alice", reason="first load")

    assert [e.to_json() for e in entries] == [e.to_json() for e in store.history()]
    entry = entries[0]
    assert (entry.action, entry.actor, entry.service, entry.env, entry.reason) == (
        "import",
        "alice",
        "query",
        "dev",
        "first load",
    )
    assert entry.before is None and entry.after == document["optimization"]
    assert entry.revision == store.read("query").revision


def test_a_write_replaces_only_the_optimization_subtree(store):
    document = ai_config("indexing", zfirst="stays", updatedAtTimestamp=1763510400000)
    store.put_documents([document], actor="alice")
    stored = store.read("indexing")

    [entry] = store.write([_enable(stored, reason="soak passed", rollout="r-1")], actor="bob")

    after = store.read("indexing")
    expected = copy.deepcopy(document)
    expected["optimization"]["cache"]["enabled"] = True
    assert _user_fields(after.document) == expected
    assert list(_user_fields(after.document)) == list(document)
    assert after.revision != stored.revision
    assert entry.revision == after.revision
    assert (entry.actor, entry.action, entry.reason, entry.rollout) == ("bob", "enable", "soak passed", "r-1")
    assert entry.before == document["optimization"] and entry.after == expected["optimization"]
    assert store.history("indexing")[-1].to_json() == entry.to_json()


def test_a_stale_revision_is_a_conflict_and_nothing_is_written(store_factory):
    first, second = store_factory("dev"), store_factory("dev")
    first.put_documents([ai_config("agent")], actor="alice")
    seen_by_second = second.read("agent")
    first.write([_enable(first.read("agent"))], actor="carol")
    before = (first.read("agent"), first.history())

    with pytest.raises(ConflictError) as raised:
        second.write([_enable(seen_by_second)], actor="dave")

    message = str(raised.value)
    assert "agent in dev changed since it was read" in message and "by carol" in message
    assert "nothing was written" in message and "run again" in message
    assert (first.read("agent"), first.history()) == before


def test_a_batch_is_all_or_nothing(store):
    store.put_documents([ai_config(f"svc-{i}") for i in range(3)], actor="alice")
    documents = store.read_many()
    stale = documents["svc-2"]
    store.write([_enable(stale)], actor="carol")  # svc-2 moves on
    history_before = store.history()

    with pytest.raises(ConflictError, match="svc-2"):
        store.write([_enable(documents["svc-0"]), _enable(documents["svc-1"]), _enable(stale)], actor="dave")

    assert store.history() == history_before
    assert [store.read(f"svc-{i}").optimization["cache"]["enabled"] for i in range(2)] == [False, False]


def test_many_services_in_one_write(store):
    store.put_documents([ai_config(f"svc-{i:03d}") for i in range(120)], actor="alice")
    documents = store.read_many()

    entries = store.write([_enable(doc) for doc in documents.values()], actor="bob")

    assert len(entries) == 120
    assert all(doc.optimization["cache"]["enabled"] for doc in store.read_many().values())


def test_writing_none_removes_the_field_and_nothing_else(store):
    document = ai_config("summarizer")
    store.put_documents([document], actor="alice")
    stored = store.read("summarizer")

    store.write([Change("summarizer", stored.revision, None, "rollback")], actor="bob")

    after = store.read("summarizer").document
    assert "optimization" not in after
    assert _user_fields(after) == {k: v for k, v in document.items() if k != "optimization"}
    assert store.history("summarizer")[-1].after is None


def test_writing_a_missing_service_is_not_found(store):
    store.put_documents([ai_config("query")], actor="alice")
    history_before = store.history()

    with pytest.raises(NotFoundError, match="ghost"):
        store.write([Change("ghost", "1", {"cache": {"enabled": True}}, "enable")], actor="bob")

    assert store.history() == history_before


def test_history_filters_and_limits_newest_kept_oldest_first(store):
    store.put_documents([ai_config("a"), ai_config("b")], actor="alice")
    store.write([_enable(store.read("a"))], actor="bob")
    stored = store.read("a")
    store.write([Change("a", stored.revision, ai_config("a")["optimization"], "disable")], actor="carol")

    assert [e.action for e in store.history("a")] == ["import", "enable", "disable"]
    assert [e.service for e in store.history("b")] == ["b"]
    assert [(e.actor, e.action) for e in store.history("a", limit=2)] == [("bob", "enable"), ("carol", "disable")]
    assert len(store.history(limit=3)) == 3


def test_replacing_a_document_records_the_optimization_it_had(store):
    store.put_documents([ai_config("agent", enabled=False)], actor="alice")
    revision = store.read("agent").revision

    [entry] = store.put_documents([ai_config("agent", enabled=True)], actor="bob")

    assert entry.before["cache"]["enabled"] is False and entry.after["cache"]["enabled"] is True
    assert store.read("agent").revision not in (revision, None)


def test_environments_never_see_each_other(store_factory):
    dev, staging = store_factory("dev"), store_factory("staging")
    dev.put_documents([ai_config("indexing")], actor="alice")
    staging.put_documents([ai_config("indexing"), ai_config("query")], actor="alice")
    dev.write([_enable(dev.read("indexing"))], actor="bob")

    assert dev.list_services() == ["indexing"]
    assert staging.list_services() == ["indexing", "query"]
    assert staging.read("indexing").optimization["cache"]["enabled"] is False
    assert {e.env for e in staging.history()} == {"staging"}


def test_read_many_returns_the_named_services_that_exist(store):
    store.put_documents([ai_config(name) for name in ("c", "a", "b")], actor="alice")

    assert store.list_services() == ["a", "b", "c"]
    assert sorted(store.read_many(["a", "c", "ghost"])) == ["a", "c"]
    assert sorted(store.read_many()) == ["a", "b", "c"]


def test_services_map_to_document_keys(store_factory):
    store = store_factory("production", keys={"indexing": "anthropic_indexing_config"})
    store.put_documents([ai_config("anthropic_indexing_config")], actor="alice")

    stored = store.read("indexing")
    store.write([_enable(stored)], actor="bob")

    assert store.list_services() == ["indexing"]
    assert stored.key == "anthropic_indexing_config"
    assert [e.service for e in store.history("indexing")] == ["indexing", "indexing"]
