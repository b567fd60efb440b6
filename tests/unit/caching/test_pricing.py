import pytest

from optctl.caching.pricing import break_even, cost
from optctl.providers.prices import Prices


def at(input_price: float) -> Prices:
    return Prices("test", input_price, None, {"5m": input_price * 1.25, "1h": input_price * 2.0}, input_price * 0.1)


def test_nothing_cached_costs_the_same_every_call_and_never_breaks_even():
    c = cost(10_000, [], at(3.0), 10)
    assert c.uncached == c.first_call == c.hit == pytest.approx(0.03)
    assert c.break_even_calls is None
    assert c.saving_over_calls == pytest.approx(0)


def test_a_5m_prefix_costs_a_write_premium_once_then_a_tenth():
    c = cost(10_000, [(8_000, "5m", False)], at(3.0), 10)
    assert c.first_call == pytest.approx((8_000 * 1.25 + 2_000) * 3e-6)
    assert c.hit == pytest.approx((8_000 * 0.1 + 2_000) * 3e-6)
    assert c.break_even_calls == 2  # 1.25x once is paid back by the first 0.9x read
    assert c.saving_over_calls == pytest.approx(10 * c.uncached - c.first_call - 9 * c.hit)


def test_mixed_ttls_bill_the_1h_part_at_2x_and_the_rest_at_1_25x():
    c = cost(10_000, [(5_000, "1h", False), (3_000, "5m", False)], at(1.0), 3)
    assert c.first_call == pytest.approx((5_000 * 2.0 + 3_000 * 1.25 + 2_000) * 1e-6)


def test_break_even_is_the_first_call_count_where_caching_is_not_dearer():
    assert break_even(1.0, 2.0, 0.1) == 3  # 2 + 0.1 = 2.1 > 2; 2 + 0.2 = 2.2 <= 3
    assert break_even(1.0, 1.0, 0.1) == 1
    assert break_even(1.0, 1.5, 1.0) is None


def test_a_segment_written_on_every_call_is_never_a_read():
    c = cost(10_000, [(6_000, "5m", False), (2_000, "5m", True)], at(1.0), 10)
    assert c.first_call == pytest.approx((8_000 * 1.25 + 2_000) * 1e-6)
    assert c.hit == pytest.approx((6_000 * 0.1 + 2_000 * 1.25 + 2_000) * 1e-6)
    always = cost(10_000, [(8_000, "5m", True)], at(1.0), 10)
    assert always.hit == always.first_call > always.uncached and always.break_even_calls is None
