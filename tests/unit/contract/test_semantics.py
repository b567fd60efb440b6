"""Semantic checks: documents that are well-formed but would not do what their author meant."""

from optctl.contract.check import check_document
from optctl.contract.kinds import contract_kinds
from optctl.providers import rules as table

KINDS = contract_kinds(table.load())


def kind_named(name):
    return KINDS.named(name)


def doc(**optimization):
    return {
        "_key": "query",
        "provider": "anthropic",
        "configuration": {"apiKey": "sk-ant-semantic-0001", "model": "claude-sonnet-4-5-20250929"},
        "optimization": optimization,
    }


def codes(document, kind="ai-config"):
    return {(f.code, f.severity, f.pointer) for f in check_document(document, kind_named(kind))}


def test_a_clean_document_has_no_findings():
    assert codes(doc(cache={"enabled": True, "min_tokens_to_cache": 1024}, provider="anthropic")) == set()


def test_caching_for_a_provider_the_wrapper_cannot_cache_for_is_an_error():
    document = doc(cache={"enabled": True})
    document["provider"] = "openai"
    assert ("cache-unsupported-provider", "error", "/optimization/cache/enabled") in codes(document)
    document["optimization"]["cache"]["enabled"] = False
    assert codes(document) == set()


def test_provider_mismatch_is_an_error():
    assert ("provider-mismatch", "error", "/optimization/provider") in codes(doc(provider="bedrock"))


def test_threshold_below_the_models_minimum_warns_only_when_caching_is_on():
    opus = doc(cache={"enabled": True, "min_tokens_to_cache": 1024})
    opus["configuration"]["model"] = "claude-opus-4-5-20251101"
    assert codes(opus) == {("below-model-minimum", "warning", "/optimization/cache/min_tokens_to_cache")}
    opus["optimization"]["cache"]["min_tokens_to_cache"] = 4096
    assert codes(opus) == set()
    opus["optimization"]["cache"].update(enabled=False, min_tokens_to_cache=1024)
    assert codes(opus) == set()


def test_unknown_model_warns():
    document = doc(cache={"enabled": True})
    document["configuration"]["model"] = "claude-imaginary-9"
    assert codes(document) == {("unknown-model", "warning", "/configuration/model")}


def test_ttls_the_provider_cannot_express_warn():
    found = codes(doc(cache={"default_ttl_seconds": 600, "domain_definitions_ttl_seconds": 3600}))
    assert found == {("ttl-not-offered", "warning", "/optimization/cache/default_ttl_seconds")}


def test_batching_warns_that_the_wrapper_does_not_implement_it():
    assert codes({"batch": {"enabled": True}}, "optimization") == {("batch-not-implemented", "warning", "/batch/enabled")}


def test_misspelt_optimization_key_warns():
    document = doc()
    document["optimisation"] = document.pop("optimization")
    assert codes(document) == {("misspelt-optimization", "warning", "/optimisation")}


def test_schema_errors_suppress_semantic_checks_and_never_show_the_key():
    document = doc(cache={"enabled": "yes"})
    document["provider"] = "openai"
    findings = check_document(document, kind_named("ai-config"))
    assert [f.code for f in findings] == ["wrong-type"]
    assert all("sk-ant-semantic-0001" not in str(f) for f in findings)


def test_the_rules_table_is_a_parameter_so_a_models_file_changes_the_verdict(tmp_path):
    import json

    from optctl.providers.rules import BUNDLED

    raw = json.loads(BUNDLED.read_text())
    model = next(m for m in raw["models"] if "claude-sonnet-4-5" in m["match"])
    model["min_cacheable_tokens"] = 8192
    path = tmp_path / "models.json"
    path.write_text(json.dumps(raw))
    document = doc(cache={"enabled": True, "min_tokens_to_cache": 4096})

    assert ("below-model-minimum", "warning", "/optimization/cache/min_tokens_to_cache") not in codes(document)
    findings = check_document(document, contract_kinds(table.load(path)).named("ai-config"))
    assert [f.code for f in findings] == ["below-model-minimum"] and "8192" in findings[0].message
