"""``optctl enable | disable | set | apply | rollback | import``: change one environment.

Every command follows one path: plan (read and decide), show the diff, confirm (a TTY asks; a
script must pass --yes), write as one revision-checked unit, show what was recorded.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional

import typer

from optctl.cli.options import ConfigOpt, DryRunOpt, EnvOpt, Output, OutputOpt, ReasonOpt, YesOpt

if TYPE_CHECKING:
    from optctl.services.changes import Plan
    from optctl.settings.project import EnvironmentConfig
    from optctl.stores.base import Store

ServicesArg = typer.Argument(..., metavar="SERVICE", help="Service name(s).")


def _run(
    config: Path | None, env_name: str | None, output: Output, dry_run: bool, yes: bool, reason: str | None,
    plan: "Callable[[Store, EnvironmentConfig], Plan]",
) -> None:
    """Plan with ``plan(store, env)``; then show, confirm and commit. Imports stay lazy."""
    from optctl.services import actions as control
    from optctl.settings.project import actor, load_project
    from optctl.render import services as render

    env = load_project(config).env(env_name)
    with control.opened(env) as store:
        planned = plan(store, env)
        text = output is Output.text
        if text:
            render.plan_text(planned, dry_run)
        written = []
        if planned.changes and not dry_run:
            _confirm(yes, f"write {len(planned.changes)} change(s) to {env.name}?")
            written = control.commit(store, planned, actor(), reason)
    if text:
        render.written_text(env.name, written)
    else:
        render.plan_json(planned, dry_run, written)


def _confirm(yes: bool, question: str) -> None:
    from optctl.errors import UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("not a terminal, so nothing to ask: pass --yes to write, or --dry-run to only look; nothing was written")
    if not typer.confirm(question, default=False, err=True):
        typer.echo("cancelled; nothing was written", err=True)
        raise typer.Exit(1)


def enable(
    services: List[str] = ServicesArg, env: EnvOpt = None, reason: ReasonOpt = None, dry_run: DryRunOpt = False,
    yes: YesOpt = False, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Turn prompt caching on (cache.enabled = true)."""
    from optctl.services.actions import plan_flip

    _run(config, env, output, dry_run, yes, reason, lambda store, _: plan_flip(store, services, True))


def disable(
    services: List[str] = ServicesArg, env: EnvOpt = None, reason: ReasonOpt = None, dry_run: DryRunOpt = False,
    yes: YesOpt = False, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Turn prompt caching off (cache.enabled = false): the migration guide's rollback."""
    from optctl.services.actions import plan_flip

    _run(config, env, output, dry_run, yes, reason, lambda store, _: plan_flip(store, services, False))


def set_(
    service: str = typer.Argument(..., metavar="SERVICE", help="Service name."),
    assignments: List[str] = typer.Argument(..., metavar="FIELD=VALUE", help="e.g. cache.min_tokens_to_cache=2048."),
    env: EnvOpt = None, reason: ReasonOpt = None, dry_run: DryRunOpt = False,
    yes: YesOpt = False, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Typed, validated edits of optimization fields."""
    from optctl.services.actions import plan_set

    _run(config, env, output, dry_run, yes, reason, lambda store, _: plan_set(store, service, assignments))


def apply(
    file: str = typer.Argument(..., metavar="FILE", help="Optimization object (with --service) or ai-config document(s); - for stdin."),
    service: Optional[List[str]] = typer.Option(None, "--service", "-s", help="Service(s) an optimization object is for."),
    env: EnvOpt = None, reason: ReasonOpt = None, dry_run: DryRunOpt = False,
    yes: YesOpt = False, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Write optimization objects from a file (how a service first gets one)."""
    from optctl.services.actions import plan_apply

    _run(config, env, output, dry_run, yes, reason, lambda store, e: plan_apply(store, e, file, service or ()))


def rollback(
    service: str = typer.Argument(..., metavar="SERVICE", help="Service name."),
    to: Optional[str] = typer.Option(None, "--to", metavar="REVISION", help="Restore the state recorded at this revision (default: before the last change)."),
    env: EnvOpt = None, reason: ReasonOpt = None, dry_run: DryRunOpt = False,
    yes: YesOpt = False, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Restore the optimization object as it was before the last change (recorded as a change)."""
    from optctl.services.actions import plan_rollback

    _run(config, env, output, dry_run, yes, reason, lambda store, _: plan_rollback(store, service, to))


def import_(
    file: str = typer.Argument(..., metavar="FILE", help="ai-config documents: JSON array or JSON Lines (arangoexport), - for stdin."),
    env: EnvOpt = None, reason: ReasonOpt = None, dry_run: DryRunOpt = False,
    yes: YesOpt = False, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Load whole ai-config documents into an environment (validated; unchanged ones skipped)."""
    from optctl.services.actions import plan_import

    _run(config, env, output, dry_run, yes, reason, lambda store, e: plan_import(store, e, file))


def register(app: typer.Typer) -> None:
    for name, command in (("enable", enable), ("disable", disable), ("set", set_), ("apply", apply),
                          ("rollback", rollback), ("import", import_)):
        app.command(name)(command)
