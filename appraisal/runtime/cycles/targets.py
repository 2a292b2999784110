"""Splitting a target among its parts (a team's members, a goal node's children). Pure:
numbers in, numbers out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import TypeVar

from ...rules import CENT, CONTEXT

K = TypeVar("K")
# Cents of any figure a float holds (309 digits before the point): a target of 1e300 is typed
# as readily as one of 100000, and the engine's 28 digits cannot put it in cents.
WIDE = CONTEXT.copy()
WIDE.prec = 400


class SplitRefused(ValueError):
    """The split cannot be made; `code` names why (`no_members`, `negative`, `no_basis`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def split_exact(
    total: Decimal, members: Sequence[K], basis: Mapping[K, Decimal] | None = None
) -> dict[K, Decimal]:
    """Each member's share of `total` in cents: equal, or in proportion to `basis` (for
    example last period's actual). Largest remainder: every share is rounded down to the
    cent, then the cents left over go one each to the shares that lost most in rounding
    (the larger share, then the earlier member, on a tie), so the shares add up to the total
    exactly and none is ever negative."""
    if not members:
        raise SplitRefused("no_members")
    with localcontext(WIDE):
        return _split(total, members, basis)


def _split(
    total: Decimal, members: Sequence[K], basis: Mapping[K, Decimal] | None
) -> dict[K, Decimal]:
    amount = Decimal(total).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount < 0:
        raise SplitRefused("negative")
    if basis is None:
        weights = {m: Decimal(1) for m in members}
    else:
        weights = {m: Decimal(basis.get(m) or 0) for m in members}
        if any(w < 0 for w in weights.values()):
            raise SplitRefused("negative")
        if sum(weights.values()) == 0:
            raise SplitRefused("no_basis")
    weight_sum = sum(weights.values())
    exact = {m: amount * weights[m] / weight_sum for m in members}
    shares = {m: exact[m].quantize(CENT, rounding=ROUND_DOWN) for m in members}
    cents_left = int((amount - sum(shares.values())) / CENT)
    order = sorted(
        range(len(members)),
        key=lambda i: (-(exact[members[i]] - shares[members[i]]), -exact[members[i]], i),
    )
    for i in order[:cents_left]:
        shares[members[i]] += CENT
    return shares


def split_target(
    total: float, members: Sequence[K], basis: Mapping[K, float] | None = None
) -> dict[K, float]:
    """`split_exact` for the team grid, which works in the numbers the JSON targets hold."""
    exact_basis = None if basis is None else {m: Decimal(str(v or 0)) for m, v in basis.items()}
    shares = split_exact(Decimal(str(total)), members, exact_basis)
    return {m: float(share) for m, share in shares.items()}


def sum_matches(total: float | Decimal, shares: Sequence[float | Decimal]) -> bool:
    """Whether shares add up to the total, to the cent."""
    with localcontext(WIDE):
        return Decimal(str(total)).quantize(CENT) == sum(
            (Decimal(str(s)) for s in shares), Decimal(0)
        ).quantize(CENT)
