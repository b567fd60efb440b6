"""``optctl dry-run PATH...`` and ``optctl models``: markers, cached tokens and cost, no model called."""

from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from optctl.cli.collector import fewer_collections
from optctl.cli.options import ConfigOpt, EnvOpt, ModelsFileOpt, Output, OutputOpt


class Strategy(str, Enum):
    wrapper = "wrapper"
    optimal = "optimal"
    auto = "auto"


class Client(str, Enum):
    langchain = "langchain"
    sdk = "sdk"


class TokenizerChoice(str, Enum):
    offline = "offline"
    chars4 = "chars4"
    anthropic = "anthropic"


def dry_run(
    paths: Annotated[
        List[str], typer.Argument(help="Prompt fixtures: files, folders (recursive) or - for stdin.", show_default=False)
    ],
    strategy: Annotated[
        Strategy,
        typer.Option(
            help="wrapper: what the deployed wrapper does; optimal: the best the provider's rules allow; auto: automatic caching (one top-level marker)."
        ),
    ] = Strategy.wrapper,
    compare: Annotated[bool, typer.Option("--compare", help="Show every strategy side by side.")] = False,
    client: Annotated[
        Optional[Client],
        typer.Option(
            "--client",
            help="What sends the request: langchain (ChatAnthropic; default for a message list) or sdk (the body as given; default for a Messages body).",
            show_default=False,
        ),
    ] = None,
    final_message_repeats: Annotated[
        bool,
        typer.Option(
            "--final-message-repeats",
            help="Every fixture's final message repeats word for word, so a breakpoint there is read back (default: written on every call).",
        ),
    ] = False,
    optimization: Annotated[
        Optional[Path],
        typer.Option(
            "--optimization", help="Optimization config: a file with the optimization object or a whole ai-config document."
        ),
    ] = None,
    env: EnvOpt = None,
    service: Annotated[
        Optional[str],
        typer.Option("--service", "-s", help="Read the optimization config (and model) of this service from --env's store."),
    ] = None,
    config: ConfigOpt = None,
    as_configured: Annotated[
        bool,
        typer.Option("--as-configured", help="Honour cache.enabled: false instead of showing what enabling caching would do."),
    ] = False,
    model: Annotated[
        Optional[str], typer.Option("--model", help="Model id for every fixture (default: the fixture's, else the service's).")
    ] = None,
    tokenizer: Annotated[
        TokenizerChoice,
        typer.Option(
            help="offline: calibrated BPE estimate; chars4: the wrapper's len/4; anthropic: count_tokens API (ANTHROPIC_API_KEY)."
        ),
    ] = TokenizerChoice.offline,
    calls: Annotated[int, typer.Option("--calls", min=1, help="Calls within the TTL for the saving figure.")] = 10,
    blocks: Annotated[
        Optional[bool],
        typer.Option("--blocks/--no-blocks", help="Per-block tables (default: only for a single fixture).", show_default=False),
    ] = None,
    emit_request: Annotated[
        bool,
        typer.Option("--emit-request", help="Print the request(s) that would be sent, markers in place; findings go to stderr."),
    ] = False,
    glob: Annotated[Optional[str], typer.Option(help="In folders, read only files matching this pattern.")] = None,
    models_file: ModelsFileOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Which blocks get a cache marker, how many tokens are really cached, what each call costs.

    The optimization config comes from --optimization FILE, or --env/--service (the store of
    the project file named by --config), or the defaults. Exit status: 0 no errors found,
    1 a fixture has an error finding, 2 usage error or unreadable input.
    """
    from optctl.commands import dryrun as dry
    from optctl.commands.edges import Edges
    from optctl.errors import UsageError
    from optctl.render import dryrun as render
    from optctl.render.progress import Bars

    if compare and emit_request:
        raise UsageError("--emit-request prints one strategy's request; drop --compare")
    request = dry.DryRunRequest(
        paths=tuple(paths),
        strategy=strategy.value,
        compare=compare,
        client=client.value if client else None,
        final_repeats=final_message_repeats,
        optimization=optimization,
        config=config,
        env=env,
        service=service,
        as_configured=as_configured,
        model=model,
        tokenizer=tokenizer.value,
        calls=calls,
        emit=emit_request,
        glob=glob,
        models_file=models_file,
    )
    edges = Edges(progress=Bars(quiet=output is Output.json or emit_request))
    with fewer_collections():  # 200,000 reports live to the end and hold no cycles
        result = dry.dry_run(request, edges)
        if emit_request:
            render.emitted_requests(result.reports)
            render.findings_to_stderr(result.reports, result.context)
        elif output is Output.json:
            render.report_json(result)
        else:
            render.report_text(result, per_block=blocks)
    raise typer.Exit(result.exit_code)


def models(models_file: ModelsFileOpt = None, output: OutputOpt = Output.text) -> None:
    """The dated table of models, prices and provider caching rules that dry-run uses."""
    from optctl.providers import rules as table
    from optctl.render import dryrun as render

    rules = table.load(models_file)
    (render.models_json if output is Output.json else render.models_text)(rules)


def register(app: typer.Typer) -> None:
    app.command("dry-run")(dry_run)
    app.command("models")(models)
