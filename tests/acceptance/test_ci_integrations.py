"""The CI integrations as the real tools see them: pre-commit, GitHub Actions, GitLab CI, pip.

Fast checks (schemas of the files, the action's script) run with the suite. The ones that make
pre-commit or pip build and install optctl in a fresh environment take tens of seconds each:
they carry the ``tools`` mark and run in their own CI step (``pytest -m tools``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import optctl
from tests.support import paths

ROOT = paths.ROOT
BIN = Path(sys.executable).parent
RUNBOOK = ROOT / "runbooks" / "ci-validation.md"
PLACEHOLDER_REV = "0" * 40
PLACEHOLDER_REPO = "https://git.example.com/platform/optctl"

VALID = '{"cache": {"enabled": false, "min_tokens_to_cache": 1024}, "provider": "anthropic"}\n'
INVALID = '{"cache": {"enabeld": true}}\n'
WORKFLOW = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"
PACKAGE_JSON = '{"name": "web", "version": "1.0.0", "scripts": {"test": "jest"}}\n'


def blocks(language: str) -> list[str]:
    """The runbook's fenced blocks of one language, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", RUNBOOK.read_text(encoding="utf-8"), flags=re.S | re.M)


def tool(name: str) -> str:
    found = BIN / name
    if not found.exists():
        pytest.skip(f"{name} is not installed (pip install -e '.[test,dev]')")
    return str(found)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def ordinary_repo(tmp_path) -> Path:
    """A repository of another team: a web app's files, a workflow, and two optimization documents."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (repo / "package.json").write_text(PACKAGE_JSON)
    (repo / "configs").mkdir()
    (repo / "configs" / "indexing.json").write_text(VALID)
    (repo / "configs" / "query.json").write_text(INVALID)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    return repo


def _hook_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }


def _failed_files(output: str) -> set[str]:
    return set(re.findall(r"^(\S+?):\d+:\d+: error\[", output, flags=re.M))


# --- fast: the files as each tool's schema sees them -------------------------------------


def test_the_hooks_manifest_and_the_runbooks_configs_are_valid_for_pre_commit(tmp_path):
    pre_commit = tool("pre-commit")
    subprocess.run([pre_commit, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], check=True, capture_output=True)
    configs = [block for block in blocks("yaml") if block.startswith("repos:")]
    assert len(configs) == 2
    for i, config in enumerate(configs):
        (tmp_path / f"{i}.yaml").write_text(config)
        subprocess.run([pre_commit, "validate-config", str(tmp_path / f"{i}.yaml")], check=True, capture_output=True)
        hooks = {hook["id"] for repo in yaml.safe_load(config)["repos"] for hook in repo["hooks"]}
        assert hooks <= {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def test_every_hook_runs_optctl_validate_and_per_kind_hooks_force_their_kind():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {hook["id"]: hook for hook in hooks}
    assert by_id["optctl-validate"]["entry"] == "optctl validate --skip-unknown"
    for kind, sample in (
        ("optimization", "configs/optimization/query.yaml"),
        ("ai-config", "exports/query.ai-config.jsonl"),
        ("rollout-plan", "examples/plans/enable-prompt-caching.yaml"),
        ("prompt-fixture", "examples/prompts/x.json"),
    ):
        hook = by_id[f"optctl-validate-{kind}"]
        assert hook["entry"] == f"optctl validate --kind {kind}"
        assert re.search(hook["files"], sample), (kind, sample)
        assert not re.search(hook["files"], "package.json") and not re.search(hook["files"], ".github/workflows/ci.yml")


@pytest.mark.parametrize(
    ("schema", "pick"),
    [
        ("vendor.github-actions", lambda: (ROOT / "action.yml").read_text()),
        ("vendor.github-workflows", lambda: next(b for b in blocks("yaml") if b.startswith("name:"))),
        ("vendor.gitlab-ci", lambda: next(b for b in blocks("yaml") if b.startswith("optctl-validate:"))),
    ],
    ids=["action.yml", "runbook workflow", "runbook gitlab job"],
)
def test_ci_files_pass_their_platforms_schemas(tmp_path, schema, pick):
    checker = tool("check-jsonschema")
    document = tmp_path / "document.yaml"
    document.write_text(pick())
    done = subprocess.run([checker, "--builtin-schema", schema, str(document)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _action_script() -> tuple[str, dict[str, str]]:
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    step = next(s for s in steps if s.get("name") == "Validate")
    return step["run"], step["env"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_actions_validate_step_annotates_and_writes_sarif(ordinary_repo):
    script, env_template = _action_script()
    inputs = {"paths": "configs package.json", "strict": "false", "skip-unknown": "true", "sarif-file": "optctl.sarif"}
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for name, expression in env_template.items():
        env[name] = inputs[re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expression).group(1)]
    # GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=ordinary_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("::error file=configs/query.json,line=1,")
    sarif = json.loads((ordinary_repo / "optctl.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["unknown-key"]
    inputs["paths"] = "configs/indexing.json"
    env["OPTCTL_PATHS"] = inputs["paths"]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=ordinary_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "valid" in done.stdout


def test_the_version_has_one_source():
    from importlib.metadata import version

    assert version("optctl") == optctl.__version__
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text()


# --- slow: real installs ---------------------------------------------------------------------


@pytest.mark.tools
def test_pre_commit_try_repo_fails_only_the_invalid_document(ordinary_repo, tmp_path):
    pre_commit = tool("pre-commit")
    done = subprocess.run(
        [pre_commit, "try-repo", str(ROOT), "optctl-validate", "--all-files"],
        cwd=ordinary_repo,
        env=_hook_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert _failed_files(done.stdout) == {"configs/query.json"}
    assert "2 of no optctl kind skipped" in done.stdout


@pytest.mark.tools
def test_the_runbooks_pinned_commit_config_runs_the_per_kind_hook(ordinary_repo, tmp_path):
    """The runbook's config with `repo:` pointed at this checkout and `rev:` at its commit."""
    pre_commit = tool("pre-commit")
    head = git("rev-parse", "HEAD", cwd=ROOT)
    config = next(b for b in blocks("yaml") if b.startswith("repos:"))
    config = config.replace(PLACEHOLDER_REPO, str(ROOT)).replace(PLACEHOLDER_REV, head)
    config = config.replace("id: optctl-validate\n", "id: optctl-validate-optimization\n        files: ^configs/\n")
    (ordinary_repo / ".pre-commit-config.yaml").write_text(config)
    git("add", "-A", cwd=ordinary_repo)
    done = subprocess.run(
        [pre_commit, "run", "--all-files"],
        cwd=ordinary_repo,
        env=_hook_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert _failed_files(done.stdout) == {"configs/query.json"}


@pytest.mark.tools
def test_the_runbooks_install_commands_work_from_a_clone(tmp_path):
    clone = tmp_path / "optctl"
    git("clone", "-q", str(ROOT), str(clone), cwd=tmp_path)
    head = git("rev-parse", "HEAD", cwd=clone)
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    env = {**os.environ, "PATH": f"{tmp_path / 'venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    # As CI images have it (and .ci/run does): a pip older than 24 refuses `name @ git+file:///...`.
    subprocess.run([tmp_path / "venv" / "bin" / "python", "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True, env=env)
    commands = [line for block in blocks("bash") for line in block.splitlines() if line.startswith("python3 -m ")]
    gitlab = next(b for b in blocks("yaml") if b.startswith("optctl-validate:"))
    commands += [line.strip().removeprefix("- ") for line in gitlab.splitlines() if "pip install" in line]
    assert len(commands) == 4, commands

    def sh(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True, timeout=600)

    for command in commands:
        command = command.replace(PLACEHOLDER_REPO, f"file://{clone}").replace(PLACEHOLDER_REV, head)
        installs_optctl = "install build" not in command
        if installs_optctl:
            sh("python3 -m pip uninstall -q -y optctl")
        done = sh(command)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        if installs_optctl:
            version = sh("cd / && optctl --version")
            assert version.stdout.strip() == f"optctl {optctl.__version__}", (command, version.stderr)
            checked = sh(f"cd / && optctl validate {clone / 'examples' / 'services'}")
            assert checked.returncode == 0, (command, checked.stdout, checked.stderr)
    assert [p.name for p in (clone / "dist").glob("*.whl")] == [f"optctl-{optctl.__version__}-py3-none-any.whl"]
