"""Start-up: a run builds only its own command, and ``--version`` does not import typer at all."""

from __future__ import annotations

import os
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
    assert cli.command_for(["status", "--env", "dev"]) == "status"
    assert cli.command_for(["rollout", "advance"]) == "rollout"
    for args in ([], ["--help"], ["stauts"], ["--version"]):
        assert cli.command_for(args) is None
    assert _names("inspect") == {"status", "show", "history", "diff", "export"}
    only = cli.build(("inspect",), "history")
    assert [c.name for c in only.registered_commands] == ["history"]
    assert [g.typer_instance.info.name for g in cli.build(("store",), "store").registered_groups] == ["store"]
    monkeypatch.setenv(cli.COMPLETION_VARIABLE, "bash_complete")
    assert cli.command_for(["status"]) is None


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


_MODULES = (
    "import gc, os, sys; sys.argv = ['optctl'] + sys.argv[1:]; from optctl.cli.launch import main; code = main(); "
    "loaded = [m for m in ('rich', 'jsonschema', 'pydantic', 'tomllib', 'optctl.commands.inspect') if m in sys.modules]; "
    "print(loaded, gc.isenabled(), gc.get_freeze_count() > 1000, file=sys.stderr); sys.exit(code)"
)


def test_status_on_an_empty_store_in_a_pipe_imports_only_what_it_prints_with(tmp_path):
    """Issue 12: no rich for two plain lines, no validator, no project-file parser for the embedded
    default, no history machinery; the start-up objects frozen out of the collector's way, which stays on."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPTCTL_CONFIG", "FORCE_COLOR", "TTY_COMPATIBLE")}
    env["OPTCTL_HOME"] = str(tmp_path / "home")

    def loaded(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-c", _MODULES, *argv], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert loaded("status") == loaded("status", "-o", "json") == "[] True True\n"
    loaded("init", "--example")  # a project file, and services in its stores
    assert loaded("status") == "['rich', 'tomllib'] True True\n"  # a table is rich's
