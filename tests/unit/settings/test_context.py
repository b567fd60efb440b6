"""Which project and stores a command used: never a credential, and the embedded default named as such."""

from __future__ import annotations

from pathlib import Path

from optctl.settings.context import RunContext, StoreIdentity
from optctl.settings.project import EnvironmentConfig, Project, embedded_project


def test_an_arangodb_identity_drops_credentials_written_into_the_url():
    env = EnvironmentConfig("prod", "arangodb+https://ops:hunter2@arango.internal:8529/pipeshub", collection="models")
    identity = StoreIdentity.of(env)
    assert identity.to_json() == {
        "backend": "arangodb",
        "location": "arangodb+https://arango.internal:8529/pipeshub",
        "collection": "models",
    }
    assert "hunter2" not in identity.where and "ops" not in identity.where


def test_a_project_file_is_named_and_shared_stores_are_grouped():
    envs = {name: EnvironmentConfig(name, "sqlite:////srv/optctl.db") for name in ("dev", "staging")}
    envs["prod"] = EnvironmentConfig("prod", "arangodb://db:8529/p")
    project = Project(envs, Path("/srv/optctl.toml"))
    context = RunContext.of(project, list(envs.values()))
    assert not context.embedded and context.project == "/srv/optctl.toml"
    assert context.grouped_stores() == [
        (["dev", "staging"], "sqlite /srv/optctl.db"),
        (["prod"], "arangodb arangodb://db:8529/p collection ai_configs"),
    ]


def test_the_embedded_default_is_said_to_be_one(tmp_path):
    project = embedded_project({"OPTCTL_HOME": str(tmp_path)})
    context = RunContext.of(project, project.select(["production"]))
    assert context.embedded and context.project == f"embedded default at {tmp_path / 'optctl.db'}"
    assert context.to_json()["project"] == {"file": None, "embedded_default": str(tmp_path / "optctl.db")}
