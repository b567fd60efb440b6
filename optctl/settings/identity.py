"""Who is acting: the name recorded in the history of every change and in every rollout event."""

from __future__ import annotations

import getpass
import os
from typing import Mapping


def actor(environ: Mapping[str, str] | None = None) -> str:
    """Who is acting, for the history: ``OPTCTL_ACTOR``, else the OS user."""
    environ = os.environ if environ is None else environ
    if environ.get("OPTCTL_ACTOR"):
        return environ["OPTCTL_ACTOR"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
