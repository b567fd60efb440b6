"""A small input is judged by jsonschema alone; a large one by the pydantic models first.

Either way the findings are jsonschema's (the same words, the same places): only the cost
moves, so one small invalid file no longer pays for importing both engines.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optctl.contract.check import check_document
from optctl.contract.checker import MODEL_WORTH_BYTES
from optctl.contract.kinds import contract_kinds
from optctl.providers.rules import load
from tests.unit.contract.test_schema_agreement import ai_config_documents

KINDS = contract_kinds(load(None))
BROKEN = [
    {"cache": {"enabled": "yes", "min_tokens_to_cache": 5}},
    {"cache": {"enabled": True, "ttl": 300}, "batch": {"accumulation_strategy": "sometimes"}},
    {"_key": "a", "provider": "anthropic", "configuration": {"model": 3}, "optimization": {"fallback": []}},
    {
        "_key": "b",
        "provider": "anthropic",
        "configuration": {},
        "isDefault": "no",
        "optimization": {"cache": {"default_ttl_seconds": 5.5}},
    },
]
_ENGINES_LOADED = """
import json, sys
from optctl.commands.validate import validate
result = validate(sys.argv[1:])
print(json.dumps({"exit": result.exit_code, "pydantic": "pydantic" in sys.modules, "jsonschema": "jsonschema" in sys.modules}))
"""


@pytest.mark.parametrize("document", BROKEN)
def test_findings_are_the_same_with_or_without_the_model(document):
    kind = KINDS.detect(document)
    assert check_document(document, kind, use_model=False) == check_document(document, kind, use_model=True)
    assert check_document(document, kind)  # and there are some


@given(ai_config_documents, st.sets(st.sampled_from(["_key", "provider", "configuration"])))
def test_the_model_narrows_what_jsonschema_explains_without_changing_a_finding(document, dropped):
    """The model names the members it rejects, and jsonschema explains only those: the findings
    must be exactly what jsonschema finds over the whole document."""
    document = {key: value for key, value in document.items() if key not in dropped}
    kind = KINDS.named("ai-config")
    assert check_document(document, kind, use_model=True) == check_document(document, kind, use_model=False)


def _engines(*paths) -> dict:
    done = subprocess.run([sys.executable, "-c", _ENGINES_LOADED, *map(str, paths)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_a_small_file_never_imports_pydantic(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(BROKEN[0]))
    assert _engines(bad) == {"exit": 1, "pydantic": False, "jsonschema": True}


def test_one_large_document_is_judged_by_jsonschema_alone(tmp_path):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({**BROKEN[0], "notes": ["x" * 100] * (MODEL_WORTH_BYTES // 100)}))
    assert _engines(big) == {"exit": 1, "pydantic": False, "jsonschema": True}


def test_a_large_valid_export_is_judged_by_the_models_without_jsonschema(tmp_path):
    export = tmp_path / "export.jsonl"
    line = json.dumps({"cache": {"enabled": False}, "provider": "anthropic"}) + "\n"
    export.write_text(line * (MODEL_WORTH_BYTES // len(line) + 1))
    assert _engines(export) == {"exit": 0, "pydantic": True, "jsonschema": False}


def test_a_null_system_field_fails_in_a_large_export_as_in_a_small_file():
    """The model took ``"_id": null`` (the schema does not), so the same document passed in a large
    export (judged by the model) and failed in a small file (judged by jsonschema)."""
    document = {"_key": "a", "provider": "anthropic", "configuration": {"model": "claude-haiku-4-5"}, "_id": None, "_rev": None}
    kind = KINDS.named("ai-config")
    assert [f.pointer for f in check_document(document, kind, use_model=True)] == ["/_id", "/_rev"]
    assert check_document(document, kind, use_model=True) == check_document(document, kind, use_model=False)


def test_a_document_s_secret_in_a_finding_is_replaced_and_a_clean_finding_kept_whichever_engine():
    secret = "hunter2-plain-words"  # no shape a pattern would catch: only the document says it is secret
    document = {
        "_key": "a",
        "provider": "anthropic",
        "configuration": {"model": "claude-haiku-4-5", "password": secret},
        "optimization": {"cache": {"enabled": secret, "min_tokens_to_cache": 5}},  # pasted in the wrong place
    }
    kind = KINDS.named("ai-config")
    findings = check_document(document, kind, use_model=True)
    assert findings == check_document(document, kind, use_model=False)
    assert [(f.code, f.value) for f in findings] == [("wrong-type", '"***REDACTED***"'), ("out-of-range", "5")]
    assert all(secret not in f.text() for f in findings)
