"""The real CLI on an ArangoDB environment: optctl.toml -> open_store -> ArangoStore -> python-arango.

Nothing is replaced: the url points at the HTTP stand-in on 127.0.0.1 (``tests/arango_server``).
"""

from __future__ import annotations

import json

import pytest

from tests.arango_server.harness import FAKE_PASSWORD, PASSWORD_VARIABLE, USER_VARIABLE, Harness, harness_for
from tests.support.samples import ai_config
from tests.support.cli import run

SERVICES = ("agent", "indexing", "query")


@pytest.fixture
def project(request, tmp_path, monkeypatch) -> Harness:
    harness = harness_for(request)
    if harness.real:
        pytest.skip("inspects the stand-in: stand-in only")
    harness.open("production")  # creates the environment's collections
    (tmp_path / "optctl.toml").write_text(
        "[environments.production]\n"
        f'url = "{harness.url}"\n'
        'collection = "production_ai_configs"\n'
        'history_collection = "production_optctl_history"\n'
        f'username_env = "{USER_VARIABLE}"\n'
        f'password_env = "{PASSWORD_VARIABLE}"\n'
    )
    (tmp_path / "services.jsonl").write_text("".join(json.dumps(ai_config(s)) + "\n" for s in SERVICES))
    monkeypatch.chdir(tmp_path)
    return harness


def test_import_enable_show_history_rollback(project, capsys):
    assert run(capsys, "import", "services.jsonl", "--env", "production", "-y")[0] == 0
    assert run(capsys, "enable", "query", "indexing", "--env", "production", "-y", "--reason", "cost test")[0] == 0

    code, out, _ = run(capsys, "show", "query", "--env", "production", "--output", "json")
    shown = json.loads(out)
    stored = project.server.state.documents("optctl_test", "production_ai_configs")["query"]
    assert code == 0 and shown["revision"] == stored["_rev"] and shown["document"]["optimization"]["cache"]["enabled"] is True

    code, out, _ = run(capsys, "history", "--env", "production", "--output", "json")
    actions = [(e["service"], e["action"], e["reason"]) for e in json.loads(out)["entries"]]
    assert code == 0 and len(actions) == 5
    assert sorted(actions[-2:]) == [("indexing", "enable", "cost test"), ("query", "enable", "cost test")]

    assert run(capsys, "rollback", "query", "--env", "production", "-y")[0] == 0
    assert (
        project.server.state.documents("optctl_test", "production_ai_configs")["query"]["optimization"]["cache"]["enabled"]
        is False
    )


def test_no_output_shows_an_api_key(project, capsys):
    run(capsys, "import", "services.jsonl", "--env", "production", "-y")
    outputs = [
        run(capsys, *argv)
        for argv in (
            ("status",),
            ("status", "--output", "json"),
            ("show", "agent", "--env", "production"),
            ("show", "agent", "--env", "production", "--output", "json"),
            ("export", "--env", "production"),
            ("history", "--env", "production", "--output", "json"),
            ("enable", "agent", "--env", "production", "-y"),
        )
    ]
    assert all(code == 0 for code, _, _ in outputs), outputs
    assert not any("sk-ant-test" in out + err for _, out, err in outputs)


def test_wrong_credentials_exit_2_with_one_line(project, capsys, monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, "wrong-password")
    code, out, err = run(capsys, "status")
    assert code == 2 and out == ""
    assert (
        err.startswith(
            f"optctl: environment 'production': ArangoDB at {project.url} refused the login to database "
            "'optctl_test' as user 'optctl' (HTTP 401, error 11): the password may be wrong"
        )
        and err.count("\n") == 1
    )
    assert "wrong-password" not in err and FAKE_PASSWORD not in err


def test_a_connection_lost_mid_enable_exits_2_and_writes_nothing(project, capsys, monkeypatch):
    run(capsys, "import", "services.jsonl", "--env", "production", "-y")
    before = project.server.state.documents("optctl_test", "production_ai_configs")

    project.server.drop_reply(3, processed=False)  # read, begin, then the UPDATE never arrives
    code, _, err = run(capsys, "enable", *SERVICES, "--env", "production", "-y")

    assert code == 2 and err.count("\n") == 1 and "connection lost" in err and "nothing was written" in err
    assert project.server.state.documents("optctl_test", "production_ai_configs") == before
    assert project.server.state.running_transactions() == []


def test_a_url_naming_three_coordinators_works_end_to_end(tmp_path, monkeypatch, capsys):
    harness = Harness(monkeypatch, coordinators=3)
    try:
        harness.open("production")
        (tmp_path / "optctl.toml").write_text(
            f'[environments.production]\nurl = "{harness.url}"\ncollection = "production_ai_configs"\n'
            f'history_collection = "production_optctl_history"\nusername_env = "{USER_VARIABLE}"\npassword_env = "{PASSWORD_VARIABLE}"\n'
        )
        (tmp_path / "services.jsonl").write_text("".join(json.dumps(ai_config(s)) + "\n" for s in SERVICES))
        monkeypatch.chdir(tmp_path)
        assert run(capsys, "import", "services.jsonl", "--env", "production", "-y")[0] == 0
        code, out, _ = run(capsys, "enable", *SERVICES, "--env", "production", "-y")
        assert code == 0 and harness.url.split("//", 1)[1].rsplit("/", 1)[0] in out  # the footer names every host
    finally:
        harness.close()
