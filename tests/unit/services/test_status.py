"""The status matrix: effective values, absent services, documents optctl did not write."""

from __future__ import annotations

from optctl.services import status
from optctl.stores.base import HistoryEntry, StoredDocument
from tests.support.samples import ai_config


def _stored(key: str, optimization) -> StoredDocument:
    document = ai_config(key, None)
    if optimization is not None:
        document["optimization"] = optimization
    return StoredDocument(key, key, "3", document)


def test_missing_settings_show_the_wrappers_defaults():
    cell = status.cell(_stored("q", {"cache": {"enabled": True}}), None)
    assert (cell.enabled, cell.ttl_seconds, cell.min_tokens_to_cache) == (True, 300, 1024)
    assert status.cell(_stored("q", {"provider": "anthropic"}), None).enabled is False


def test_absent_no_optimization_and_invalid_are_told_apart():
    assert status.cell(None, None).to_json()["present"] is False
    none = status.cell(_stored("q", None), None)
    assert (none.present, none.has_optimization) == (True, False)
    broken = status.cell(_stored("q", {"cache": ["on"]}), None)
    assert (broken.has_optimization, broken.enabled) == (True, None)


def test_the_matrix_has_every_service_of_any_environment_with_its_last_change():
    last = HistoryEntry("3", "2026-11-25T10:00:00Z", "alice", "enable", "a", "dev", None, None)
    rows = status.matrix(
        {"dev": {"a": _stored("a", {"cache": {"enabled": True}})}, "prod": {"b": _stored("b", None)}},
        {"dev": {"a": last}},
    )
    assert [row.service for row in rows] == ["a", "b"]
    assert rows[0].cells["dev"].last_change is last and rows[0].cells["prod"].present is False
    assert rows[0].to_json()["environments"]["dev"]["last_change"] == {
        "actor": "alice",
        "at": "2026-11-25T10:00:00Z",
        "action": "enable",
        "revision": "3",
    }
