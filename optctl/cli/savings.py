"""``optctl savings``: measured cache hits and cost per service, before vs after its enable time."""

from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from optctl.cli.options import ConfigOpt, ModelsFileOpt, Output, OutputOpt


class UsageSource(str, Enum):
    usage_report = "usage-report"
    analytics = "analytics"


def savings(
    usage_log: Annotated[
        Optional[Path],
        typer.Option(
            "--usage-log",
            help="JSON Lines of per-response usage objects tagged with service, environment and time (default: the Admin API usage report).",
        ),
    ] = None,
    usage_source: Annotated[
        Optional[UsageSource],
        typer.Option(
            "--usage-source",
            help="Without --usage-log, which Admin API to read: usage-report (the legacy report, default) "
            "or analytics (the Usage and Cost Analytics API beta, which also counts requests).",
        ),
    ] = None,
    admin_url: Annotated[
        str,
        typer.Option(
            "--admin-url",
            envvar="OPTCTL_ANTHROPIC_ADMIN_URL",
            help="Base URL of the Admin API (the key is read from ANTHROPIC_ADMIN_API_KEY, never from an option).",
        ),
    ] = "https://api.anthropic.com",
    bucket_width: Annotated[
        str,
        typer.Option(
            "--bucket-width",
            help="Admin API time bucket: 1m, 1h or 1d. A bucket covering an enable time is left out of both windows.",
        ),
    ] = "1h",
    window: Annotated[
        str, typer.Option("--window", help="How long before and after each enable time to compare, e.g. 48h or 7d.")
    ] = "7d",
    services: Annotated[Optional[List[str]], typer.Option("--service", "-s", help="Only this service (repeatable).")] = None,
    envs: Annotated[Optional[List[str]], typer.Option("--env", "-e", help="Only this environment (repeatable).")] = None,
    enabled_at: Annotated[
        Optional[List[str]],
        typer.Option(
            "--enabled-at", help="SERVICE=TIME: the enable time, for changes made outside optctl (overrides the history)."
        ),
    ] = None,
    predict: Annotated[
        bool,
        typer.Option("--predict/--no-predict", help="Dry-run the fixtures named in [savings.fixtures] beside the measurement."),
    ] = True,
    chart: Annotated[
        bool, typer.Option("--chart", help="Also draw billed cost per day, before and after, in the terminal.")
    ] = False,
    plot: Annotated[
        Optional[Path],
        typer.Option("--plot", help="Write cost per day before/after per service to a .png or .svg (needs the plot extra)."),
    ] = None,
    models_file: ModelsFileOpt = None,
    config: ConfigOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """What caching really did: calls, tokens, cache read ratio and cost, before and after each enable time.

    Exit status: 0 no problems, 1 a service's caching costs more than it saves or never reads from
    the cache, 2 usage error or an unreadable source (missing or refused admin key, bad log line).
    """
    from optctl.commands import savings as command
    from optctl.render import savings as render
    from optctl.render.console import stdout
    from optctl.savings.sources import Source

    request = command.SavingsRequest(
        source=Source(usage_log, admin_url, bucket_width, usage_source.value if usage_source else None),
        window=command.parse_window(window),
        services=tuple(services or ()),
        environments=tuple(envs or ()),
        enabled_at=command.parse_enabled_at(enabled_at or []),
        predict=predict,
        models_file=models_file,
        config=config,
    )
    result = command.savings(request)
    if plot is not None:
        render.plot(result, plot)
    if output is Output.json:
        render.report_json(result, stdout())
    else:
        render.report_text(result, stdout(), chart=chart)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("savings")(savings)
