"""The inputs that used to hang optctl or end in "internal error" (exit 3), through the real CLI.

Each must finish in seconds with one line naming the file and the place, exit 1 (a problem in a
document) or 2 (an environment problem).
"""

from __future__ import annotations

import time

import pytest

from optctl.cli.app import main
from tests.unit.documents.test_guards import BILLION_LAUGHS

HOSTILE = {
    "cycle.yaml": "a: &x {b: *x}\n",
    "laughs.yaml": BILLION_LAUGHS,
    "long-number.json": '{"cache": {"enabled": true, "min_tokens_to_cache": ' + "9" * 5000 + "}}",
    "surrogate.json": '{"cache": {"enabled": "\\ud800"}}',
    "deep.yaml": "[" * 999 + "]" * 999 + "\n",
    "deep.json": '{"messages": ' + "[" * 1000 + "]" * 1000 + "}",
}


def run(capsys, *argv: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err, time.monotonic() - started


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize(
    "options", [[], ["--kind", "prompt-fixture"], ["--kind", "rollout-plan"], ["-o", "json"], ["-o", "github"]]
)
def test_validate_reports_a_hostile_file_as_a_problem_in_it(tmp_path, capsys, name, options):
    path = tmp_path / name
    path.write_text(HOSTILE[name], encoding="utf-8")
    code, out, err, seconds = run(capsys, "validate", str(path), *options)
    assert (code, seconds < 5) == (1, True), err
    assert name in out and "internal error" not in err


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_apply_and_dry_run_refuse_a_hostile_file_with_one_line(tmp_path, capsys, name):
    path = tmp_path / name
    path.write_text(HOSTILE[name], encoding="utf-8")
    for argv in (
        ["apply", str(path), "-s", "indexing", "--env", "dev", "--yes"],
        ["dry-run", str(path)],
        ["dry-run", "--optimization", str(path), str(path)],
        ["rollout", "start", str(path)],
        ["import", str(path), "--env", "dev", "--yes"],
    ):
        code, out, err, seconds = run(capsys, *argv)
        assert code in (1, 2) and seconds < 5, (argv, code, err)
        assert "internal error" not in err and name in out + err, (argv, err)


MEGABYTE = 1_000_000
ONE_MEGABYTE = {  # each about 1 MB: the bound for "finishes in seconds"
    "deep-arrays.json": "[" * (MEGABYTE // 2) + "]" * (MEGABYTE // 2),
    "deep-flow.yaml": "a: " + "[" * (MEGABYTE // 2) + "]" * (MEGABYTE // 2),
    "long-number.json": '{"a": ' + "9" * (MEGABYTE - 10) + "}",
    "long-numbers.jsonl": "\n".join('{"a": ' + "9" * 4400 + "}" for _ in range(MEGABYTE // 4410)),
    "surrogates.json": '{"a": "' + "\\ud800" * (MEGABYTE // 6) + '"}',
    "aliases.yaml": "a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(MEGABYTE // 12)),
    "laughs.yaml": BILLION_LAUGHS * (MEGABYTE // len(BILLION_LAUGHS)),
}


@pytest.mark.parametrize("name", sorted(ONE_MEGABYTE))
@pytest.mark.parametrize("argv", [["validate"], ["dry-run", "-o", "json"]], ids=["validate", "dry-run"])
def test_a_megabyte_of_hostile_input_finishes_in_seconds(tmp_path, capsys, name, argv):
    path = tmp_path / name
    path.write_text(ONE_MEGABYTE[name], encoding="utf-8")
    code, out, err, seconds = run(capsys, *argv, str(path))
    assert code in (1, 2) and "internal error" not in err
    assert seconds < 5, f"{seconds:.1f} s"
