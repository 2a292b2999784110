"""The one attainment rule every dashboard uses: exact decimals, halves rounded away from
zero as a person rounds (design §5), blanks left out of a mean rather than read as 0."""

from __future__ import annotations

from decimal import Decimal

from appraisal.runtime.dashboards.attainment import attainment, exact, weighted_mean


def test_an_engine_float_becomes_the_decimal_it_prints_as():
    assert exact(81.65) == Decimal("81.65") and exact(75.0) == Decimal(75)
    assert exact(None) is None and exact(Decimal("1.5")) == Decimal("1.5")
    assert attainment(81.65) == Decimal("81.65") and attainment(None) is None


def test_a_mean_at_half_a_cent_rounds_up_and_blanks_are_left_out():
    d = Decimal
    assert weighted_mean([(d(1), d("80.00")), (d(1), d("80.01"))]) == d("80.01")  # 80.005
    assert weighted_mean([(d(1), d("-80.00")), (d(1), d("-80.01"))]) == d("-80.01")
    assert weighted_mean([(d(30), d(100)), (d(70), None), (d(0), d(5))]) == d(100)
    assert weighted_mean([(d(1), None)]) is None


def test_a_float_sum_from_the_database_averages_as_its_printed_decimal():
    """SQLite sums a decimal column as a float: 80.385 must round up to 80.39, not fall to
    80.38 through the float's binary expansion (Decimal(80.385) is 80.38499…)."""
    from appraisal.runtime.dashboards.organization import average_total

    assert average_total(80.385, 1) == Decimal("80.39")
    assert average_total(Decimal("160.77"), 2) == Decimal("80.39")  # 80.385, PostgreSQL's Decimal
    assert average_total(None, 3) is None and average_total(Decimal(5), 0) is None
