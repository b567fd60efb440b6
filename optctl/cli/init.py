"""``optctl init [--example]``: parse, call ``optctl.commands.init``, render."""

from pathlib import Path

import typer

from optctl.cli.options import ConfigOpt


def init(
    example: bool = typer.Option(
        False, "--example", help="Also load the bundled example services into every embedded (SQLite) environment."
    ),
    directory: Path = typer.Option(Path("."), "--dir", help="Where to write optctl.toml."),
    config: ConfigOpt = None,
) -> None:
    """Write optctl.toml here (never overwriting one) and, with --example, load example services."""
    from optctl.commands.init import init as run
    from optctl.render.console import stdout
    from optctl.render.project import init_text

    init_text(run(directory, example, config), stdout())


def register(app: typer.Typer) -> None:
    app.command("init")(init)
