"""An independent reference of design.md §5, written straight from the text in exact decimal
arithmetic, for differential tests against `appraisal.rules.score`. It covers what the packs
use (ratio, reverse ratio, bands and linear on actual or achievement, deduction, rating;
data/self/manager/hr raters, peer and subordinate groups; bonuses and deductions with
`key * k` / `key / k` formulas; `key > 0` vetoes) and assumes every required input is given.
"""

from __future__ import annotations

import itertools
import re
from decimal import ROUND_HALF_UP, Decimal

OPTIONAL = {"peer", "subordinate"}
GROUPS = {"peer": "peers", "subordinate": "subordinates"}


def dec(value) -> Decimal:
    """A typed number: JSON floats stand for their shortest decimal form."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def r2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def method_score(scoring: dict, value, target: Decimal | None, levels: dict) -> Decimal:
    method = scoring["method"]
    cap, floor = dec(scoring.get("cap", 100)), dec(scoring.get("floor", 0))
    if method == "rating":
        return dec(levels[value])
    actual = dec(value)
    if method == "ratio":
        return min(max(100 * actual / target, floor), cap)
    if method == "reverse_ratio":
        return cap if actual == 0 else min(max(100 * target / actual, floor), cap)
    x = 100 * actual / target if scoring.get("on") == "achievement" else actual
    if method == "bands":
        for band in sorted(scoring["bands"], key=lambda b: -dec(b["min"])):
            if dec(band["min"]) <= x:
                return dec(band["score"])
        return floor
    if method == "linear":
        points = [(dec(a), dec(b)) for a, b in scoring["points"]]
        if x <= points[0][0]:
            return points[0][1]
        if x >= points[-1][0]:
            return points[-1][1]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if x0 <= x <= x1:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    if method == "deduction":
        return max(floor, dec(scoring.get("base", 100)) - dec(scoring["per_unit"]) * actual)
    raise NotImplementedError(method)


def _weighted(parts: list[tuple[Decimal, Decimal]]) -> Decimal:
    return r2(sum(w * s for w, s in parts) / sum(w for w, _ in parts))


def reference_score(definition: dict, inputs: dict) -> dict:
    levels_of = {name: {lv["value"]: lv["score"] for lv in lvs} for name, lvs in
                 definition.get("scales", {}).items()}  # fmt: skip
    default_weights = definition.get("rater_weights", {})
    items, sections, section_parts = {}, {}, []
    for section in definition["sections"]:
        parts = []
        for item in section["items"]:
            scoring = item["scoring"]
            if scoring["method"] == "none":
                continue
            key = item["key"]
            target = item.get("target", inputs.get("targets", {}).get(key))
            target = None if target is None else dec(target)
            levels = levels_of.get(item.get("scale"), {})
            weights = item.get("rater_weights", default_weights)
            contributions = []
            for rater in item["raters"]:
                if rater in GROUPS:
                    given = [
                        g[key] for g in inputs.get(GROUPS[rater], []) if g.get(key) is not None
                    ]
                    if not given:
                        continue
                    scores = [r2(method_score(scoring, v, target, levels)) for v in given]
                    rater_score = r2(sum(scores) / len(scores))
                else:
                    rater_score = r2(method_score(scoring, inputs[rater][key], target, levels))
                weight = dec(weights[rater]) if len(item["raters"]) > 1 else Decimal(1)
                contributions.append((weight, rater_score))
            if not contributions:  # only optional raters, none answered: the item drops out
                items[key] = None
                continue
            items[key] = _weighted(contributions)
            if item["weight"]:
                parts.append((dec(item["weight"]), items[key]))
        sections[section["key"]] = _weighted(parts) if parts else None
        if parts and section["weight"]:
            section_parts.append((dec(section["weight"]), sections[section["key"]]))
    base_total = _weighted(section_parts)

    points, veto, adjustments = Decimal(0), None, {}
    values = {}
    for adjustment in definition.get("adjustments", []):
        value = None
        for rater in adjustment["raters"]:
            sources = inputs.get(GROUPS[rater], []) if rater in GROUPS else [inputs.get(rater, {})]
            for source in sources:
                if source.get(adjustment["key"]) is not None:
                    value = (value or 0) + dec(source[adjustment["key"]])
        values[adjustment["key"]] = value
    for adjustment in definition.get("adjustments", []):
        key, value = adjustment["key"], values[adjustment["key"]]
        if adjustment["kind"] == "veto":
            name = re.fullmatch(r"(\w+) > 0", adjustment["condition"]).group(1)
            if veto is None and values[name] is not None and values[name] > 0:
                veto = adjustment
            continue
        if value is None:  # not required and not given: no points
            adjustments[key] = Decimal(0)
            continue
        raw = value
        if "formula" in adjustment:
            name, op, k = re.fullmatch(r"(\w+) ([*/]) ([\d.]+)", adjustment["formula"]).groups()
            raw = values[name] * dec(k) if op == "*" else values[name] / dec(k)
        capped = max(Decimal(0), raw)
        if "max" in adjustment:
            capped = min(capped, dec(adjustment["max"]))
        adjustments[key] = r2(capped) if adjustment["kind"] == "bonus" else -r2(capped)
        points += adjustments[key]
    points = r2(points)
    max_total = dec(definition.get("max_total", 120))
    total = r2(min(max(base_total + points, Decimal(0)), max_total))
    grades = sorted(definition["grades"], key=lambda g: -dec(g["min"]))
    grade = veto["grade"] if veto else next(g["grade"] for g in grades if total >= dec(g["min"]))
    return {
        "items": items,
        "sections": sections,
        "base_total": base_total,
        "total": total,
        "grade": grade,
        "adjustments": adjustments,
    }
