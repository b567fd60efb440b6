"""init and schema as plain functions."""

from __future__ import annotations

from optctl.commands.edges import Edges
from optctl.commands.init import init
from optctl.commands.schema import schema


def test_init_writes_once_and_loads_examples_into_embedded_environments(tmp_path):
    edges = Edges(actor=lambda: "carol")
    first = init(tmp_path, example=True, edges=edges)
    assert first.written and first.project_file == tmp_path / "optctl.toml"
    assert {env: len(loaded or []) for env, loaded in first.loaded.items()} == {"dev": 6, "staging": 6, "production": 6}
    assert first.context is not None and first.context.project_file == str(tmp_path / "optctl.toml")
    assert {entry.actor for entry in first.loaded["dev"] or []} == {"carol"}

    again = init(tmp_path, example=True, edges=edges)
    assert not again.written and all(loaded == [] for loaded in again.loaded.values())
    assert init(tmp_path).context is None


def test_schema_lists_names_or_gives_one():
    listed = schema()
    assert "optimization" in listed.names and listed.schema is None
    assert schema("optimization.schema.json").schema["type"] == "object"
