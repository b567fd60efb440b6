import json

import pytest

from optctl.providers import rules as table
from optctl.errors import UsageError


@pytest.mark.parametrize(
    "model, family",
    [
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-opus-4-20250514", "claude-opus-4"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("Claude-Haiku-4-5", "claude-haiku-4-5"),
    ],
)
def test_model_ids_people_send_find_their_family(rules, model, family):
    assert rules.model(model).family == family


@pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4-50", "claude", ""])
def test_unknown_models_are_none_not_a_near_miss(rules, model):
    assert rules.model(model) is None


def test_the_questions_validate_asks_answer_from_the_table(rules):
    assert rules.min_cacheable_tokens("claude-sonnet-4-5-20250929") == rules.model("claude-sonnet-4-5").min_cacheable_tokens
    assert rules.min_cacheable_tokens("claude-haiku-4-5") == 4096
    assert rules.min_cacheable_tokens("gpt-4o") is None
    assert rules.supports_markers("anthropic") is True
    assert rules.supports_markers("bedrock") is False
    assert rules.supports_markers("nobody") is False
    assert rules.offered_ttls("anthropic") == [300, 3600]
    assert rules.offered_ttls("openai") == []


def test_every_entry_is_dated_and_sourced(rules):
    for model in rules.models:
        assert model.as_of and model.source
    for section in ("providers", "pricing"):
        for entry in rules.raw[section].values():
            assert entry["as_of"] and entry["source"]


def test_a_models_file_overrides_the_table(tmp_path, rules):
    raw = json.loads(json.dumps(rules.raw))
    raw["models"][0]["min_cacheable_tokens"] = 7
    path = tmp_path / "models.json"
    path.write_text(json.dumps(raw))
    assert table.load(path).models[0].min_cacheable_tokens == 7


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"pricing": {}, "providers": {}, "clients": {}, "tokenizers": {}, "content": {}}', "'models'"),
    ],
)
def test_a_broken_models_file_is_one_line_naming_it(tmp_path, content, fragment):
    path = tmp_path / "models.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=fragment) as err:
        table.load(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_model_entry_with_a_wrong_type_is_named(tmp_path, rules):
    raw = json.loads(json.dumps(rules.raw))
    raw["models"][2]["min_cacheable_tokens"] = "1024"
    path = tmp_path / "models.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(UsageError, match=r"models\[2\]\.min_cacheable_tokens"):
        table.load(path)


def test_a_tokenizer_on_an_encoding_optctl_does_not_ship_is_refused(tmp_path, rules):
    raw = json.loads(json.dumps(rules.raw))
    raw["tokenizers"]["claude"]["base_encoding"] = "cl100k_base"
    path = tmp_path / "models.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(UsageError, match="tokenizers.claude.base_encoding"):
        table.load(path)


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda raw: raw["providers"]["anthropic"].pop("max_breakpoints"), "providers.anthropic.max_breakpoints"),
        (lambda raw: raw["providers"]["anthropic"].update(default_ttl="10m"), "default_ttl"),
        (lambda raw: raw["pricing"]["anthropic"].pop("cache_write_1h"), "pricing.anthropic.cache_write_1h"),
        (lambda raw: raw["pricing"].pop("anthropic"), "pricing.anthropic must be an object"),
    ],
)
def test_a_marker_provider_without_its_rules_is_refused(tmp_path, rules, damage, fragment):
    raw = json.loads(json.dumps(rules.raw))
    damage(raw)
    path = tmp_path / "models.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(UsageError, match=fragment):
        table.load(path)
