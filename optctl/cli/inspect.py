"""``optctl status | show | history | diff | export``: parse, call ``optctl.commands.status`` or
``optctl.commands.inspect``, render."""

from typing import Annotated, List, Optional

import typer

from optctl.cli.completion import complete_env, complete_service
from optctl.cli.options import ConfigOpt, EnvOpt, Output, OutputOpt

EnvsOpt = Annotated[
    Optional[List[str]],
    typer.Option(
        "--env",
        "-e",
        envvar="OPTCTL_ENV",
        metavar="ENV",
        autocompletion=complete_env,
        help="Environment(s) to include; repeat for several (default: all).",
    ),
]
LimitOpt = Annotated[
    Optional[int],
    typer.Option("--limit", "-n", min=1, metavar="N", help="The newest N entries (default 50).", show_default=False),
]
SinceOpt = Annotated[
    Optional[str],
    typer.Option(
        "--since",
        metavar="WHEN",
        help="Entries at or after WHEN: a duration back from now (7d, 12h, 30m) or a time (2026-11-30, 2026-11-30T12:00Z; UTC unless it says).",
    ),
]
UntilOpt = Annotated[Optional[str], typer.Option("--until", metavar="WHEN", help="Entries before WHEN (as --since).")]
AllOpt = Annotated[
    bool, typer.Option("--all", help="Every entry in the window, streamed in constant memory (JSON Lines with --output json).")
]


def status(env: EnvsOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Services by environments: caching on/off, TTL, min tokens, last change."""
    from optctl.commands.status import status as run
    from optctl.render import status as render

    result = run(env or (), config)
    (render.status_json if output is Output.json else render.status_text)(result)  # stdout; rich only if needed
    raise typer.Exit(result.exit_code)


def show(
    service: str = typer.Argument(..., metavar="SERVICE", help="Service name.", autocompletion=complete_service),
    env: EnvOpt = None,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """One service's document (secrets redacted) and its revision."""
    from optctl.commands import inspect
    from optctl.render import services as render
    from optctl.render.console import stdout

    result = inspect.show(service, env, config)
    (render.document_json if output is Output.json else render.document_text)(result, stdout())


def history(
    service: Optional[str] = typer.Argument(None, metavar="SERVICE", help="Only this service.", autocompletion=complete_service),
    env: EnvsOpt = None,
    limit: LimitOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    every: AllOpt = False,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Who changed what, when, from what to what, and why (oldest first).

    Shows the newest 50 entries unless --limit, --since/--until or --all say otherwise.
    """
    from optctl.commands import inspect
    from optctl.errors import UsageError
    from optctl.render import services as render
    from optctl.render.console import stdout

    if every and limit:
        raise UsageError("--all and --limit contradict each other: give one")
    if every:
        with inspect.history_stream(service, env or (), config, since=since, until=until) as stream:
            (render.history_stream_json if output is Output.json else render.history_stream_text)(stream, stdout())
        return
    result = inspect.history(service, env or (), limit, config, since=since, until=until)
    (render.history_json if output is Output.json else render.history_text)(result, stdout())


def diff(env: EnvsOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None) -> None:
    """Where two environments differ (exit 1 if they do). Give --env twice."""
    from optctl.commands import inspect
    from optctl.render import services as render
    from optctl.render.console import stdout

    result = inspect.environments_diff(env or (), config)
    (render.env_diff_json if output is Output.json else render.env_diff_text)(result, stdout())
    raise typer.Exit(result.exit_code)


def export(
    env: EnvOpt = None,
    include_secrets: bool = typer.Option(
        False, "--include-secrets", help="Keep API keys (for a real migration; never for a ticket)."
    ),
    jsonl: bool = typer.Option(False, "--jsonl", help="JSON Lines, one document per line (as arangoexport --type jsonl)."),
    config: ConfigOpt = None,
) -> None:
    """All documents of an environment, as `optctl import` reads them (secrets redacted by default)."""
    from optctl.commands import inspect
    from optctl.commands.edges import Edges
    from optctl.render import services as render
    from optctl.render.console import stderr, stdout
    from optctl.render.progress import Bars

    result = inspect.export(env, include_secrets, config, Edges(progress=Bars()))
    render.documents_export(result, jsonl, stdout(), stderr())


def register(app: typer.Typer) -> None:
    for command in (status, show, history, diff, export):
        app.command(command.__name__)(command)
