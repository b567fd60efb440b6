"""``optctl store init | check | verify``: parse, call ``optctl.commands.store``, render."""

import typer

from optctl.cli.options import ConfigOpt, EnvOpt, OptctlTyper, Output, OutputOpt

RolloutsOpt = typer.Option(False, "--rollouts", help="Also the rollout records' collections, in this environment's database.")
store_app = OptctlTyper(name="store", help="Set up and check an environment's ArangoDB store.", no_args_is_help=True)


@store_app.command("init")
def init(env: EnvOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None, rollouts: bool = RolloutsOpt) -> None:
    """Create the collections and indexes optctl needs (safe to repeat)."""
    from optctl.commands import store
    from optctl.render import store as render
    from optctl.render.console import stdout

    result = store.init(env, config, rollouts=rollouts)
    (render.lines_json if output is Output.json else render.lines_text)(result, stdout())
    raise typer.Exit(result.exit_code)


@store_app.command("check")
def check(env: EnvOpt = None, output: OutputOpt = Output.text, config: ConfigOpt = None, rollouts: bool = RolloutsOpt) -> None:
    """Reachability, version, permissions, indexes, query plans, atomic commits: one line each (exit 1 on a FAIL)."""
    from optctl.commands import store
    from optctl.render import store as render
    from optctl.render.console import stdout

    result = store.check(env, config, rollouts=rollouts)
    (render.lines_json if output is Output.json else render.lines_text)(result, stdout())
    raise typer.Exit(result.exit_code)


@store_app.command("verify")
def verify(
    operation: str = typer.Argument(..., metavar="OPERATION", help="The operation id an 'outcome unknown' message named."),
    env: EnvOpt = None,
    output: OutputOpt = Output.text,
    config: ConfigOpt = None,
) -> None:
    """Whether a write reported as 'outcome unknown' was stored (exit 1 if not)."""
    from optctl.commands import store
    from optctl.render import store as render
    from optctl.render.console import stdout

    result = store.verify(operation, env, config)
    (render.verify_json if output is Output.json else render.verify_text)(result, stdout())
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app)
