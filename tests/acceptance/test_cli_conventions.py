"""Rules every command keeps: OPTCTL_OUTPUT falls back, JSON errors, repeated options, -h, completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from optctl.cli.app import main
from tests.support.cli import run


@pytest.fixture
def examples(capsys, tmp_path, monkeypatch):
    """The bundled example services in every embedded environment, optctl run from tmp_path."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--example", "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    return tmp_path


# --- OPTCTL_OUTPUT ---------------------------------------------------------------------


def test_an_environment_format_a_command_lacks_means_text(examples, capsys, monkeypatch):
    monkeypatch.setenv("OPTCTL_OUTPUT", "github")
    code, out, _ = run(capsys, "status")
    assert code == 0 and "SERVICE" in out.splitlines()[0]
    code, out, _ = run(capsys, "show", "indexing", "--env", "dev")
    assert code == 0 and "revision" in out.splitlines()[0]


def test_an_environment_format_the_command_has_is_used(examples, capsys, monkeypatch):
    bad = examples / "bad.json"
    bad.write_text('{"cache": {"enabled": 1}}')
    monkeypatch.setenv("OPTCTL_OUTPUT", "github")
    code, out, _ = run(capsys, "validate", str(bad))
    assert code == 1 and out.startswith("::error file=")
    monkeypatch.setenv("OPTCTL_OUTPUT", "json")
    code, out, _ = run(capsys, "status")
    assert code == 0 and json.loads(out)["schema_version"] == 1


def test_an_explicit_format_the_command_lacks_is_a_usage_error(examples, capsys):
    code, out, err = run(capsys, "status", "--output", "github")
    assert code == 2 and out == "" and "'github' is not one of" in err


def test_the_flag_wins_over_the_environment(examples, capsys, monkeypatch):
    monkeypatch.setenv("OPTCTL_OUTPUT", "json")
    code, out, _ = run(capsys, "status", "-o", "text")
    assert code == 0 and out.startswith("SERVICE")


# --- JSON errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "exit_code", "error_code"),
    [
        (["status", "-o", "json", "--env", "nowhere"], 2, "usage"),
        (["show", "no-such-service", "--env", "dev", "-o", "json"], 1, "not-found"),
        (["enable", "no-such-service", "--env", "dev", "-y", "--output=json"], 1, "not-found"),
        (["status", "-ojson", "--no-such-option"], 2, "usage"),
        (["show", "-o", "json"], 2, "usage"),  # the SERVICE argument is missing
        (["validate", "-o", "json", "--kind", "nonsense", "x.json"], 2, "usage"),
    ],
)
def test_in_json_mode_an_error_is_a_json_object_on_stdout(examples, capsys, argv, exit_code, error_code):
    code, out, err = run(capsys, *argv)
    assert code == exit_code
    payload = json.loads(out)
    assert payload["schema_version"] == 1
    assert payload["error"]["code"] == error_code
    assert payload["error"]["message"] and "hint" in payload["error"]
    assert err.strip(), "people still get the message on stderr"


def test_in_json_mode_a_bug_is_a_json_error_too(examples, capsys, monkeypatch, tmp_path):
    import tempfile

    from optctl.commands import status

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the crash log goes here

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(status, "status", broken)
    code, out, err = run(capsys, "status", "-o", "json")
    assert code == 3 and json.loads(out)["error"]["code"] == "internal"
    assert "optctl-crash-" not in out and "optctl-crash-" in err  # the log's path: on stderr only
    assert list(tmp_path.glob("optctl-crash-*.log"))


def test_json_mode_from_the_environment_gives_json_errors_too(examples, capsys, monkeypatch):
    monkeypatch.setenv("OPTCTL_OUTPUT", "json")
    code, out, _ = run(capsys, "show", "no-such-service", "--env", "dev")
    assert code == 1 and json.loads(out)["error"]["code"] == "not-found"


def test_text_mode_errors_leave_stdout_empty(examples, capsys):
    code, out, err = run(capsys, "show", "no-such-service", "--env", "dev")
    assert code == 1 and out == "" and "no service 'no-such-service'" in err


# --- repeated options ----------------------------------------------------------------------


def test_a_repeated_env_on_a_write_is_a_usage_error_and_writes_nothing(examples, capsys):
    code, _, err = run(capsys, "enable", "indexing", "--env", "dev", "--env", "production", "-y")
    assert code == 2 and "--env" in err and "more than once" in err
    code, out, _ = run(capsys, "status", "-o", "json")
    cells = {s["service"]: s["environments"] for s in json.loads(out)["services"]}
    assert not any(cells["indexing"][env]["enabled"] for env in ("dev", "production"))


def test_commands_that_take_several_envs_still_do(examples, capsys):
    code, out, _ = run(capsys, "status", "--env", "dev", "--env", "staging", "-o", "json")
    assert code == 0 and json.loads(out)["environments"] == ["dev", "staging"]


# --- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["-h"], ["validate", "-h"], ["rollout", "-h"], ["rollout", "start", "-h"]])
def test_h_is_help(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and out.startswith("Usage: optctl")


# --- completion -----------------------------------------------------------------------------

BASH = shutil.which("bash")


def _complete(words: str, cwd, env: dict[str, str]) -> list[str]:
    """What bash offers for ``words`` (ending in the word being completed), through the script
    optctl --show-completion prints, as a user's shell runs it."""
    optctl = os.path.join(os.path.dirname(sys.executable), "optctl")
    script = subprocess.run(
        [optctl, "--show-completion", "bash"], capture_output=True, text=True, cwd=cwd, env=env, check=True
    ).stdout
    assert "_OPTCTL_COMPLETE" in script
    driver = (
        f"{script}\nCOMP_WORDS=({words})\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"
        f"[[ \"{words}\" == *' ' ]] && COMP_CWORD=${{#COMP_WORDS[@]}}\n"
        f"_optctl_completion {optctl}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    )
    done = subprocess.run([BASH, "-c", driver], capture_output=True, text=True, cwd=cwd, env=env, check=True)
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_bash_completes_envs_services_formats_and_rollout_ids(examples, capsys):
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    assert main(["rollout", "plan", "--services", "indexing", "--soak", "0", "--no-approval", "--out", "plan.yaml"]) == 0
    assert main(["rollout", "start", "plan.yaml", "--yes"]) == 0
    capsys.readouterr()

    assert _complete("optctl enable q", examples, env) == ["query"]
    assert _complete("optctl status --env s", examples, env) == ["staging"]
    assert sorted(_complete("optctl show indexing -o ", examples, env)) == ["json", "text"]
    offered = _complete("optctl rollout status ", examples, env)
    assert len(offered) == 1 and main(["rollout", "status", offered[0]]) == 0  # the one rollout, by its id
    assert "enable" in _complete("optctl en", examples, env)


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_completion_on_an_arango_environment_reads_no_store(tmp_path):
    (tmp_path / "optctl.toml").write_text('[environments.prod]\nurl = "arangodb://127.0.0.1:9/db"\n')
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    assert _complete("optctl enable ", tmp_path, env) == []
    assert _complete("optctl enable --env ", tmp_path, env) == ["prod"]


def test_install_completion_writes_the_script_and_sources_it(tmp_path):
    optctl = os.path.join(os.path.dirname(sys.executable), "optctl")
    env = {**os.environ, "HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    subprocess.run([optctl, "--install-completion", "bash"], env=env, cwd=tmp_path, check=True, capture_output=True)
    shown = subprocess.run(
        [optctl, "--show-completion", "bash"], env=env, cwd=tmp_path, check=True, capture_output=True, text=True
    ).stdout
    installed = tmp_path / ".bash_completions" / "optctl.sh"
    assert installed.read_text().strip() == shown.strip()
    assert f"source '{installed}'" in (tmp_path / ".bashrc").read_text()
