"""The root command: registers one module per command (group) and owns the one error handler.

``main`` maps every outcome to the documented exit codes: 0 ok, 1 problems found, 2 usage or
environment error, 3 a bug in optctl (details go to a log file, never a traceback on screen),
130 interrupted.
"""

import sys

import typer

from optctl import __version__
from optctl.errors import EXIT_INTERNAL, EXIT_USAGE, OptctlError

app = typer.Typer(
    name="optctl",
    help="Validate, enable, roll out and dry-run prompt-caching optimization configs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"optctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """optctl: the control plane for LLM prompt-caching rollouts."""


def _register() -> None:
    # Each module adds its own commands; importing them must stay cheap (heavy imports
    # happen inside the command functions) so that every invocation starts fast.
    from optctl.cli import change, dryrun, init, inspect, rollout, savings, schema, store, validate

    for module in (validate, schema, init, inspect, change, rollout, dryrun, savings, store):
        module.register(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (the console script calls ``sys.exit`` on it).

    Commands end with ``raise typer.Exit(code)``; typer handles usage errors itself (exit 2).
    """
    try:
        app(args=argv, prog_name="optctl")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_USAGE)
    except OptctlError as err:
        typer.echo(f"optctl: {err}", err=True)
        return err.exit_code
    except KeyboardInterrupt:
        typer.echo("optctl: interrupted", err=True)
        return 130
    except Exception as err:  # a bug: one line on screen, the traceback in a file
        return _internal_error(err)
    return 0


def _internal_error(err: Exception) -> int:
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile("w", prefix="optctl-crash-", suffix=".log", delete=False) as log:
        traceback.print_exc(file=log)
    typer.echo(
        f"optctl: internal error ({type(err).__name__}); this is a bug in optctl, details in {log.name}",
        err=True,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
