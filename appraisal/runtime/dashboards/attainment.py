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
from decimal import Decimal

from ...rules import CompiledTemplate, Item, Result

FULL_MARKS = Decimal(100)
PROCESS = "process"
RESULT = "result"
_PLACES = Decimal("0.01")


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


def attainment(score: float | Decimal | None) -> Decimal | None:
    """An item score as a percentage of full marks, to 2 decimals (None stays None)."""
    if score is None:
        return None
    return (Decimal(str(score)) * 100 / FULL_MARKS).quantize(_PLACES)


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
    total = weight = Decimal(0)
    for key in keys:
        score = attainment(result.items.get(key))
        if score is None or not weights.get(key):
            continue
        total += weights[key] * score
        weight += weights[key]
    return (total / weight).quantize(_PLACES) if weight else None


def kinds_of(template: CompiledTemplate, computed: frozenset[str]) -> Mapping[str, list[str]]:
    """The template's process and result item keys."""
    found: dict[str, list[str]] = {PROCESS: [], RESULT: []}
    for item in scored_items(template):
        kind = item_kind(item, computed)
        if kind is not None:
            found[kind].append(item.key)
    return found
