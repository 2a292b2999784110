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
