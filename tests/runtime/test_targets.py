"""Splitting a team target: shares always add up to the total, to the cent."""

from __future__ import annotations

import pytest

from appraisal.runtime.cycles.targets import SplitRefused, split_target, sum_matches


def test_equal_split_puts_the_rounding_cent_on_one_member():
    shares = split_target(100, ["a", "b", "c"])
    # 100 / 3 = 33.333… → 33.33 each = 99.99; the remaining cent goes to the first largest
    assert shares == {"a": 33.34, "b": 33.33, "c": 33.33}
    assert sum_matches(100, list(shares.values()))


def test_proportional_split_follows_the_basis():
    # last period: 60,000 + 30,000 + 10,000 = 100,000; team target 150,000
    shares = split_target(150000, ["a", "b", "c"], {"a": 60000, "b": 30000, "c": 10000})
    assert shares == {"a": 90000.0, "b": 45000.0, "c": 15000.0}


def test_a_member_without_basis_gets_nothing():
    assert split_target(90, ["a", "b"], {"a": 3}) == {"a": 90.0, "b": 0.0}


@pytest.mark.parametrize(
    ("total", "members", "basis", "code"),
    [
        (100, [], None, "no_members"),
        (-5, ["a"], None, "negative"),
        (100, ["a", "b"], {"a": -1, "b": 2}, "negative"),
        (100, ["a", "b"], {}, "no_basis"),
    ],
)
def test_refusals(total, members, basis, code):
    with pytest.raises(SplitRefused) as refused:
        split_target(total, members, basis)
    assert refused.value.code == code


def test_sum_check():
    assert sum_matches(100, [33.34, 33.33, 33.33])
    assert not sum_matches(100, [33.33, 33.33, 33.33])


def test_tiny_shares_never_go_negative():
    """Regression: 0.05 among ten rounded each share half up to 0.01 and put the -0.05
    remainder on one member (-0.04). Largest remainder gives five members a cent each."""
    shares = split_target(0.05, list("abcdefghij"))
    assert list(shares.values()) == [0.01] * 5 + [0.0] * 5


def test_leftover_cents_go_to_the_largest_remainders():
    # 10.00 by 1 : 1 : 1 : 3 → 1.666…, 1.666…, 1.666…, 5.00 → floors 1.66 ×3 + 5.00 = 9.98;
    # two cents left go to the first two of the three equal remainders (0.00666…)
    shares = split_target(10, ["a", "b", "c", "d"], {"a": 1, "b": 1, "c": 1, "d": 3})
    assert shares == {"a": 1.67, "b": 1.67, "c": 1.66, "d": 5.0}
