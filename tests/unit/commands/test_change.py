"""The change flow as a plain function: plan, preview, confirm, commit, and what the result says."""

from __future__ import annotations

import pytest

from optctl.commands import change
from optctl.commands.change import WriteOptions
from optctl.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from optctl.stores.sqlite import SqliteStore


def _enabled(project, service: str) -> bool:
    store = SqliteStore.open(project.env("dev"))
    try:
        return store.read(service).optimization["cache"]["enabled"]
    finally:
        store.close()


def test_yes_writes_without_asking_and_records_the_actor_and_reason(project, terminal):
    person = terminal()
    result = change.enable(["indexing"], WriteOptions(env="dev", reason="soak passed", yes=True), person.edges)

    assert result.exit_code == EXIT_OK and person.asked == []
    assert [(e.service, e.actor, e.reason, e.action) for e in result.written] == [("indexing", "alice", "soak passed", "enable")]
    assert _enabled(project, "indexing") is True


def test_the_preview_comes_before_the_question_and_shows_the_plan(project, terminal):
    person = terminal(True)
    result = change.disable(["query"], WriteOptions(env="dev"), person.edges)

    assert person.asked == ["write 1 change(s) to dev?"]
    assert [p.plan.changes[0].service for p in person.previews] == ["query"] and person.previews[0].written == ()
    assert result.written and _enabled(project, "query") is False


def test_a_no_writes_nothing_and_exits_1(project, terminal):
    result = change.enable(["indexing"], WriteOptions(env="dev"), terminal(False).edges)

    assert result.cancelled and result.exit_code == EXIT_PROBLEMS and result.written == ()
    assert _enabled(project, "indexing") is False


def test_with_nobody_to_ask_a_write_needs_yes(project, terminal):
    with pytest.raises(UsageError, match="pass --yes"):
        change.enable(["indexing"], WriteOptions(env="dev"), terminal(None).edges)
    assert _enabled(project, "indexing") is False


def test_a_dry_run_never_asks_and_writes_nothing(project, terminal):
    person = terminal()
    result = change.enable(["indexing"], WriteOptions(env="dev", dry_run=True), person.edges)

    assert result.dry_run and [c.service for c in result.plan.changes] == ["indexing"] and result.written == ()
    assert person.asked == [] and _enabled(project, "indexing") is False


def test_nothing_to_change_never_asks(project, terminal):
    person = terminal()
    result = change.enable(["query"], WriteOptions(env="dev"), person.edges)

    assert result.plan.changes == [] and result.plan.unchanged == [("query", "already enabled, nothing written")]
    assert person.asked == [] and result.exit_code == EXIT_OK


def test_set_then_rollback_restores_the_object(project, terminal):
    change.set_fields("indexing", ["cache.min_tokens_to_cache=2048"], WriteOptions(env="dev", yes=True), terminal().edges)
    result = change.rollback("indexing", None, WriteOptions(env="dev", yes=True), terminal().edges)

    assert [d.path for d in result.plan.changes[0].differences] == ["cache.min_tokens_to_cache"]
    assert result.written[0].after["cache"]["min_tokens_to_cache"] == 1024


def test_apply_and_import_read_their_file(project, terminal, tmp_path):
    from tests.support.samples import ai_config

    optimization = tmp_path / "optimization.json"
    optimization.write_text('{"cache": {"enabled": false, "default_ttl_seconds": 3600}}')
    applied = change.apply(str(optimization), ["query"], WriteOptions(env="dev", yes=True), terminal().edges)
    assert applied.written[0].after == {"cache": {"enabled": False, "default_ttl_seconds": 3600}}

    documents = tmp_path / "documents.json"
    documents.write_text(__import__("json").dumps([ai_config("agent")]))
    imported = change.import_documents(str(documents), WriteOptions(env="prod", yes=True), terminal().edges)
    assert [(e.service, e.env, e.action) for e in imported.written] == [("agent", "prod", "import")]
