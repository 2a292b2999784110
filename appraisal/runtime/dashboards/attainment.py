"""Attainment and the process/result split (issue 18's shared rule), read from the engine's
own result so every dashboard agrees with the appraisal page.

- An item's attainment is the engine's item score ÷ the item's full marks, in percent.
  Design §5 puts every item on a 0–100 scale (over-achievement above 100 up to `cap`), so
  full marks are 100 for every method and attainment respects each item's scoring.
- A **process** item is a `data` item a metric fills (bound on the cycle's scheme); a
  **result** item is any other scored quantitative (`number`) item with a target or a
  figure; rated items (ratings, choices, yes/no) are neither.
- A group's attainment is the weight-weighted mean of its items' attainments, each item
  weighted by its share of the base total (section weight × item weight), over the items
  that have a score: a blank is left out, never counted as 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from ...rules import CompiledTemplate, Item, Result

FULL_MARKS = Decimal(100)
PROCESS = "process"
RESULT = "result"
CENT = Decimal("0.01")


def to_cent(value: Decimal) -> Decimal:
    """Two decimals, halves away from zero, as every score is (design §5)."""
    return value.quantize(CENT, ROUND_HALF_UP)


def exact(value: float | Decimal | None) -> Decimal | None:
    """An engine figure (a float rounded to 2 decimals) as the decimal it prints as: 75,
    not 75.0; 81.65, not 81.650000000000005684…"""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))


def item_kind(item: Item, computed: frozenset[str] | set[str]) -> str | None:
    """`process`, `result` or None (not scored, weightless, or rated)."""
    if not item.counts:
        return None
    if item.key in computed:
        return PROCESS
    if item.type == "number" and (
        item.needs_target or item.target is not None or "data" in item.raters
    ):
        return RESULT
    return None


def scored_items(template: CompiledTemplate) -> list[Item]:
    """The items that count in the total, in the template's order: the heatmap's columns."""
    return [
        template.items[key]
        for section in template.sections
        for key in section.items
        if template.items[key].counts
    ]


def stored_number(value: object) -> Decimal | None:
    """A stored target or figure as an exact decimal; text, yes/no or nothing is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return exact(value)


def attainment(score: float | Decimal | None) -> Decimal | None:
    """An item score as a percentage of full marks, to 2 decimals (None stays None)."""
    score = exact(score)
    return None if score is None else to_cent(score * 100 / FULL_MARKS)


def weighted_mean(pairs: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    """The weight-weighted mean of the (weight, value) pairs that have a value and a weight;
    None when none has (a blank is left out, never counted as 0)."""
    total = weight = Decimal(0)
    for w, value in pairs:
        if value is None or not w:
            continue
        total += w * value
        weight += w
    return to_cent(total / weight) if weight else None


def _weights(template: CompiledTemplate) -> dict[str, Decimal]:
    return {
        key: section.weight * template.items[key].weight / 100
        for section in template.sections
        for key in section.items
    }


def group_attainment(
    template: CompiledTemplate, result: Result, keys: Iterable[str]
) -> Decimal | None:
    """Weight-weighted mean attainment of `keys` (None when none of them has a score)."""
    weights = _weights(template)
    return weighted_mean(
        (weights.get(key, Decimal(0)), attainment(result.items.get(key))) for key in keys
    )


def kinds_of(template: CompiledTemplate, computed: frozenset[str]) -> Mapping[str, list[str]]:
    """The template's process and result item keys."""
    found: dict[str, list[str]] = {PROCESS: [], RESULT: []}
    for item in scored_items(template):
        kind = item_kind(item, computed)
        if kind is not None:
            found[kind].append(item.key)
    return found
