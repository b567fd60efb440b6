"""How long optctl waits for a store before giving up, and when it says that it is waiting.

One scheme for every wait: a setting ``NAME`` (seconds) in an ``[environments.X]`` table of
``optctl.toml``, overridden by the environment variable ``OPTCTL_NAME`` (upper case), else the
default here. Whatever the wait, optctl says on stderr what it is waiting for once it has
waited ``NOTICE_AFTER_SECONDS``, so a blocked command is never silent.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from optctl.errors import UsageError

DEFAULTS = {
    "lock_timeout": 30.0,  # a SQLite write waiting for another process's write lock
    "request_timeout": 30.0,  # an ArangoDB request waiting for its reply (0: no limit)
}
NOTICE_AFTER_SECONDS = 2.0


def variable(setting: str) -> str:
    return f"OPTCTL_{setting.upper()}"


def checked(setting: str, value: Any, where: str) -> float:
    """A project file's value for a wait, or one line saying what it must be."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86_400:
        raise UsageError(
            f"{where}: {setting} must be a number of seconds between 0 and 86400, e.g. {setting} = {DEFAULTS[setting]:g}"
        )
    return float(value)


def seconds(setting: str, configured: float | None = None, environ: Mapping[str, str] | None = None) -> float:
    """The wait in force: the environment variable, else the project file's value, else the default."""
    environ = os.environ if environ is None else environ
    name = variable(setting)
    raw = environ.get(name, "").strip()
    if raw:
        try:
            return checked(setting, float(raw), f"{name}={raw}")
        except ValueError:
            raise UsageError(f"{name}={raw}: not a number of seconds; unset it or give e.g. {DEFAULTS[setting]:g}") from None
    return DEFAULTS[setting] if configured is None else configured
