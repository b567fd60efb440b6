"""Start-up: a run builds only its own command, and ``--version`` does not import typer at all."""

from __future__ import annotations

import subprocess
import sys

import typer

from optctl import __version__
from optctl.cli import app as cli


def _names(module: str) -> set[str]:
    root = cli.build((module,))
    return {c.name for c in root.registered_commands} | {g.name or g.typer_instance.info.name for g in root.registered_groups}


def test_the_table_names_every_command_of_every_module():
    for module in cli.ALL_MODULES:
        assert _names(module) == {name for name, owner in cli.MODULES.items() if owner == module}


def test_a_run_builds_only_its_command_but_help_typos_and_completion_build_all(monkeypatch):
    assert cli.modules_for(["status", "--env", "dev"]) == ("inspect",)
    assert cli.modules_for(["rollout", "advance"]) == ("rollout",)
    for args in ([], ["--help"], ["stauts"], ["--version"]):
        assert cli.modules_for(args) == cli.ALL_MODULES
    monkeypatch.setenv(cli.COMPLETION_VARIABLE, "bash_complete")
    assert cli.modules_for(["status"]) == cli.ALL_MODULES


def test_the_whole_tree_is_still_there_for_whoever_walks_it():
    commands = typer.main.get_command(cli.app).commands
    assert set(cli.MODULES) <= set(commands)


_LAUNCH = (
    "import sys; sys.argv = ['optctl'] + sys.argv[1:]; from optctl.cli.launch import main; code = main(); "
    "print('typer' in sys.modules, file=sys.stderr); sys.exit(code)"
)


def test_version_is_answered_without_typer_and_says_what_typer_would():
    done = subprocess.run([sys.executable, "-c", _LAUNCH, "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"optctl {__version__}\n", "False\n")
    slow = subprocess.run([sys.executable, "-c", _LAUNCH, "--version", "--help"], capture_output=True, text=True)
    assert (slow.stdout, slow.stderr) == (done.stdout, "True\n")  # anything else goes through typer, which says the same
    assert cli.main(["--version"]) == 0
