"""Every secret case the reliability run found, planted in a store and searched for in every output.

The planted values come from the redaction rule's unit test; none may appear in any output format
of any command, nor in the history. (The store files' permissions are tested with the store.)
"""

from __future__ import annotations

import json

import pytest

from optctl.cli.app import main
from tests.unit.documents.test_redact import SECRETS, document

OUTPUTS = [[], ["-o", "json"]]


@pytest.fixture
def planted(tmp_path, monkeypatch, capsys):
    """dev and staging hold the planted document (staging with caching on), loaded by import."""
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    path = tmp_path / "planted.json"
    path.write_text(json.dumps([document()]))
    for env in ("dev", "staging"):
        assert main(["import", str(path), "--env", env, "--yes", "--reason", "rotated sk-ant-api03-abcdefghijklmnop0123"]) == 0
    assert main(["enable", "indexing", "--env", "staging", "--yes"]) == 0
    capsys.readouterr()
    return path


def leaks(capsys, *argv: str) -> list[str]:
    main(list(argv))
    out, err = capsys.readouterr()
    return [secret for secret in SECRETS if secret in out + err]


@pytest.mark.parametrize("output", OUTPUTS, ids=["text", "json"])
@pytest.mark.parametrize(
    "argv",
    [
        ["show", "indexing", "--env", "dev"],
        ["history", "--env", "dev"],
        ["history", "indexing", "--env", "staging"],
        ["status"],
        ["diff", "dev", "staging"],
        ["enable", "indexing", "--env", "dev", "--dry-run"],
        ["enable", "indexing", "--env", "dev", "--yes"],
        ["disable", "indexing", "--env", "staging", "--yes", "--reason", "AKIAIOSFODNN7EXAMPLE"],
        ["rollback", "indexing", "--env", "staging", "--yes"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_no_command_shows_a_planted_secret(planted, capsys, argv, output):
    assert leaks(capsys, *argv, *output) == []


@pytest.mark.parametrize("argv", [["export", "--env", "dev"], ["export", "--env", "dev", "--jsonl"]])
def test_export_without_include_secrets_shows_none(planted, capsys, argv):
    assert leaks(capsys, *argv) == []


def test_import_and_apply_diffs_show_none(planted, tmp_path, capsys):
    changed = document()
    changed["optimization"]["cache"]["enabled"] = False
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    for output in OUTPUTS:
        assert leaks(capsys, "import", str(path), "--env", "dev", "--dry-run", *output) == []
        assert leaks(capsys, "apply", str(path), "--env", "dev", "--dry-run", *output) == []
    assert leaks(capsys, "import", str(path), "--env", "dev", "--yes") == []
    assert leaks(capsys, "history", "indexing", "--env", "dev") == []


VALIDATE_OUTPUTS = [[], ["-o", "json"], ["-o", "github"], ["-o", "sarif"], ["-o", "codequality"]]
VALIDATE_IDS = ["text", "json", "github", "sarif", "codequality"]


@pytest.mark.parametrize("output", VALIDATE_OUTPUTS, ids=VALIDATE_IDS)
def test_validate_findings_show_none(tmp_path, capsys, output):
    """Each secret sits where a finding quotes the value (a wrong type or value) or beside a finding."""
    bad = document()
    bad["provider"] = "sk-ant-api03-abcdefghijklmnop0123"
    bad["isDefault"] = "Server=db;Password=Pa55-0007;"
    bad["configuration"]["model"] = 5
    bad["configuration"]["apiKey"] = 12
    bad["optimization"]["cache"]["enabled"] = "https://deploy:Pa55w0rd-0006@git.internal/repo.git"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    assert leaks(capsys, "validate", str(path), *output) == []
    assert leaks(capsys, "validate", str(path), "--kind", "optimization", *output) == []


def keys_named_like_secrets() -> dict:
    """A document whose unknown keys are named like its secret values (one with a ``/``, which a
    pointer spells ``~1``) and like a key: each is the last part of a finding's pointer."""
    bad = document()
    bad["configuration"]["apiKey"] = "Pa55/w0rd-0012"
    bad["optimization"]["cache"].update({"org-plain-0011": True, "Pa55/w0rd-0012": True, "sk-ant-api03-abcdefghijklmnop0123": 1})
    return bad


@pytest.mark.parametrize("output", VALIDATE_OUTPUTS, ids=VALIDATE_IDS)
def test_validate_pointers_show_none(tmp_path, capsys, output):
    """Issue 15: a key named like a secret value printed the secret in the finding's pointer."""
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys_named_like_secrets()))
    # A key given twice is found by the reader, before any check: its message names the key too.
    twice = tmp_path / "twice.json"
    twice.write_text('{"configuration": {"password": "Pa55-0009"}, "x": {"Pa55-0009": 1, "Pa55-0009": 2}}')
    for argv in ([str(path)], [str(path), "--kind", "ai-config"], [str(twice)]):
        main(["validate", *argv, *output])
        out, err = capsys.readouterr()
        assert [s for s in [*SECRETS, "Pa55/w0rd-0012", "Pa55~1w0rd-0012"] if s in out + err] == []
        assert "REDACTED" in out  # the findings are there, scrubbed (not vacuous)


def test_import_and_apply_refusals_show_no_pointer_secret(planted, tmp_path, capsys):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys_named_like_secrets()))
    for output in OUTPUTS:
        for command in ("import", "apply"):
            main([command, str(path), "--env", "dev", "--dry-run", *output])
            out, err = capsys.readouterr()
            assert "REDACTED" in out + err
            assert [s for s in [*SECRETS, "Pa55/w0rd-0012", "Pa55~1w0rd-0012"] if s in out + err] == []


def test_export_with_include_secrets_keeps_every_value(planted, capsys):
    """The one way out, on purpose: the backup a restore needs (the test above is not vacuous)."""
    assert leaks(capsys, "export", "--env", "dev", "--include-secrets") == SECRETS
