"""End to end through ``optctl.cli.app.main``: the flow a new user follows, on the embedded store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optctl.cli.app import main
from optctl.services.examples import example_documents
from tests.support import paths
from tests.support.cli import run

EXAMPLE_OPTIMIZATION = paths.EXAMPLES / "optimization" / "caching-disabled.json"
ENVIRONMENTS = ["dev", "staging", "production"]


@pytest.fixture
def project(tmp_path, monkeypatch, capsys):
    """A folder with the commented optctl.toml and the examples loaded in every environment."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--example"]) == 0
    capsys.readouterr()
    return tmp_path


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code, out, err = run(capsys, *argv, "--output", "json")
    return code, json.loads(out)


def test_init_writes_a_commented_project_file_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "init")[0] == 0
    text = (tmp_path / "optctl.toml").read_text()
    assert "[environments.production]" in text and '# url = "arangodb+https://' in text and "password_file" in text

    (tmp_path / "optctl.toml").write_text(text + "\n# mine\n")
    code, out, _ = run(capsys, "init")
    assert code == 0 and "left as it is" in out
    assert (tmp_path / "optctl.toml").read_text().endswith("# mine\n")


def test_init_example_loads_every_example_into_every_environment_once(project, capsys):
    code, status = run_json(capsys, "status")
    assert code == 0 and status["schema_version"] == 1 and status["environments"] == ENVIRONMENTS
    assert [row["service"] for row in status["services"]] == sorted(doc["_key"] for doc in example_documents())
    indexing = next(row for row in status["services"] if row["service"] == "indexing")["environments"]["staging"]
    assert indexing == {
        "present": True,
        "optimization": True,
        "enabled": False,
        "ttl_seconds": 300,
        "min_tokens_to_cache": 1024,
        "revision": "1",
        "last_change": {"actor": "test-operator", "at": indexing["last_change"]["at"], "action": "import", "revision": "1"},
    }

    code, out, _ = run(capsys, "init", "--example")
    assert code == 0 and out.count("loaded 0 example service(s)") == 3


def test_status_text_is_a_matrix_of_services_by_environments(project, capsys):
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert all(env.upper() in out for env in ENVIRONMENTS)
    assert "no optimization" in out and "test-operator" in out


def test_enable_without_yes_on_a_non_tty_refuses_and_writes_nothing(project, capsys):
    code, out, err = run(capsys, "enable", "indexing", "--env", "dev")
    assert code == 2 and "pass --yes" in err and "nothing was written" in err
    assert "cache.enabled: false -> true" in out  # the diff is shown first
    assert [e["action"] for e in run_json(capsys, "history", "indexing", "--env", "dev")[1]["entries"]] == ["import"]


def test_dry_run_shows_the_diff_and_writes_nothing(project, capsys):
    code, plan = run_json(capsys, "enable", "indexing", "query", "--env", "dev", "--dry-run")
    assert code == 0 and plan["dry_run"] is True and plan["written"] == []
    assert [c["diff"] for c in plan["changes"]] == [
        [{"path": "cache.enabled", "kind": "changed", "before": False, "after": True}]
    ] * 2
    assert run_json(capsys, "show", "indexing", "--env", "dev")[1]["revision"] == "1"


def test_enable_records_who_why_and_a_second_enable_is_a_no_op(project, capsys):
    code, out, _ = run(capsys, "enable", "indexing", "--env", "staging", "--reason", "dev soak passed", "--yes")
    assert code == 0 and "wrote 1 change(s) to staging: indexing@2" in out

    code, out, _ = run(capsys, "enable", "indexing", "--env", "staging", "-y")
    assert code == 0 and "already enabled, nothing written" in out

    entries = run_json(capsys, "history", "indexing", "--env", "staging")[1]["entries"]
    assert [(e["action"], e["actor"], e["reason"], e["revision"]) for e in entries] == [
        ("import", "test-operator", "optctl init --example", "1"),
        ("enable", "test-operator", "dev soak passed", "2"),
    ]
    assert set(entries[1]) == {"revision", "at", "actor", "action", "service", "env", "before", "after", "reason", "rollout"}
    assert (entries[1]["before"]["cache"]["enabled"], entries[1]["after"]["cache"]["enabled"]) == (False, True)


def test_a_service_without_optimization_gets_one_only_through_apply(project, capsys):
    code, _, err = run(capsys, "enable", "classifier", "--env", "dev", "-y")
    assert code == 2 and "optctl apply" in err

    code, _, err = run(capsys, "apply", str(EXAMPLE_OPTIMIZATION), "--env", "dev", "-y")
    assert code == 2 and "--service" in err

    code, plan = run_json(capsys, "apply", str(EXAMPLE_OPTIMIZATION), "--env", "dev", "--service", "classifier", "-y")
    assert code == 0 and plan["changes"][0]["before"] is None
    assert plan["written"][0]["after"] == json.loads(EXAMPLE_OPTIMIZATION.read_text())

    assert run(capsys, "enable", "classifier", "--env", "dev", "-y")[0] == 0


def test_apply_of_ai_config_documents_writes_their_optimization(project, tmp_path, capsys):
    document = next(doc for doc in example_documents() if doc["_key"] == "query")
    document["optimization"]["cache"]["min_tokens_to_cache"] = 4096
    document["configuration"]["model"] = "ignored-by-apply"
    path = tmp_path / "query.json"
    path.write_text(json.dumps(document))

    assert run(capsys, "apply", str(path), "--env", "dev", "-y")[0] == 0

    shown = run_json(capsys, "show", "query", "--env", "dev")[1]["document"]
    assert shown["optimization"]["cache"]["min_tokens_to_cache"] == 4096
    assert shown["configuration"]["model"] == "claude-sonnet-4-5-20250929"


def test_set_is_typed_and_validated(project, capsys):
    assert (
        run(capsys, "set", "query", "cache.min_tokens_to_cache=4096", "cache.default_ttl_seconds=3600", "-e", "dev", "-y")[0] == 0
    )
    cell = next(r for r in run_json(capsys, "status", "--env", "dev")[1]["services"] if r["service"] == "query")["environments"][
        "dev"
    ]
    assert (cell["min_tokens_to_cache"], cell["ttl_seconds"]) == (4096, 3600)

    code, _, err = run(capsys, "set", "query", "cache.min_tokens_to_cache=12", "-e", "dev", "-y")
    assert code == 1 and "must be at least 256" in err and "nothing was written" in err
    code, _, err = run(capsys, "set", "query", "cache.ttl=300", "-e", "dev", "-y")
    assert code == 2 and "cache.default_ttl_seconds" in err


def test_rollback_undoes_the_last_change_and_is_recorded(project, capsys):
    run(capsys, "enable", "agent", "-e", "production", "-y")
    run(capsys, "set", "agent", "cache.min_tokens_to_cache=8192", "-e", "production", "-y")

    code, plan = run_json(capsys, "rollback", "agent", "-e", "production", "-y", "--reason", "latency")
    assert code == 0 and plan["written"][0]["after"]["cache"] == {
        **plan["written"][0]["before"]["cache"],
        "min_tokens_to_cache": 4096,
    }

    code, plan = run_json(capsys, "rollback", "agent", "-e", "production", "--to", "1", "-y")
    assert code == 0 and plan["written"][0]["after"]["cache"]["enabled"] is False
    actions = [e["action"] for e in run_json(capsys, "history", "agent", "-e", "production")[1]["entries"]]
    assert actions == ["import", "enable", "set", "rollback", "rollback"]

    code, _, err = run(capsys, "rollback", "agent", "-e", "production", "--to", "99", "-y")
    assert code == 1 and "no revision '99'" in err


def test_show_gives_the_document_redacted_with_its_revision(project, capsys):
    code, shown = run_json(capsys, "show", "summarizer", "--env", "dev")
    assert code == 0 and set(shown) == {"schema_version", "service", "env", "revision", "document", "project", "store"}
    assert (shown["service"], shown["env"], shown["revision"]) == ("summarizer", "dev", "1")
    assert shown["project"] == {"file": str(project / "optctl.toml"), "embedded_default": None}
    assert shown["store"] == {"dev": {"backend": "sqlite", "location": str(project / "optctl.db")}}
    assert shown["document"]["configuration"]["apiKey"] == "***REDACTED***"

    code, _, err = run(capsys, "show", "ghost", "--env", "dev")
    assert code == 1 and "ghost" in err


def test_export_then_import_round_trips_between_environments(project, tmp_path, capsys):
    run(capsys, "enable", "query", "-e", "dev", "-y")
    code, out, _ = run(capsys, "export", "-e", "dev", "--include-secrets", "--jsonl")
    exported = tmp_path / "dev.jsonl"
    exported.write_text(out)
    assert code == 0 and len(out.splitlines()) == len(example_documents())

    code, out, _ = run(capsys, "import", str(exported), "-e", "staging", "-y")
    assert code == 0 and "query in staging (revision 1): import" in out
    assert "identical to the stored document" in out  # the others were already the same

    code, _, _ = run(capsys, "diff", "--env", "dev", "--env", "staging")
    assert code == 0


def test_export_is_redacted_unless_asked(project, capsys):
    exported = json.loads(run(capsys, "export", "-e", "dev")[1])
    assert {doc["configuration"]["apiKey"] for doc in exported} == {"***REDACTED***"}


def test_import_refuses_an_invalid_document_and_writes_nothing(project, tmp_path, capsys):
    good, bad = (doc for doc in example_documents() if doc["_key"] in ("agent", "query"))
    bad["optimization"]["cache"]["enabled"] = "yes"
    path = tmp_path / "export.json"
    path.write_text(json.dumps([good, bad]))
    history_before = run_json(capsys, "history", "-e", "dev")[1]

    code, _, err = run(capsys, "import", str(path), "-e", "dev", "-y")

    assert code == 1 and f"{path}[1]: optimization.cache.enabled" in err
    assert run_json(capsys, "history", "-e", "dev")[1] == history_before


def test_diff_shows_where_two_environments_differ(project, capsys):
    run(capsys, "enable", "indexing", "-e", "dev", "-y")
    code, found = run_json(capsys, "diff", "--env", "dev", "--env", "production")
    assert code == 1 and set(found.pop("store")) == {"dev", "production"} and found.pop("project")["file"].endswith("optctl.toml")
    assert found == {
        "schema_version": 1,
        "environments": ["dev", "production"],
        "services": [
            {
                "service": "indexing",
                "only_in": None,
                "diff": [{"path": "optimization.cache.enabled", "kind": "changed", "before": True, "after": False}],
            }
        ],
    }
    assert run(capsys, "diff", "--env", "dev")[0] == 2


def test_history_across_environments_is_oldest_first_and_limited(project, capsys):
    run(capsys, "enable", "indexing", "-e", "dev", "-y")
    run(capsys, "enable", "indexing", "-e", "staging", "-y")
    entries = run_json(capsys, "history", "indexing", "--limit", "2")[1]["entries"]
    assert [(e["env"], e["action"]) for e in entries] == [("dev", "enable"), ("staging", "enable")]
    assert run(capsys, "history", "--env", "qa")[0] == 2


def test_an_unknown_environment_is_a_usage_error(project, capsys):
    code, _, err = run(capsys, "enable", "indexing", "--env", "prod", "-y")
    assert code == 2 and "choose one of: dev, staging, production" in err
    code, _, err = run(capsys, "enable", "indexing", "-y")
    assert code == 2 and "--env" in err


def test_without_a_project_file_the_embedded_store_lives_in_optctl_home(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    export = tmp_path / "examples.json"
    export.write_text(json.dumps(example_documents()))

    assert run(capsys, "import", str(export), "-e", "production", "-y")[0] == 0

    home = Path(__import__("os").environ["OPTCTL_HOME"])
    assert (home / "optctl.db").is_file() and not (tmp_path / "optctl.toml").exists()
    assert run_json(capsys, "show", "agent", "-e", "production")[1]["revision"] == "1"


def test_no_command_ever_prints_an_api_key(project, tmp_path, capsys):
    secrets = {doc["configuration"]["apiKey"] for doc in example_documents()}
    bad = next(doc for doc in example_documents() if doc["_key"] == "query")
    bad["optimization"]["cache"]["min_tokens_to_cache"] = bad["configuration"]["apiKey"]
    (tmp_path / "bad.json").write_text(json.dumps([bad]))
    commands = [
        ["status"],
        ["show", "query", "-e", "dev"],
        ["history"],
        ["diff", "-e", "dev", "-e", "staging"],
        ["export", "-e", "dev"],
        ["export", "-e", "dev", "--jsonl"],
        ["enable", "query", "agent", "-e", "dev", "-y"],
        ["disable", "query", "-e", "dev", "--dry-run"],
        ["set", "query", "cache.default_ttl_seconds=3600", "-e", "dev", "-y"],
        ["rollback", "query", "-e", "dev", "-y"],
        ["import", str(tmp_path / "bad.json"), "-e", "dev", "-y"],
        ["apply", str(tmp_path / "bad.json"), "-e", "dev", "-y"],
    ]
    for argv in commands:
        for output in ("text", "json"):
            code, out, err = run(capsys, *argv, "--output", output) if argv[0] != "export" else run(capsys, *argv)
            leaked = [s for s in secrets if s in out or s in err]
            assert not leaked, (argv, output, leaked)


def test_an_import_does_not_overwrite_a_change_made_after_its_plan(project, tmp_path, capsys):
    from optctl.services import actions as control
    from optctl.settings.project import load_project
    from optctl.errors import ConflictError

    document = next(doc for doc in example_documents() if doc["_key"] == "query")
    document["purpose"] = "new wording"
    (tmp_path / "query.json").write_text(json.dumps(document))
    env = load_project().env("dev")
    with control.opened(env) as store:
        plan = control.plan_import(store, env, str(tmp_path / "query.json"))
        assert run(capsys, "enable", "query", "-e", "dev", "-y")[0] == 0  # someone else, meanwhile
        with pytest.raises(ConflictError, match=r"query in dev changed since it was read \(by test-operator at "):
            control.commit(store, plan, "importer")
        assert store.read("query").optimization["cache"]["enabled"] is True


def test_a_redacted_export_cannot_be_imported_over_real_keys(project, tmp_path, capsys):
    exported = tmp_path / "redacted.json"
    exported.write_text(run(capsys, "export", "-e", "dev")[1])

    code, _, err = run(capsys, "import", str(exported), "-e", "staging", "-y")

    assert code == 1 and "--include-secrets" in err and "nothing was written" in err
    assert [e["action"] for e in run_json(capsys, "history", "-e", "staging")[1]["entries"]] == ["import"] * len(
        example_documents()
    )


@pytest.mark.parametrize(("answer", "code", "enabled"), [(False, 1, False), (True, 0, True)])
def test_on_a_terminal_optctl_asks_before_writing(project, capsys, monkeypatch, answer, code, enabled):
    import typer

    asked = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr(typer, "confirm", lambda question, **_: asked.append(question) or answer)

    assert run(capsys, "enable", "indexing", "--env", "production")[0] == code

    assert asked == ["write 1 change(s) to production?"]
    assert run_json(capsys, "show", "indexing", "-e", "production")[1]["document"]["optimization"]["cache"]["enabled"] is enabled


def test_history_text_shows_who_what_why(project, capsys):
    run(capsys, "enable", "agent", "-e", "dev", "--reason", "trial week", "-y")
    code, out, _ = run(capsys, "history", "agent", "-e", "dev")
    assert code == 0
    assert "~ cache.enabled: false -> true" in out and "trial week" in out and "test-operator" in out


def test_init_example_never_loads_examples_into_an_arangodb_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "optctl.toml").write_text(
        '[environments.dev]\nurl = "sqlite:///optctl.db"\n\n'
        '[environments.production]\nurl = "arangodb+https://arango.internal:8529/pipeshub"\npassword_env = "UNSET_FOR_THIS_TEST"\n'
    )
    code, out, _ = run(capsys, "init", "--example")
    assert code == 0
    assert "dev: loaded 6 example service(s)" in out and "production: not an embedded store" in out


@pytest.mark.parametrize(
    "command", ["init", "status", "show", "enable", "disable", "set", "apply", "rollback", "import", "export", "diff", "history"]
)
def test_every_store_command_has_help_and_is_in_the_readme(command, capsys):
    readme = (paths.ROOT / "README.md").read_text()
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and out.strip()
    assert f"optctl {command}" in readme
