"""Options shared by several commands, so their names, env vars, help and rules stay identical.

Two rules live here because every command must keep them:

- ``--output``: a format given on the command line must be one the command has (else exit 2);
  a format from ``OPTCTL_OUTPUT`` that the command lacks falls back to text, so CI can set
  ``OPTCTL_OUTPUT=github`` for ``validate`` without breaking every other command.
- A single-valued option given twice (``--env dev --env production`` on a write) is a usage
  error, never "the last one wins" (``OptctlCommand``).
"""

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from typer.core import TyperCommand, TyperOption

from optctl.cli.completion import complete_env

OUTPUT_VARIABLE = "OPTCTL_OUTPUT"
# typer vendors click from 0.26 on and re-exports few of its names, so click's classes are
# recognised here by what they do (``exit_code``, ``format_message``), not imported.
USAGE_EXIT = 2


class Output(str, Enum):
    text = "text"
    json = "json"


def _format_callback(formats: type[Enum]) -> Callable[[typer.Context, typer.CallbackParam, Any], Optional[str]]:
    names = [f.value for f in formats]

    def pick(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Optional[str]:
        # typer hands over the enum member and converts the returned name back into one.
        source = ctx.get_parameter_source(param.name or "")
        if source is not None and source.name == "DEFAULT" and os.environ.get(OUTPUT_VARIABLE) in names:
            return os.environ[OUTPUT_VARIABLE]
        return None if value is None else str(value.value)

    return pick


def output_option(formats: type[Enum], help: str) -> Any:
    """The ``--output/-o`` option for a command with these formats.

    ``OPTCTL_OUTPUT`` is read by the callback rather than by click (no ``envvar``), so that a
    value the command lacks is passed over instead of failing the command. Eager, so that the
    format is known even when another parameter is a usage error: a JSON caller then still gets
    a JSON error (see ``OptctlCommand``).
    """
    return typer.Option(
        "--output",
        "-o",
        is_eager=True,
        callback=_format_callback(formats),
        help=f"{help} Default: {OUTPUT_VARIABLE} if it names one of these formats, else text.",
    )


OutputOpt = Annotated[Output, output_option(Output, "text for people, json for scripts.")]
EnvOpt = Annotated[
    Optional[str],
    typer.Option(
        "--env",
        "-e",
        envvar="OPTCTL_ENV",
        autocompletion=complete_env,
        help="Environment name from optctl.toml (dev, staging, production by default).",
    ),
]
ConfigOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        envvar="OPTCTL_CONFIG",
        help="Project file (default: the nearest optctl.toml up from here, else the embedded store).",
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show the diff; write nothing.")]
ModelsFileOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--models-file",
        envvar="OPTCTL_MODELS_FILE",
        help="Models table to use instead of the bundled one (same shape as `optctl models -o json`).",
    ),
]
ReasonOpt = Annotated[Optional[str], typer.Option("--reason", "-r", help="Why: recorded in the history.")]


class OptctlCommand(TyperCommand):
    """Every optctl command: refuses repeated single-valued options; in JSON mode, errors are JSON.

    The JSON error (``{"schema_version": 1, "error": {"code", "message", "hint"}}``) goes to
    stdout; the one-line message still goes to stderr and the exit code is the usual one, so a
    script reading stdout never gets an empty answer.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            _refuse_repeated_options(self, ctx, args)
            return super().parse_args(ctx, args)
        except Exception as err:
            if (
                getattr(err, "exit_code", None) == USAGE_EXIT
                and hasattr(err, "format_message")
                and _json_requested(self, ctx, args)
            ):
                from optctl.render.console import emit_error_json

                emit_error_json("usage", err.format_message(), f"see `{ctx.command_path} --help`")
            raise

    def invoke(self, ctx: Any) -> Any:
        from optctl.errors import OptctlError

        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as err:
            if ctx.params.get("output") == Output.json.value:
                from optctl.render.console import emit_error_json

                if isinstance(err, OptctlError):
                    message, _, hint = str(err).partition("; ")
                    emit_error_json(err.code, message, hint or None)
                elif not hasattr(err, "exit_code"):  # not click's own: a bug, which main() logs
                    emit_error_json(
                        "internal",
                        f"internal error ({type(err).__name__}); this is a bug in optctl",
                        "the crash log named on stderr has the details",
                    )
            raise


def _refuse_repeated_options(command: TyperCommand, ctx: typer.Context, args: list[str]) -> None:
    # The parser's record of the options in the order given (public ``make_parser``): click itself
    # keeps only the last value of a single-valued option.
    _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    seen: set[str] = set()
    for param in order:
        if not isinstance(param, TyperOption) or param.multiple or param.count or param.is_flag:
            continue
        if param.name in seen:
            raise typer.BadParameter(
                "given more than once; it takes one value: give it once (nothing was done)", ctx=ctx, param=param
            )
        seen.add(param.name or "")


def _json_requested(command: TyperCommand, ctx: typer.Context, args: list[str]) -> bool:
    """Did this call ask for JSON? The processed option if there is one, else the raw arguments."""
    output = next((p for p in command.params if p.name == "output"), None)
    if output is None or "json" not in getattr(output.type, "choices", ()):
        return False
    if "output" in ctx.params:
        return ctx.params["output"] == Output.json.value
    value = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in output.opts and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--output="):
            value = arg.partition("=")[2]
        elif arg.startswith("-o") and len(arg) > 2:
            value = arg[2:]
    if value is None:
        value = os.environ.get(OUTPUT_VARIABLE)
    return value == Output.json.value


class OptctlTyper(typer.Typer):
    """A ``typer.Typer`` whose commands are ``OptctlCommand`` unless told otherwise."""

    def command(self, *args: Any, cls: Optional[type[TyperCommand]] = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or OptctlCommand, **kwargs)
