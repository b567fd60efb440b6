"""The pure decisions behind enable, disable, set, apply, rollback and import."""

from __future__ import annotations

import pytest

from optctl.services import changes
from optctl.errors import InvalidDocumentError, NotFoundError, UsageError
from optctl.stores.base import HistoryEntry, StoredDocument
from tests.support.samples import ai_config


def _stored(key: str, enabled: bool | None = False, revision: str = "7") -> StoredDocument:
    return StoredDocument(key, key, revision, ai_config(key, enabled))


def _documents(*stored: StoredDocument) -> dict[str, StoredDocument]:
    return {s.service: s for s in stored}


def _entry(revision: str, before, after, action="enable") -> HistoryEntry:
    return HistoryEntry(revision, "2026-11-25T10:00:00.000Z", "alice", action, "query", "dev", before, after)


def test_enable_flips_only_cache_enabled_and_keeps_key_order():
    plan = changes.flip(_documents(_stored("query")), ["query"], True, "dev")

    [planned] = plan.changes
    assert (planned.service, planned.revision, planned.action) == ("query", "7", "enable")
    assert planned.after == {"cache": {"enabled": True, "min_tokens_to_cache": 1024}, "provider": "anthropic"}
    assert list(planned.after["cache"]) == ["enabled", "min_tokens_to_cache"]
    assert [d.to_json() for d in planned.differences] == [
        {"path": "cache.enabled", "kind": "changed", "before": False, "after": True}
    ]
    assert planned.before["cache"]["enabled"] is False  # the read document is not mutated


def test_enabling_an_enabled_service_writes_nothing_and_says_so():
    plan = changes.flip(_documents(_stored("query", True), _stored("agent")), ["query", "agent", "query"], True, "dev")

    assert [p.service for p in plan.changes] == ["agent"]
    assert plan.unchanged == [("query", "already enabled, nothing written")]


def test_disable_of_an_object_without_a_cache_section_is_already_disabled():
    stored = StoredDocument("query", "query", "1", {**ai_config("query"), "optimization": {"provider": "anthropic"}})

    assert changes.flip({"query": stored}, ["query"], False, "dev").unchanged == [("query", "already disabled, nothing written")]
    assert changes.flip({"query": stored}, ["query"], True, "dev").changes[0].after == {
        "provider": "anthropic",
        "cache": {"enabled": True},
    }


def test_a_service_without_optimization_never_gets_defaults_implicitly():
    with pytest.raises(UsageError, match="no optimization field.*optctl apply"):
        changes.flip(_documents(_stored("classifier", None)), ["classifier"], True, "dev")
    with pytest.raises(UsageError, match="optctl apply"):
        changes.set_fields(_documents(_stored("classifier", None)), "classifier", ["cache.enabled=true"], "dev")


def test_an_unknown_service_is_named():
    with pytest.raises(NotFoundError, match="'ghost' in staging"):
        changes.flip({}, ["ghost"], True, "staging")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cache.min_tokens_to_cache=2048", (("cache", "min_tokens_to_cache"), 2048)),
        ("cache.enabled=TRUE", (("cache", "enabled"), True)),
        ("batch.accumulation_strategy=count", (("batch", "accumulation_strategy"), "count")),
        ("provider=null", (("provider",), None)),
        ("provider = anthropic", (("provider",), "anthropic")),
    ],
)
def test_assignments_are_typed_by_the_schema(text, expected):
    assert changes.parse_assignment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cache.enabeld=true", "FIELD one of"),
        ("cache.enabled", "FIELD one of"),
        ("cache.enabled=yes", "true or false"),
        ("cache.min_tokens_to_cache=2k", "whole number"),
        ("batch.accumulation_strategy=weekly", "time, count, hybrid"),
    ],
)
def test_bad_assignments_say_what_is_expected(text, message):
    with pytest.raises(UsageError, match=message):
        changes.parse_assignment(text)


def test_set_validates_the_result_before_anything_is_written():
    documents = _documents(_stored("query"))
    plan = changes.set_fields(documents, "query", ["cache.min_tokens_to_cache=2048", "batch.enabled=false"], "dev")
    assert plan.changes[0].after["cache"]["min_tokens_to_cache"] == 2048
    assert plan.changes[0].after["batch"] == {"enabled": False}

    with pytest.raises(
        InvalidDocumentError, match=r"query in dev: optimization\.cache\.min_tokens_to_cache: must be at least 256"
    ):
        changes.set_fields(documents, "query", ["cache.min_tokens_to_cache=100"], "dev")


def test_set_to_the_same_value_writes_nothing():
    plan = changes.set_fields(_documents(_stored("query")), "query", ["cache.min_tokens_to_cache=1024"], "dev")
    assert plan.changes == [] and plan.unchanged[0][0] == "query"


def test_apply_gives_a_service_its_first_optimization_object():
    target = {"cache": {"enabled": False}, "provider": "anthropic"}
    plan = changes.apply(_documents(_stored("classifier", None)), {"classifier": target}, "dev")

    [planned] = plan.changes
    assert planned.before is None and planned.after == target
    assert [d.kind for d in planned.differences] == ["added"]


def test_apply_refuses_an_invalid_object():
    with pytest.raises(InvalidDocumentError, match="unknown key 'enabeld'"):
        changes.apply(_documents(_stored("query")), {"query": {"cache": {"enabeld": True}}}, "dev")


def test_rollback_restores_the_state_before_the_last_change():
    before, after = {"cache": {"enabled": False}}, {"cache": {"enabled": True}}
    stored = StoredDocument("query", "query", "3", {**ai_config("query"), "optimization": after})
    history = [
        _entry("1", None, before, "import"),
        _entry("2", before, {"cache": {"enabled": False, "min_tokens_to_cache": 2048}}, "set"),
        _entry("3", {"cache": {"enabled": False, "min_tokens_to_cache": 2048}}, after),
    ]

    plan = changes.rollback(stored, history, "dev")

    assert plan.changes[0].after == {"cache": {"enabled": False, "min_tokens_to_cache": 2048}}
    assert plan.changes[0].action == "rollback"
    assert changes.rollback(stored, history, "dev", to_revision="1").changes[0].after == before


def test_rollback_removes_the_field_only_when_the_revision_that_added_it_is_named():
    stored = StoredDocument("query", "query", "1", ai_config("query"))
    history = [_entry("1", None, stored.optimization, "import")]
    with pytest.raises(
        UsageError,
        match=r"would remove the whole optimization field; to turn caching off run `optctl disable query"
        r" --env dev`.*--to 1`; nothing was written",
    ):
        changes.rollback(stored, history, "dev")
    plan = changes.rollback(stored, history, "dev", to_revision="1")
    assert plan.changes[0].after is None
    assert plan.changes[0].warnings[0] == "this removes the whole optimization field (undoing revision 1)"


def test_a_rollback_that_undoes_an_earlier_rollback_says_so():
    off, on = {"cache": {"enabled": False}}, {"cache": {"enabled": True}}
    stored = StoredDocument("query", "query", "3", {**ai_config("query"), "optimization": off})
    history = [_entry("1", None, off, "import"), _entry("2", off, on, "enable"), _entry("3", on, off, "rollback")]
    [planned] = changes.rollback(stored, history, "dev").changes
    assert planned.after == on and planned.warnings[0].startswith("this undoes an earlier rollback (revision 3, by ")
    enabled = StoredDocument("query", "query", "2", {**ai_config("query"), "optimization": on})
    assert not any("undoes an earlier" in w for w in changes.rollback(enabled, history[:2], "dev").changes[0].warnings)


def test_rollback_to_an_unknown_revision_lists_known_ones():
    stored = _stored("query")
    with pytest.raises(NotFoundError, match=r"no revision '9'.*recent: 1"):
        changes.rollback(stored, [_entry("1", None, stored.optimization, "import")], "dev", to_revision="9")
    with pytest.raises(NotFoundError, match="no history"):
        changes.rollback(stored, [], "dev")


def test_prepare_import_validates_and_drops_arango_system_fields():
    document = {**ai_config("query"), "_id": "ai_configs/query", "_rev": "_hV3x--_"}
    assert changes.prepare_import([document], ["f.jsonl[0]"]) == [ai_config("query")]

    bad = {**ai_config("query"), "configuration": {"apiKey": "sk-ant-very-secret-key"}}
    with pytest.raises(InvalidDocumentError) as raised:
        changes.prepare_import([bad], ["f.jsonl[3]"])
    assert "f.jsonl[3]: configuration" in str(raised.value) and "model" in str(raised.value)
    assert "sk-ant-very-secret-key" not in str(raised.value)


def test_a_stored_object_that_is_broken_is_named_not_crashed_on():
    broken = StoredDocument("query", "query", "1", {**ai_config("query"), "optimization": ["not", "an", "object"]})
    with pytest.raises(InvalidDocumentError, match="not an object.*optctl apply"):
        changes.flip({"query": broken}, ["query"], False, "dev")

    null_cache = StoredDocument("query", "query", "1", {**ai_config("query"), "optimization": {"cache": None}})
    assert changes.flip({"query": null_cache}, ["query"], False, "dev").changes[0].after == {"cache": {"enabled": False}}


def test_caching_is_refused_for_a_provider_the_wrapper_cannot_cache_for():
    document = {**ai_config("chat"), "provider": "openai", "optimization": {"cache": {"enabled": False}}}
    stored = StoredDocument("chat", "chat", "2", document)
    with pytest.raises(
        InvalidDocumentError, match=r"chat in dev: optimization\.cache\.enabled: caching is enabled but .* 'openai'"
    ):
        changes.flip({"chat": stored}, ["chat"], True, "dev")


def test_problems_elsewhere_in_the_document_never_block_a_disable():
    document = {**ai_config("query", True), "configuration": {"apiKey": "sk-ant-x"}}  # no model: invalid
    plan = changes.flip({"query": StoredDocument("query", "query", "2", document)}, ["query"], False, "dev")
    assert plan.changes[0].after["cache"]["enabled"] is False


def test_warnings_of_the_contract_travel_with_the_change():
    document = {**ai_config("query"), "optimization": {"cache": {"enabled": False, "min_tokens_to_cache": 512}}}
    document["configuration"] = {**document["configuration"], "model": "claude-opus-4-5"}
    plan = changes.flip({"query": StoredDocument("query", "query", "2", document)}, ["query"], True, "dev")
    [warning] = plan.changes[0].warnings
    assert warning.startswith("optimization.cache.min_tokens_to_cache: 512 is below claude-opus-4-5's minimum")
    assert plan.changes[0].to_json()["warnings"] == [warning]
