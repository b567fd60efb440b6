"""``init [--example]``: write the commented project file, and optionally load example services.

Examples go only into embedded (SQLite) environments: a project whose production lives in
ArangoDB must never receive made-up services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from optctl.commands.edges import Edges
from optctl.errors import EXIT_OK
from optctl.services.examples import load_examples
from optctl.settings.context import RunContext
from optctl.settings.project import PROJECT_FILE, SQLITE_SCHEME, find_project_file
from optctl.settings.template import write_project_file
from optctl.stores.base import HistoryEntry


@dataclass(frozen=True)
class InitResult:
    project_file: Path
    written: bool  # False: a project file was there already and was left as it is
    # environment -> the example services loaded (empty: all were there), or None: not an
    # embedded store, left alone. Empty without --example.
    loaded: dict[str, list[HistoryEntry] | None] = field(default_factory=dict)
    context: RunContext | None = None  # the project the examples went into (with --example)
    exit_code: int = EXIT_OK


def init(directory: Path = Path("."), example: bool = False, config: Path | None = None, edges: Edges = Edges()) -> InitResult:
    written = write_project_file(directory)
    result = InitResult(directory / PROJECT_FILE, written is not None)
    if not example:
        return result
    # --config, then OPTCTL_CONFIG, then the nearest optctl.toml up from the folder written to
    project = edges.load_project(find_project_file(config, cwd=directory))
    loaded: dict[str, list[HistoryEntry] | None] = {}
    for env in project.select(None):
        if not env.url.startswith(SQLITE_SCHEME):
            loaded[env.name] = None
            continue
        with edges.opened(env) as store:
            loaded[env.name] = load_examples(store, edges.actor())
    return InitResult(result.project_file, result.written, loaded, RunContext.of(project, project.select(None)))
