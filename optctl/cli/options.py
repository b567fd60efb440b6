"""Options shared by several commands, so their names, env vars and help stay identical."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class Output(str, Enum):
    text = "text"
    json = "json"


OutputOpt = Annotated[
    Output,
    typer.Option("--output", "-o", envvar="OPTCTL_OUTPUT", help="text for people, json for scripts."),
]
EnvOpt = Annotated[
    Optional[str],
    typer.Option("--env", "-e", envvar="OPTCTL_ENV", help="Environment name from optctl.toml (dev, staging, production by default)."),
]
ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", envvar="OPTCTL_CONFIG", help="Project file (default: the nearest optctl.toml up from here, else the embedded store)."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show the diff; write nothing.")]
ModelsFileOpt = Annotated[
    Optional[Path],
    typer.Option("--models-file", envvar="OPTCTL_MODELS_FILE", help="Models table to use instead of the bundled one (same shape as `optctl models -o json`)."),
]
ReasonOpt = Annotated[Optional[str], typer.Option("--reason", "-r", help="Why: recorded in the history.")]
