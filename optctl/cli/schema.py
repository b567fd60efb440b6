"""``optctl schema [NAME]``: parse, call ``optctl.commands.schema``, render."""

from typing import Optional

import typer


def schema(name: Optional[str] = typer.Argument(None, help="Schema name; omit to list them.")) -> None:
    """Print a bundled JSON schema (or list their names)."""
    from optctl.commands.schema import schema as run
    from optctl.render.console import stdout
    from optctl.render.project import schema_output

    schema_output(run(name), stdout())


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
