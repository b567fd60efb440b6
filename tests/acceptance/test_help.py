"""Every command explains itself: `--help` works and says what the command is for."""

import pytest
import typer

from optctl.cli.app import app, main


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_expected_commands_exist():
    names = {" ".join(path) for path, _ in COMMANDS}
    expected = {
        "validate",
        "schema",
        "status",
        "show",
        "enable",
        "disable",
        "set",
        "apply",
        "import",
        "export",
        "diff",
        "history",
        "rollback",
        "init",
        "dry-run",
        "models",
        "rollout plan",
        "rollout start",
        "rollout advance",
        "rollout status",
        "rollout approve",
        "rollout pause",
        "rollout resume",
        "rollout list",
        "rollout abort",
    }
    assert expected <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_help(path, capsys):
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out
    command = dict(COMMANDS)[path]
    assert (command.help or "").strip(), f"optctl {' '.join(path)} has no help text"


def test_unknown_command_and_option_are_usage_errors(capsys):
    assert main(["frobnicate"]) == 2
    assert main(["validate", "--no-such-option", "x"]) == 2
    assert "Traceback" not in capsys.readouterr().err
