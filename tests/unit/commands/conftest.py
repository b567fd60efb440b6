"""One embedded project per test, and ``Edges`` that answer for the terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from optctl.commands.edges import Edges
from optctl.settings.project import EnvironmentConfig, Project, sqlite_url
from optctl.stores.sqlite import SqliteStore
from tests.support.samples import ai_config


@pytest.fixture
def project(tmp_path) -> Project:
    url = sqlite_url(tmp_path / "optctl.db")
    project = Project({name: EnvironmentConfig(name, url) for name in ("dev", "prod")}, None)
    store = SqliteStore.open(project.env("dev"))
    store.put_documents([ai_config("indexing"), ai_config("query", enabled=True)], "seed", None)
    store.close()
    return project


@dataclass
class Terminal:
    """Stands in for the person at the terminal: answers in turn (``None``: not a terminal), records what it saw."""

    project: Project
    answers: list[bool | None] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    previews: list[Any] = field(default_factory=list)

    def confirm(self, question: str) -> bool | None:
        self.asked.append(question)
        return self.answers.pop(0)

    @property
    def edges(self) -> Edges:
        return Edges(
            load_project=lambda _: self.project, confirm=self.confirm, preview=self.previews.append, actor=lambda: "alice"
        )


@pytest.fixture
def terminal(project):
    def make(*answers: bool | None) -> Terminal:
        return Terminal(project, list(answers))

    return make
