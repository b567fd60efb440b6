"""Finding and reading optctl.toml, the embedded default, and the credentials it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from optctl.stores.factory import open_store

from optctl.settings import project as config
from optctl.errors import EnvironmentProblem, UsageError

PROJECT = """
[environments.dev]
url = "sqlite:///data/dev.db"

[environments.production]
url = "arangodb+https://arango.internal:8529/pipeshub"
username_env = "ARANGO_USER"
password_file = "secrets/arango-password"
ca_bundle = "/etc/ssl/ca.pem"

[environments.production.keys]
indexing = "anthropic_indexing_config"
"""


def _write(folder: Path, text: str = PROJECT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "optctl.toml").write_text(text)
    return folder / "optctl.toml"


def test_the_nearest_project_file_up_from_the_working_folder_wins(tmp_path):
    path = _write(tmp_path)
    nested = tmp_path / "services" / "indexing"
    nested.mkdir(parents=True)

    project = config.load_project(environ={}, cwd=nested)

    assert project.source == path and project.names == ["dev", "production"]
    assert project.env("dev").url == config.sqlite_url(tmp_path / "data" / "dev.db")
    production = project.env("production")
    assert (production.url, production.collection, production.history_collection) == (
        "arangodb+https://arango.internal:8529/pipeshub",
        "ai_configs",
        "optctl_history",
    )
    assert production.verify_tls is True and production.key_for("indexing") == "anthropic_indexing_config"
    assert production.service_for("anthropic_indexing_config") == "indexing"


def test_explicit_config_then_optctl_config_then_the_nearest(tmp_path):
    nearest, named, explicit = _write(tmp_path / "near"), _write(tmp_path / "named"), _write(tmp_path / "explicit")

    assert config.find_project_file(explicit, {"OPTCTL_CONFIG": str(named)}, tmp_path / "near") == explicit
    assert config.find_project_file(None, {"OPTCTL_CONFIG": str(named)}, tmp_path / "near") == named
    assert config.find_project_file(None, {}, tmp_path / "near") == nearest
    with pytest.raises(UsageError, match="no such project file"):
        config.find_project_file(tmp_path / "missing.toml", {}, tmp_path)


def test_without_a_project_file_the_embedded_default_is_used(tmp_path):
    project = config.load_project(environ={"OPTCTL_HOME": str(tmp_path / "home")}, cwd=tmp_path)

    assert project.source is None and project.names == ["dev", "staging", "production"]
    assert {env.url for env in project.environments.values()} == {config.sqlite_url(tmp_path / "home" / "optctl.db")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[environments.dev]\nurl = "sqlite:///x.db"\npassword = "hunter2"\n', "password_env"),
        ('[environments.dev]\nurl = "mysql://x"\n', "neither sqlite"),
        ('[environments.dev]\ncollection = "x"\n', "url = "),
        ('[environments.dev]\nurl = "sqlite:///x.db"\nverify_tls = "no"\n', "verify_tls must be true or false"),
        ('[environment.dev]\nurl = "sqlite:///x.db"\n', "unknown top-level key 'environment'"),
        ("[environments.dev\n", "invalid TOML"),
    ],
)
def test_a_bad_project_file_is_one_line_naming_the_file_and_place(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(UsageError, match=message) as raised:
        config.load_project(path, environ={})
    assert str(path) in str(raised.value) and "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'[environments.dev]\nurl = "sqlite:///caf\xe9.db"\n', r"optctl.toml:2: not UTF-8 text \(byte 0xe9\)"),
        (b"a = " + b"9" * 5000 + b"\n", "an integer over 4,300 digits"),
        (b"a = " + b"[" * 1000 + b"]" * 1000 + b"\n", "nested too deep"),
        (b"a = " + b"{b = " * 600 + b"1" + b"}" * 600 + b"\n", "nested too deep"),
    ],
)
def test_a_project_file_python_cannot_decode_is_one_line_not_a_crash(tmp_path, raw, message):
    path = tmp_path / "optctl.toml"
    path.write_bytes(raw)
    with pytest.raises(UsageError, match=message) as raised:
        config.load_project(path, environ={})
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


def test_credentials_come_from_the_named_variable_or_file(tmp_path):
    (tmp_path / "password").write_text("s3cret\n")
    env = config.EnvironmentConfig(
        "production", "arangodb://h:8529/db", username_env="ARANGO_USER", password_file=str(tmp_path / "password")
    )

    assert env.credentials({"ARANGO_USER": "optctl"}) == ("optctl", "s3cret")
    with pytest.raises(EnvironmentProblem, match="ARANGO_USER is not set"):
        env.credentials({})
    with pytest.raises(EnvironmentProblem, match="cannot read the password file"):
        config.EnvironmentConfig("p", "arangodb://h/db", password_file=str(tmp_path / "nope")).credentials({})


def test_an_environment_must_be_named_when_there_are_several(tmp_path):
    project = config.embedded_project({"OPTCTL_HOME": str(tmp_path)})
    with pytest.raises(UsageError, match="--env"):
        project.env(None)
    single = config.parse_project({"environments": {"only": {"url": "sqlite:///x.db"}}}, tmp_path / "optctl.toml")
    assert single.env(None).name == "only"


def test_open_store_dispatches_on_the_url_scheme(tmp_path):
    store = open_store(config.EnvironmentConfig("dev", config.sqlite_url(tmp_path / "a" / "b.db")))
    try:
        assert store.env == "dev" and store.list_services() == []
    finally:
        store.close()
    with pytest.raises(UsageError, match="unsupported store url"):
        open_store(config.EnvironmentConfig("dev", "ftp://x"))


def test_rollouts_are_recorded_in_the_production_environments_store_unless_the_project_says(tmp_path):
    from optctl.settings.project import load_project

    project_file = tmp_path / "optctl.toml"
    project_file.write_text('[environments.dev]\nurl = "sqlite:///dev.db"\n[environments.production]\nurl = "sqlite:///p.db"\n')
    assert load_project(project_file).rollouts_config().environment == "production"
    project_file.write_text('[environments.dev]\nurl = "sqlite:///dev.db"\n[environments.live]\nurl = "sqlite:///p.db"\n')
    assert load_project(project_file).rollouts_config().environment == "live"  # no production: the last one
    project_file.write_text('[environments.dev]\nurl = "sqlite:///dev.db"\n[rollouts]\nenvironment = "dev"\ncollection = "ro"\n')
    assert (
        load_project(project_file).rollouts_config().environment,
        load_project(project_file).rollouts_config().collection,
    ) == ("dev", "ro")
    project_file.write_text('[environments.dev]\nurl = "sqlite:///dev.db"\n[rollouts]\nenvironment = "qa"\n')
    with pytest.raises(UsageError, match=r"\[rollouts\]: environment 'qa' is not in \[environments\]"):
        load_project(project_file)
    project_file.write_text('[environments.dev]\nurl = "sqlite:///dev.db"\n[rollouts]\nstore = "sqlite:///r.db"\n')
    with pytest.raises(UsageError, match=r"\[rollouts\] takes environment"):
        load_project(project_file)
