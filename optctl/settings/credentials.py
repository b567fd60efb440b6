"""Credentials for a store: read from the environment variable or file the project names, never from argv.

The project file holds only the names (``username_env``, ``password_file``...); values are read
here, when a store opens, and a missing one is an ``EnvironmentProblem`` naming what to set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from optctl.errors import EnvironmentProblem


def read_credential(env: str, what: str, variable: str | None, path: str | None, environ: Mapping[str, str]) -> str | None:
    """The value of the named variable, else the named file's content; ``None`` when neither is named."""
    if variable:
        if variable not in environ:
            raise EnvironmentProblem(f"environment {env!r}: the {what} variable {variable} is not set; export it, then run again")
        return environ[variable]
    if path:
        try:
            return Path(path).expanduser().read_text(encoding="utf-8").strip()
        except OSError as err:
            raise EnvironmentProblem(f"environment {env!r}: cannot read the {what} file {path} ({err.strerror or err})") from None
    return None
