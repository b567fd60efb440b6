"""Today's families, each with its own prices, window, minimum and status; prices of usage records."""

import pytest

from optctl.providers import prices, rules as table
from optctl.providers.prices import Usage

FAMILIES = [
    "claude-opus-4-7",
    "claude-opus-4-8",
    "claude-opus-5",
    "claude-opus-5-5",
    "claude-sonnet-5",
    "claude-sonnet-5-5",
    "claude-haiku-5-5",
    "claude-fable-5",
    "claude-fable-5-1",
    "claude-mythos-5",
    "claude-mythos-5-1",
]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_now_sold_is_in_the_table_dated_and_sourced(rules, family):
    model = rules.model(f"{family}-20261101")
    assert model is not None and model.family == family
    assert model.as_of and model.source and model.status == "available"
    assert prices.of_model(rules, model) is not None


# (input, 5m write, 1h write, read, output) per million tokens, from the reference's price list.
@pytest.mark.parametrize(
    "family, expected",
    [
        ("claude-fable-5-1", (10, 12.5, 20, 0.25, 50)),
        ("claude-mythos-5-1", (10, 12.5, 20, 0.25, 50)),
        ("claude-fable-5", (10, 12.5, 20, 1, 50)),
        ("claude-mythos-5", (10, 12.5, 20, 1, 50)),
        ("claude-opus-5", (5, 6.25, 10, 0.5, 25)),
        ("claude-opus-4-8", (5, 6.25, 10, 0.5, 25)),
        ("claude-opus-4-7", (5, 6.25, 10, 0.5, 25)),
        ("claude-sonnet-5", (2, 2.5, 4, 0.2, 10)),
        ("claude-sonnet-5-5", (2, 2.5, 4, 0.1, 10)),
        ("claude-opus-5-5", (4, 5, 8, 0.2, 20)),
        ("claude-haiku-5-5", (0.10, 0.125, 0.20, 0.01, 0.50)),
    ],
)
def test_each_family_has_its_own_five_prices(rules, family, expected):
    p = prices.for_model(rules, family)
    assert (p.input, p.write["5m"], p.write["1h"], p.read, p.output) == pytest.approx(expected)


def test_haiku_5_5_costs_its_higher_tier_above_100k_token_prompts(rules):
    small, large = (prices.for_model(rules, "claude-haiku-5-5", tokens) for tokens in (100_000, 100_001))
    assert (small.input, small.read, small.output) == pytest.approx((0.10, 0.01, 0.50))
    assert (large.input, large.write["5m"], large.write["1h"], large.read, large.output) == pytest.approx(
        (0.50, 0.625, 1.00, 0.05, 2.50)
    )


def test_sonnet_5_5_read_price_before_its_change_is_the_old_one(rules):
    assert prices.for_model(rules, "claude-sonnet-5-5", on="2026-10-06").read == pytest.approx(0.20)
    assert prices.for_model(rules, "claude-sonnet-5-5", on="2026-10-07").read == pytest.approx(0.10)


@pytest.mark.parametrize(
    "family, window",
    [
        ("claude-opus-5", 1_000_000),
        ("claude-sonnet-5", 1_000_000),
        ("claude-sonnet-5-5", 1_000_000),
        ("claude-opus-5-5", 1_000_000),
        ("claude-fable-5-1", 1_000_000),
        ("claude-haiku-5-5", 1_000_000),
    ],
)
def test_one_million_token_windows(rules, family, window):
    assert rules.model(family).context_window == window


@pytest.mark.parametrize("family", ["claude-opus-4", "claude-opus-4-1"])
def test_opus_4_and_4_1_are_retired_on_the_first_party_api(rules, family):
    model = rules.model(family)
    assert model.retired and "first-party" in model.status_note


def test_conflicting_minimums_list_every_source_and_explain_the_choice(rules):
    for model in rules.models:
        quoted = {q["tokens"] for q in model.min_cacheable_sources}
        if len(quoted) > 1:
            assert model.min_cacheable_tokens in quoted and model.min_cacheable_choice, model.family
    assert {q["tokens"] for q in rules.model("claude-opus-4-7").min_cacheable_sources} == {2048, 4096}
    assert {q["tokens"] for q in rules.model("claude-fable-5").min_cacheable_sources} == {512, 2048}
    assert {q["tokens"] for q in rules.model("claude-sonnet-4-6").min_cacheable_sources} == {1024, 2048}


def test_usage_cost_is_each_field_at_its_price(rules):
    usage = Usage(input_tokens=1_000, cache_write_5m=2_000, cache_write_1h=3_000, cache_read=4_000, output_tokens=500)
    expected = (1_000 * 5 + 2_000 * 6.25 + 3_000 * 10 + 4_000 * 0.5 + 500 * 25) / 1e6
    assert prices.usage_cost(rules, "claude-opus-5-20261101", usage) == pytest.approx(expected)
    assert prices.usage_cost(rules, "gpt-4o", usage) is None


def test_usage_cost_takes_the_tier_of_the_records_own_prompt_size(rules):
    small = Usage(input_tokens=60_000, cache_read=40_000)
    large = Usage(input_tokens=60_000, cache_read=40_001)
    assert prices.usage_cost(rules, "claude-haiku-5-5", small) == pytest.approx((60_000 * 0.10 + 40_000 * 0.01) / 1e6)
    assert prices.usage_cost(rules, "claude-haiku-5-5", large) == pytest.approx((60_000 * 0.50 + 40_001 * 0.05) / 1e6)


def test_a_models_file_expresses_per_model_multipliers_tiers_changes_and_status(models_file, rules):
    def edit(raw):
        entry = next(m for m in raw["models"] if m["family"] == "claude-sonnet-4-5")
        entry.update(
            cache_multipliers={"cache_write_5m": 1.5, "cache_write_1h": 3.0, "cache_read": 0.2},
            price_tiers=[{"above_prompt_tokens": 200_000, "input_per_mtok": 6.0, "output_per_mtok": 22.5}],
            price_changes=[{"before": "2026-01-01", "cache_multipliers": {"cache_read": 0.3}}],
            status="retired",
            status_note="gone",
        )

    loaded = table.load(models_file(edit))
    model = loaded.model("claude-sonnet-4-5")
    assert model.retired
    p = prices.of_model(loaded, model)
    assert (p.write["5m"], p.write["1h"], p.read) == pytest.approx((4.5, 9.0, 0.6))
    assert prices.of_model(loaded, model, 200_001).input == 6.0
    assert prices.of_model(loaded, model, on="2025-12-31").read == pytest.approx(0.9)


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda m: m.update(status="gone"), "status must be one of"),
        (lambda m: m.update(cache_multipliers={"cache_read": "0.1"}), "cache_multipliers.cache_read"),
        (lambda m: m.update(price_tiers=[{"above_prompt_tokens": 1}]), r"price_tiers\[0\].input_per_mtok"),
        (lambda m: m.update(price_changes=[{"before": "soon", "cache_multipliers": {}}]), "before must be a date"),
    ],
)
def test_a_malformed_model_price_field_is_named(models_file, edit, fragment):
    from optctl.errors import UsageError

    with pytest.raises(UsageError, match=fragment):
        table.load(models_file(lambda raw: edit(raw["models"][0])))
