"""``optctl validate PATH...``: parse, call ``optctl.commands.validate``, render the report."""

import sys
from enum import Enum
from typing import Annotated, List, Optional

import typer

from optctl.cli.collector import fewer_collections
from optctl.cli.options import ModelsFileOpt, output_option


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    codequality = "codequality"


def validate(
    paths: Annotated[List[str], typer.Argument(help="Files, folders (searched recursively) or - for stdin.", show_default=False)],
    kind: Annotated[
        Optional[str],
        typer.Option(
            help="Force the document kind instead of detecting it (optimization, ai-config, rollout-plan, prompt-fixture; auto detects, the default)."
        ),
    ] = None,
    glob: Annotated[
        Optional[str], typer.Option(help="In folders, read only files matching this pattern (e.g. '*.json').")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Warnings fail too.")] = False,
    skip_unknown: Annotated[
        bool,
        typer.Option(
            "--skip-unknown",
            help="Skip documents of no optctl kind (package.json, CI files) instead of failing them: for hooks that see every JSON and YAML file.",
        ),
    ] = False,
    output: Annotated[
        ReportFormat,
        output_option(ReportFormat, "text, json, github (workflow annotations), sarif (code scanning) or codequality (GitLab)."),
    ] = ReportFormat.text,
    models_file: ModelsFileOpt = None,
) -> None:
    """Validate optimization objects, ai-config documents, rollout plans and prompt fixtures.

    Exit status: 0 all valid, 1 problems found, 2 usage error or unreadable input.
    """
    from optctl.commands.edges import Edges
    from optctl.commands.validate import validate as run
    from optctl.render import findings as reporters
    from optctl.render.progress import Bars

    with fewer_collections():
        result = run(
            paths,
            kind,
            glob,
            strict,
            models_file,
            Edges(progress=Bars(quiet=output is not ReportFormat.text)),
            skip_unknown=skip_unknown,
        )
        if output in (ReportFormat.sarif, ReportFormat.codequality):
            from optctl.render import code_scanning

            report = code_scanning.sarif_report if output is ReportFormat.sarif else code_scanning.codequality_report
        else:
            report = {"text": reporters.text_report, "json": reporters.json_report, "github": reporters.github_report}[
                output.value
            ]
        report(result, sys.stdout)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
