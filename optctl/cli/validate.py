"""``optctl validate PATH...``: check documents against the contract, for CI and pre-commit."""

from enum import Enum
from typing import Annotated, List, Optional

import typer


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


def validate(
    paths: Annotated[List[str], typer.Argument(help="Files, folders (searched recursively) or - for stdin.", show_default=False)],
    kind: Annotated[Optional[str], typer.Option(help="Force the document kind instead of detecting it (optimization, ai-config, rollout-plan, prompt-fixture).")] = None,
    glob: Annotated[Optional[str], typer.Option(help="In folders, read only files matching this pattern (e.g. '*.json').")] = None,
    strict: Annotated[bool, typer.Option(help="Warnings fail too.")] = False,
    output: Annotated[ReportFormat, typer.Option("--output", "-o", envvar="OPTCTL_OUTPUT", help="text, json, or github (workflow annotations).")] = ReportFormat.text,
) -> None:
    """Validate optimization objects, ai-config documents, rollout plans and prompt fixtures.

    Exit status: 0 all valid, 1 problems found, 2 usage error or unreadable input.
    """
    from optctl.render import findings as reporters
    from optctl.contract.checker import validate_paths
    from optctl.render.progress import Bars

    result = validate_paths(paths, kind=kind, glob=glob, strict=strict, progress=Bars(quiet=output is not ReportFormat.text))
    {"text": reporters.text_report, "json": reporters.json_report, "github": reporters.github_report}[output.value](result)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
