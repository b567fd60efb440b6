"""The optctl.toml that ``optctl init`` writes: valid TOML whichever of its blocks is uncommented.

A block is a run of commented-out TOML lines (``# key = value`` or ``# [table]``) between blank
or prose lines. Each is uncommented alone, then all of them together; the production url is
switched to ArangoDB the way the template says (one url line kept).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from optctl.settings.project import parse_project
from optctl.settings.template import PROJECT_TEMPLATE, write_project_file
from tests.support import paths

TOML_LINE = re.compile(r"^# (\[[\w.-]+\]|[a-z_]+ = \S)")
SQLITE_URL = 'url = "sqlite:///optctl.db"'
ARANGO_URL = '# url = "arangodb+https://'


def blocks(template: str) -> list[list[int]]:
    """Line numbers of each block of commented-out TOML."""
    found: list[list[int]] = []
    previous = False
    for number, line in enumerate(template.splitlines()):
        toml = bool(TOML_LINE.match(line))
        if toml and previous:
            found[-1].append(number)
        elif toml:
            found.append([number])
        previous = toml
    return found


def uncomment(template: str, numbers: set[int]) -> str:
    return "\n".join(line[2:] if i in numbers else line for i, line in enumerate(template.splitlines())) + "\n"


def to_arango(template: str) -> str:
    """The switch the template describes: the sqlite url of production out, the arangodb one in."""
    lines = template.splitlines()
    production = lines.index("[environments.production]")
    sqlite = next(i for i in range(production, len(lines)) if lines[i] == SQLITE_URL)
    arango = next(i for i in range(production, len(lines)) if lines[i].startswith(ARANGO_URL))
    lines[sqlite], lines[arango] = "# " + lines[sqlite], lines[arango][2:]
    return "\n".join(lines) + "\n"


def load(text: str, tmp_path: Path):
    return parse_project(tomllib.loads(text), tmp_path / "optctl.toml")


def block_named(first_key: str) -> set[int]:
    """The lines of the block whose first line sets ``first_key``."""
    lines = PROJECT_TEMPLATE.splitlines()
    return next(set(block) for block in blocks(PROJECT_TEMPLATE) if lines[block[0]].startswith(f"# {first_key} ="))


URL_BLOCK = next(
    i for i, block in enumerate(blocks(PROJECT_TEMPLATE)) if PROJECT_TEMPLATE.splitlines()[block[0]].startswith(ARANGO_URL)
)
OTHER_BLOCKS = [i for i in range(len(blocks(PROJECT_TEMPLATE))) if i != URL_BLOCK]


def test_the_template_has_the_documented_blocks():
    firsts = [PROJECT_TEMPLATE.splitlines()[block[0]] for block in blocks(PROJECT_TEMPLATE)]
    named = [line.split(" =")[0].removeprefix("# ") for line in firsts]
    documented = ["url", "collection", "username_env", "username_file", "[environments.production.keys]", "[rollouts]"]
    assert [name for name in named if name in documented] == documented


def test_as_written_it_is_three_embedded_environments(tmp_path):
    project = load(PROJECT_TEMPLATE, tmp_path)
    assert project.names == ["dev", "staging", "production"]
    assert all(env.url.startswith("sqlite:///") for env in project.environments.values())


@pytest.mark.parametrize("index", OTHER_BLOCKS, ids=lambda i: PROJECT_TEMPLATE.splitlines()[blocks(PROJECT_TEMPLATE)[i][0]][2:30])
@pytest.mark.parametrize("arango", [False, True], ids=["sqlite", "arangodb"])
def test_each_block_uncommented_alone_is_valid(tmp_path, index, arango):
    text = uncomment(PROJECT_TEMPLATE, set(blocks(PROJECT_TEMPLATE)[index]))
    project = load(to_arango(text) if arango else text, tmp_path)
    assert project.env("production").url.startswith("arangodb+https://" if arango else "sqlite:///")


def test_every_block_uncommented_together_is_valid_and_is_arangodb(tmp_path):
    every = {n for i in OTHER_BLOCKS for n in blocks(PROJECT_TEMPLATE)[i]}
    project = load(to_arango(uncomment(PROJECT_TEMPLATE, every)), tmp_path)
    production = project.env("production")
    assert production.url == "arangodb+https://arango.internal:8529/pipeshub"
    assert (production.collection, production.history_collection, production.verify_tls) == ("ai_configs", "optctl_history", True)
    assert production.keys == {"indexing": "anthropic_indexing_config"}
    assert project.rollouts_config().environment == "production"


def test_the_credential_blocks_name_what_the_readme_names(tmp_path):
    variables = uncomment(PROJECT_TEMPLATE, block_named("username_env"))
    production = load(to_arango(variables), tmp_path).env("production")
    assert production.credentials({"OPTCTL_ARANGO_USER": "optctl", "OPTCTL_ARANGO_PASSWORD": "pw"}) == ("optctl", "pw")
    files = uncomment(PROJECT_TEMPLATE, block_named("username_file"))
    production = load(to_arango(files), tmp_path).env("production")
    assert (production.username_file, production.password_file) == ("/run/secrets/arango-user", "/run/secrets/arango-password")
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("OPTCTL_ARANGO_USER", "OPTCTL_ARANGO_PASSWORD", "/run/secrets/arango-user", "/run/secrets/arango-password"):
        assert f'"{name}"' in readme and f'"{name}"' in PROJECT_TEMPLATE


def test_init_writes_the_template_once(tmp_path):
    assert write_project_file(tmp_path) == tmp_path / "optctl.toml"
    assert (tmp_path / "optctl.toml").read_text(encoding="utf-8") == PROJECT_TEMPLATE
    assert write_project_file(tmp_path) is None
