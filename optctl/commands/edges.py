"""What a command reaches outside itself for, bundled so that a unit test can replace each piece.

A command function takes plain arguments and one ``Edges``; the defaults are the real thing
(the project file, the stores, the OS user). The CLI only adds the terminal: ``confirm``
asks a person, ``preview`` shows what a write would do before the question is asked.
"""

from __future__ import annotations

from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Protocol

from optctl.settings.identity import actor
from optctl.settings.project import EnvironmentConfig, Project, load_project
from optctl.stores.base import Store, utc_now
from optctl.stores.factory import open_store

# The answer to a yes/no question: True or False, or None when there is nobody to ask
# (not a terminal); the command then decides what that means (a write needs --yes).
Confirm = Callable[[str], "bool | None"]


class Advance(Protocol):
    """``advance(n)``: n more units of the work done; ``items``: that many more of what the work is
    made of, when the unit measures something else (a dry-run is measured in bytes, told in fixtures)."""

    def __call__(self, amount: float, /, items: int = 0) -> None: ...


class Progress(Protocol):
    """Progress of long work: ``with edges.progress(description, total, unit) as advance: advance(n)``
    (total None when unknown); ``items`` names what ``advance(n, items=k)`` counts, if anything.

    The default shows nothing; the CLI passes ``optctl.render.progress.Bars``, a bar on stderr when
    a person is watching.
    """

    def __call__(self, description: str, total: float | None, unit: str, items: str | None = None) -> ContextManager[Advance]: ...


def nothing_done(amount: float, /, items: int = 0) -> None:
    """The ``advance`` of work nobody watches."""


@contextmanager
def no_progress(description: str, total: float | None, unit: str, items: str | None = None) -> Iterator[Advance]:
    """The default ``progress``: nobody is watching."""
    yield nothing_done


def nobody_to_ask(question: str) -> None:
    """The default ``confirm``: no terminal, so no answer."""
    return None


def show_nothing(planned: Any) -> None:
    """The default ``preview``: scripts read the result, not the preview."""


@dataclass(frozen=True)
class Edges:
    load_project: Callable[[Path | None], Project] = load_project
    open_store: Callable[[EnvironmentConfig], Store] = open_store
    confirm: Confirm = nobody_to_ask
    preview: Callable[[Any], None] = show_nothing
    actor: Callable[[], str] = actor
    progress: Progress = no_progress
    now: Callable[[], datetime] = utc_now  # what "7d ago" counts back from

    @contextmanager
    def opened(self, env: EnvironmentConfig) -> Iterator[Store]:
        with closing(self.open_store(env)) as store:
            yield store
