"""Leaf differences between JSON values, and between two environments' documents."""

from __future__ import annotations

from optctl.services import diff
from optctl.stores.base import StoredDocument
from tests.support.samples import ai_config


def test_diff_lists_leaves_in_a_stable_order():
    found = diff.diff(
        {"cache": {"enabled": False, "x": 1}, "provider": "a"},
        {"cache": {"enabled": True}, "provider": "a", "batch": {"enabled": False}},
    )
    assert [(d.path, d.kind) for d in found] == [("cache.enabled", "changed"), ("cache.x", "removed"), ("batch", "added")]
    assert diff.diff(None, None) == [] and diff.diff(1, True)[0].kind == "changed"


def test_document_differences_never_compare_secrets():
    a = StoredDocument("q", "q", "1", ai_config("q"))
    b = StoredDocument("q", "q", "5", {**ai_config("q"), "configuration": {**ai_config("q")["configuration"], "apiKey": "other"}})
    assert diff.document_differences(a, b) == []


def test_environments_differ_by_services_only_one_has_and_by_settings():
    a = {
        "q": StoredDocument("q", "q", "1", ai_config("q")),
        "only-a": StoredDocument("only-a", "only-a", "1", ai_config("only-a")),
    }
    b = {
        "q": StoredDocument("q", "q", "1", ai_config("q", enabled=True)),
        "only-b": StoredDocument("only-b", "only-b", "1", ai_config("only-b")),
    }
    found = diff.environment_differences("dev", a, "prod", b)
    assert [(f.service, f.only_in, [d.path for d in f.differences]) for f in found] == [
        ("only-a", "dev", []),
        ("only-b", "prod", []),
        ("q", None, ["optimization.cache.enabled"]),
    ]
