"""The JSON schema and the pydantic models are one contract: they must agree on every document."""

import json

from hypothesis import given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from optctl.contract.check import _validator
from optctl.contract.models import AIConfigDocument, OptimizationConfig
from optctl.contract.schemas import load_schema

OPTIMIZATION = load_schema("optimization")
SECTIONS = {name: sorted(OPTIMIZATION["properties"][name]["properties"]) for name in ("cache", "batch", "fallback")}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=300_000),
    st.sampled_from([0, 1, 59, 60, 255, 256, 300, 3600, 3601, 86400, 86401, 259200, 259201, 10000, 10001]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([300.0, 1024.0, 1.5, -0.0]),
    st.sampled_from(["true", "false", "300", "time", "count", "hybrid", "hybird", "anthropic", ""]),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2), max_leaves=4
)


def _section(name):
    keys = st.sampled_from(SECTIONS[name] + [SECTIONS[name][0][:-1] + "x"])  # plus a misspelling
    return st.one_of(st.dictionaries(keys, scalars, max_size=len(SECTIONS[name]) + 1), json_values)


near_valid = st.fixed_dictionaries(
    {},
    optional={
        "cache": _section("cache"),
        "batch": _section("batch"),
        "fallback": _section("fallback"),
        "provider": scalars,
        "cahce": scalars,
    },
)


def _pydantic_accepts(model, document) -> bool:
    try:
        model.model_validate(document)
    except ValidationError:
        return False
    return True


def _schema_accepts(name, document) -> bool:
    return _validator(name).is_valid(document)


@given(from_schema(OPTIMIZATION))
def test_every_schema_valid_document_loads_in_the_models(document):
    assert _pydantic_accepts(OptimizationConfig, document)


@given(near_valid)
def test_schema_and_models_agree_on_near_valid_documents(document):
    assert _schema_accepts("optimization", document) == _pydantic_accepts(OptimizationConfig, document), json.dumps(document)


ai_config_documents = st.fixed_dictionaries(
    {
        "_key": st.sampled_from(["indexing", ""]),
        "provider": st.sampled_from(["anthropic", "openai", ""]),
        "configuration": st.one_of(
            st.fixed_dictionaries(
                {"model": st.sampled_from(["claude-haiku-4-5", 7])}, optional={"apiKey": scalars, "temperature": scalars}
            ),
            scalars,
        ),
    },
    optional={
        "optimization": st.one_of(near_valid, scalars),
        "isDefault": scalars,
        "_rev": scalars,
        "_id": scalars,
        "department": scalars,
    },
)


@given(ai_config_documents)
def test_schema_and_models_agree_on_ai_config_documents(document):
    assert _schema_accepts("ai-config", document) == _pydantic_accepts(AIConfigDocument, document), json.dumps(document)


def test_strictness_examples():
    for bad in (
        {"cache": {"enabled": "true"}},
        {"cache": {"min_tokens_to_cache": 1.5}},
        {"cache": {"min_tokens_to_cache": True}},
        {"cache": {"enabeld": True}},
    ):
        assert not _schema_accepts("optimization", bad)
        assert not _pydantic_accepts(OptimizationConfig, bad)
    assert _schema_accepts("optimization", {"cache": {"min_tokens_to_cache": 2048.0}})
    assert _pydantic_accepts(OptimizationConfig, {"cache": {"min_tokens_to_cache": 2048.0}})


def test_bundled_schemas_are_valid_2020_12_with_titles_on_every_field():
    def walk(node, where):
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description") or sub.get("$ref"), f"{where}/{key} has no description"
            walk(sub, f"{where}/{key}")

    for name in ("optimization", "ai-config"):
        schema = load_schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f"{name}.schema.json")
        walk(schema, name)
