"""status, show, history, diff and export as plain functions over an embedded project."""

from __future__ import annotations

import pytest

from optctl.commands import inspect
from optctl.commands.status import status
from optctl.commands.edges import Edges
from optctl.errors import EXIT_OK, EXIT_PROBLEMS, NotFoundError, UsageError
from optctl.settings.project import embedded_project
from optctl.stores.sqlite import SqliteStore


@pytest.fixture
def edges(project) -> Edges:
    return Edges(load_project=lambda _: project)


def test_status_has_a_row_per_service_and_says_which_stores(edges, project):
    result = status(edges=edges)
    assert result.environments == ["dev", "prod"] and [row.service for row in result.rows] == ["indexing", "query"]
    assert result.rows[1].cells["dev"].enabled is True and not result.rows[1].cells["prod"].present
    assert [s.env for s in result.context.stores] == ["dev", "prod"] and not result.empty_embedded


def test_an_empty_embedded_default_says_so(tmp_path):
    project = embedded_project({"OPTCTL_HOME": str(tmp_path)})
    edges = Edges(load_project=lambda _: project)
    result = status(["production"], edges=edges)
    assert result.rows == [] and result.empty_embedded and str(tmp_path / "optctl.db") in result.context.embedded_hint

    with pytest.raises(NotFoundError, match="embedded default store"):
        inspect.show("indexing", "production", edges=edges)
    assert inspect.history(edges=edges).empty_embedded and inspect.export("dev", edges=edges).empty_embedded


def test_show_names_a_missing_service_without_the_embedded_hint_when_a_project_file_is_used(edges):
    assert inspect.show("indexing", "dev", edges=edges).stored.revision == "1"
    with pytest.raises(NotFoundError) as raised:
        inspect.show("ghost", "dev", edges=edges)
    assert "ghost" in str(raised.value)


def test_history_carries_each_entrys_differences(edges, project):
    store = SqliteStore.open(project.env("dev"))
    store.put_documents([{**store.read("indexing").document, "optimization": {"cache": {"enabled": True}}}], "bob", "try")
    store.close()
    result = inspect.history("indexing", edges=edges)
    assert [line.entry.actor for line in result.lines] == ["seed", "bob"]
    assert [d.path for d in result.lines[1].differences] == ["cache.enabled", "cache.min_tokens_to_cache", "provider"]
    assert [line.entry.actor for line in inspect.history("indexing", limit=1, edges=edges).lines] == ["bob"]


def test_diff_exits_1_when_environments_differ_and_needs_two(edges):
    result = inspect.environments_diff(["dev", "prod"], edges=edges)
    assert [(s.service, s.only_in) for s in result.services] == [("indexing", "dev"), ("query", "dev")]
    assert result.exit_code == EXIT_PROBLEMS
    assert inspect.environments_diff(["dev", "dev"], edges=edges).exit_code == EXIT_OK
    with pytest.raises(UsageError, match="two environments"):
        inspect.environments_diff(["dev"], edges=edges)


def test_export_redacts_unless_asked(edges):
    redacted = inspect.export("dev", edges=edges).documents
    assert all(doc["configuration"]["apiKey"] == "***REDACTED***" for doc in redacted)
    assert inspect.export("dev", include_secrets=True, edges=edges).documents[0]["configuration"]["apiKey"].startswith("sk-ant-")
