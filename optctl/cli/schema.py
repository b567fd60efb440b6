"""``optctl schema [NAME]``: print a bundled JSON schema for editors and other tools."""

from typing import Optional

import typer

from optctl.render.console import emit_json, stdout


def schema(name: Optional[str] = typer.Argument(None, help="Schema name; omit to list them.")) -> None:
    """Print a bundled JSON schema (or list their names)."""
    from optctl.contract.schemas import load_schema, schema_names

    if name is None:
        console = stdout()
        for known in schema_names():
            console.print(known)
        return
    emit_json(load_schema(name.removesuffix(".schema.json")))


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
