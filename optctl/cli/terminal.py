"""The terminal's side of a command's ``Edges``: the question a person answers before a write."""

import sys

import typer


def ask(question: str) -> bool | None:
    """A person's answer on a terminal; ``None`` when stdin is not one (nobody to ask)."""
    if not sys.stdin.isatty():
        return None
    return typer.confirm(question, default=False, err=True)
