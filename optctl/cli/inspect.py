"""``optctl status | show | history | diff | export``: look, never write."""

from typing import Annotated, List, Optional

import typer

from optctl.cli.options import ConfigOpt, EnvOpt, Output, OutputOpt

EnvsOpt = Annotated[
    Optional[List[str]],
    typer.Option("--env", "-e", envvar="OPTCTL_ENV", metavar="ENV", help="Environment(s) to include; repeat for several (default: all)."),
]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", "-n", min=1, metavar="N", help="Only the newest N entries.")]


def status(env: EnvsOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Services by environments: caching on/off, TTL, min tokens, last change."""
    from optctl.services import actions as control
    from optctl.settings.project import load_project
    from optctl.render import services as render

    env_names, rows = control.status_rows(load_project(config), env)
    (render.status_json if output is Output.json else render.status_text)(env_names, rows)


def show(
    service: str = typer.Argument(..., metavar="SERVICE", help="Service name."),
    env: EnvOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """One service's document (secrets redacted) and its revision."""
    from optctl.services import actions as control
    from optctl.settings.project import load_project
    from optctl.render import services as render

    environment = load_project(config).env(env)
    with control.opened(environment) as store:
        stored = store.read(service)
    (render.document_json if output is Output.json else render.document_text)(stored, environment.name)


def history(
    service: Optional[str] = typer.Argument(None, metavar="SERVICE", help="Only this service."),
    env: EnvsOpt = None, limit: LimitOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None,
) -> None:
    """Who changed what, when, from what to what, and why (oldest first)."""
    from optctl.services import actions as control
    from optctl.settings.project import load_project
    from optctl.render import services as render

    entries = control.history(load_project(config), service, env, limit)
    (render.history_json if output is Output.json else render.history_text)(entries)


def diff(env: EnvsOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Where two environments differ (exit 1 if they do). Give --env twice."""
    from optctl.services import actions as control
    from optctl.settings.project import load_project
    from optctl.errors import UsageError
    from optctl.render import services as render

    if not env or len(env) != 2:
        raise UsageError("diff compares two environments: give --env A --env B")
    found = control.environment_diff(load_project(config), *env)
    (render.env_diff_json if output is Output.json else render.env_diff_text)(env[0], env[1], found)
    if found:
        raise typer.Exit(1)


def export(
    env: EnvOpt = None,
    include_secrets: bool = typer.Option(False, "--include-secrets", help="Keep API keys (for a real migration; never for a ticket)."),
    jsonl: bool = typer.Option(False, "--jsonl", help="JSON Lines, one document per line (as arangoexport --type jsonl)."),
    config: ConfigOpt = None,
) -> None:
    """All documents of an environment, as `optctl import` reads them (secrets redacted by default)."""
    from optctl.services import actions as control
    from optctl.settings.project import load_project
    from optctl.render import services as render

    with control.opened(load_project(config).env(env)) as store:
        documents = control.export(store, include_secrets)
    render.documents_export(documents, jsonl)


def register(app: typer.Typer) -> None:
    for command in (status, show, history, diff, export):
        app.command(command.__name__)(command)
