"""Splitting a team target among its members. Pure: numbers in, numbers out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

K = TypeVar("K")
CENT = Decimal("0.01")


class SplitRefused(ValueError):
    """The split cannot be made; `code` names why (`no_members`, `negative`, `no_basis`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def split_target(
    total: float, members: Sequence[K], basis: Mapping[K, float] | None = None
) -> dict[K, float]:
    """Each member's share of `total`: equal, or in proportion to `basis` (for example last
    period's actual). Shares are rounded to cents and the rounding remainder goes to the
    largest share, so the shares always add up to the total exactly."""
    if not members:
        raise SplitRefused("no_members")
    amount = Decimal(str(total))
    if amount < 0:
        raise SplitRefused("negative")
    if basis is None:
        weights = {m: Decimal(1) for m in members}
    else:
        weights = {m: Decimal(str(basis.get(m) or 0)) for m in members}
        if any(w < 0 for w in weights.values()):
            raise SplitRefused("negative")
        if sum(weights.values()) == 0:
            raise SplitRefused("no_basis")
    weight_sum = sum(weights.values())
    shares = {
        m: (amount * weights[m] / weight_sum).quantize(CENT, rounding=ROUND_HALF_UP)
        for m in members
    }
    remainder = amount - sum(shares.values())
    if remainder:
        largest = max(members, key=lambda m: (shares[m], -members.index(m)))
        shares[largest] += remainder
    return {m: float(share) for m, share in shares.items()}


def sum_matches(total: float, shares: Sequence[float]) -> bool:
    """Whether shares add up to the team total, to the cent."""
    return Decimal(str(total)).quantize(CENT) == sum(
        (Decimal(str(s)) for s in shares), Decimal(0)
    ).quantize(CENT)
