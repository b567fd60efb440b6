"""``optctl enable | disable | set | apply | rollback | import``: parse, call ``optctl.commands.change``, render.

The flow itself (plan, preview, confirm, commit) is ``optctl.commands.change.change``; this
module adds only the terminal: the preview printed before the question, and the question.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, Optional

import typer

from optctl.cli.completion import complete_service
from optctl.cli.options import ConfigOpt, DryRunOpt, EnvOpt, Output, OutputOpt, ReasonOpt, YesOpt

if TYPE_CHECKING:
    from optctl.commands.change import ChangeResult

ServicesArg = typer.Argument(..., metavar="SERVICE", help="Service name(s).", autocompletion=complete_service)


def _run(
    command: "Callable[..., ChangeResult]",
    *args: Any,
    output: Output,
    config: Path | None,
    env: str | None,
    reason: str | None,
    dry_run: bool,
    yes: bool,
) -> None:
    """Call the command with the terminal's edges, render its result, exit with its code."""
    from optctl.cli.terminal import ask
    from optctl.commands.change import WriteOptions
    from optctl.commands.edges import Edges, show_nothing
    from optctl.render import services as render
    from optctl.render.console import stderr, stdout

    text = output is Output.text
    console = stdout()
    from optctl.render.progress import Bars

    edges = Edges(
        confirm=ask,
        preview=(lambda planned: render.change_preview(planned, console)) if text else show_nothing,
        progress=Bars(quiet=not text),
    )
    result = command(*args, options=WriteOptions(env, config, reason, dry_run, yes), edges=edges)
    if text:
        render.change_text(result, console, stderr())
    else:
        render.change_json(result, console)
    raise typer.Exit(result.exit_code)


def enable(
    services: List[str] = ServicesArg,
    env: EnvOpt = None,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Turn prompt caching on (cache.enabled = true)."""
    from optctl.commands import change

    _run(change.enable, services, output=output, config=config, env=env, reason=reason, dry_run=dry_run, yes=yes)


def disable(
    services: List[str] = ServicesArg,
    env: EnvOpt = None,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Turn prompt caching off (cache.enabled = false): the migration guide's rollback."""
    from optctl.commands import change

    _run(change.disable, services, output=output, config=config, env=env, reason=reason, dry_run=dry_run, yes=yes)


def set_(
    service: str = typer.Argument(..., metavar="SERVICE", help="Service name.", autocompletion=complete_service),
    assignments: List[str] = typer.Argument(..., metavar="FIELD=VALUE", help="e.g. cache.min_tokens_to_cache=2048."),
    env: EnvOpt = None,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Typed, validated edits of optimization fields."""
    from optctl.commands import change

    _run(change.set_fields, service, assignments, output=output, config=config, env=env, reason=reason, dry_run=dry_run, yes=yes)


def apply(
    file: str = typer.Argument(
        ..., metavar="FILE", help="Optimization object (with --service) or ai-config document(s); - for stdin."
    ),
    service: Optional[List[str]] = typer.Option(None, "--service", "-s", help="Service(s) an optimization object is for."),
    env: EnvOpt = None,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Write optimization objects from a file (how a service first gets one)."""
    from optctl.commands import change

    _run(change.apply, file, service or (), output=output, config=config, env=env, reason=reason, dry_run=dry_run, yes=yes)


def rollback(
    service: str = typer.Argument(..., metavar="SERVICE", help="Service name.", autocompletion=complete_service),
    to: Optional[str] = typer.Option(
        None, "--to", metavar="REVISION", help="Restore the state recorded at this revision (default: before the last change)."
    ),
    env: EnvOpt = None,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Restore the optimization object as it was before the last change (recorded as a change)."""
    from optctl.commands import change

    _run(change.rollback, service, to, output=output, config=config, env=env, reason=reason, dry_run=dry_run, yes=yes)


def import_(
    file: str = typer.Argument(
        ..., metavar="FILE", help="ai-config documents: JSON array or JSON Lines (arangoexport), - for stdin."
    ),
    env: EnvOpt = None,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Load whole ai-config documents into an environment (validated; unchanged ones skipped)."""
    from optctl.commands import change

    _run(change.import_documents, file, output=output, config=config, env=env, reason=reason, dry_run=dry_run, yes=yes)


def register(app: typer.Typer) -> None:
    for name, command in (
        ("enable", enable),
        ("disable", disable),
        ("set", set_),
        ("apply", apply),
        ("rollback", rollback),
        ("import", import_),
    ):
        app.command(name)(command)
