"""The root command: registers one module per command (group) and owns the one error handler.

``main`` maps every outcome to the documented exit codes: 0 ok, 1 problems found, 2 usage or
environment error, 3 a bug in optctl (details go to a log file, never a traceback on screen),
130 interrupted.
"""

import os
import sys
from types import ModuleType
from typing import Sequence

import typer

from optctl import __version__
from optctl.cli.options import OptctlTyper
from optctl.errors import EXIT_INTERNAL, EXIT_USAGE, OptctlError

# Which module registers each command: a run imports only the module it needs and converts only
# its command (importing and converting every command module costs about 25 ms a run, converting
# the other four commands of its module another 3). tests/unit/cli/test_startup.py checks this
# table against what the modules register.
MODULES = {
    "validate": "validate",
    "schema": "schema",
    "init": "init",
    "status": "inspect",
    "show": "inspect",
    "history": "inspect",
    "diff": "inspect",
    "export": "inspect",
    "enable": "change",
    "disable": "change",
    "set": "change",
    "apply": "change",
    "rollback": "change",
    "import": "change",
    "rollout": "rollout",
    "dry-run": "dryrun",
    "models": "dryrun",
    "savings": "savings",
    "store": "store",
}
ALL_MODULES = tuple(dict.fromkeys(MODULES.values()))
COMPLETION_VARIABLE = "_OPTCTL_COMPLETE"  # set by the shell when it asks for completions


def _version(value: bool) -> None:
    if value:
        typer.echo(f"optctl {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """optctl: the control plane for LLM prompt-caching rollouts."""


def build(modules: Sequence[str] = ALL_MODULES, only: str | None = None) -> typer.Typer:
    """The root command with the commands of ``modules`` registered (all of them by default), or
    with ``only`` that one of them (typer converts every registered command's signature on a run).

    Each module adds its own commands; importing them must stay cheap (heavy imports happen
    inside the command functions) so that every invocation starts fast.
    """
    # Completion (--install-completion, --show-completion) is typer's own: the shell calls optctl
    # back with _OPTCTL_COMPLETE set. OptctlTyper: repeated single-valued options refused, JSON errors.
    root = OptctlTyper(
        name="optctl",
        help="Validate, enable, roll out and dry-run prompt-caching optimization configs.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root.callback()(_root)
    for name in modules:
        _module(name).register(root)
    if only is not None:
        # (a module that registers a group, rollout or store, registers nothing else)
        root.registered_commands = [command for command in root.registered_commands if command.name == only]
    return root


def _module(name: str) -> ModuleType:
    # Plain imports, one per module, so that the import checker sees them.
    if name == "validate":
        from optctl.cli import validate

        return validate
    elif name == "schema":
        from optctl.cli import schema

        return schema
    elif name == "init":
        from optctl.cli import init

        return init
    elif name == "inspect":
        from optctl.cli import inspect

        return inspect
    elif name == "change":
        from optctl.cli import change

        return change
    elif name == "rollout":
        from optctl.cli import rollout

        return rollout
    elif name == "dryrun":
        from optctl.cli import dryrun

        return dryrun
    elif name == "savings":
        from optctl.cli import savings

        return savings
    else:
        from optctl.cli import store

        return store


def command_for(args: Sequence[str]) -> str | None:
    """The command named first, the only one a run builds; None (all of them) for help, completion or a typo."""
    if args and args[0] in MODULES and COMPLETION_VARIABLE not in os.environ:
        return args[0]
    return None


def __getattr__(name: str) -> typer.Typer:
    """``app``: the whole command tree, for whoever walks it (help tests, documentation)."""
    if name == "app":
        return build()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (the console script calls ``sys.exit`` on it).

    Commands end with ``raise typer.Exit(code)``; typer handles usage errors itself (exit 2).
    """
    command = command_for(sys.argv[1:] if argv is None else argv)
    try:
        build(ALL_MODULES if command is None else (MODULES[command],), command)(args=argv, prog_name="optctl")
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
