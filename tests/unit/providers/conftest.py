import json

import pytest

from optctl.providers import rules as table


@pytest.fixture(scope="session")
def rules():
    return table.load()


@pytest.fixture
def models_file(tmp_path, rules):
    """Write a models file: the bundled table changed by ``edit(raw)``; returns its path."""

    def write(edit=lambda raw: None):
        raw = json.loads(json.dumps(rules.raw))
        edit(raw)
        path = tmp_path / "models.json"
        path.write_text(json.dumps(raw))
        return path

    return write
