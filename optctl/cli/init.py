"""``optctl init [--example]``: a commented optctl.toml, and optionally example services to try."""

from pathlib import Path

import typer

from optctl.cli.options import ConfigOpt


def init(
    example: bool = typer.Option(False, "--example", help="Also load the bundled example services into every embedded (SQLite) environment."),
    directory: Path = typer.Option(Path("."), "--dir", help="Where to write optctl.toml."),
    config: ConfigOpt = None,
) -> None:
    """Write optctl.toml here (never overwriting one) and, with --example, load example services."""
    from optctl.settings.project import actor, load_project, write_project_file
    from optctl.render.console import stdout

    console = stdout()
    written = write_project_file(directory)
    console.print(f"wrote {written}" if written else f"{directory / 'optctl.toml'} exists; left as it is")
    if not example:
        return
    from optctl.services.examples import load_into_project

    for env, loaded in load_into_project(load_project(config, cwd=directory), actor()).items():
        if loaded is None:
            console.print(f"{env}: not an embedded store; examples not loaded")
        else:
            console.print(f"{env}: loaded {len(loaded)} example service(s)" + ("" if loaded else " (all were there already)"))
    console.print("next: optctl status")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
