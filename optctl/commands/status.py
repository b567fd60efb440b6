"""``status``: where every service stands in every environment; reads the stores, never writes.

Its own module, apart from ``commands.inspect``, so that ``optctl status`` imports only what it
uses (the history, diff and export machinery is a tenth of its start-up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from optctl.commands.edges import Edges
from optctl.errors import EXIT_OK, EXIT_PROBLEMS, EnvironmentProblem
from optctl.services import status as matrix
from optctl.settings.context import RunContext
from optctl.stores.base import HistoryEntry, StoredDocument


@dataclass(frozen=True)
class StatusResult:
    context: RunContext
    environments: list[str]
    rows: list[matrix.Row]  # cells only for the environments that answered
    unreachable: dict[str, str] = field(default_factory=dict)  # environment -> why it could not be read

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.unreachable else EXIT_OK

    @property
    def empty_embedded(self) -> bool:
        """Nothing found, and only because no project file pointed elsewhere."""
        return not self.rows and self.context.embedded


def status(envs: Sequence[str] = (), config: Path | None = None, edges: Edges = Edges()) -> StatusResult:
    """Every service by every chosen environment (all by default).

    An environment that cannot be read (server down, credentials missing) is marked and the
    others are shown (exit 1): one bad environment must not hide where the rest stand. Only
    when none can be read is it an environment error (exit 2).
    """
    project = edges.load_project(config)
    chosen = project.select(list(envs) or None)
    documents: dict[str, dict[str, StoredDocument]] = {}
    last: dict[str, dict[str, HistoryEntry]] = {}
    unreachable: dict[str, str] = {}
    for env in chosen:
        try:
            with edges.opened(env) as store:
                documents[env.name] = store.read_many()
                last[env.name] = store.last_changes()
        except EnvironmentProblem as err:
            if len(chosen) == 1 or (len(unreachable) == len(chosen) - 1 and not documents):
                raise
            unreachable[env.name] = str(err)
    return StatusResult(RunContext.of(project, chosen), [env.name for env in chosen], matrix.matrix(documents, last), unreachable)
