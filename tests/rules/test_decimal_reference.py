"""Differential property tests: the engine against an independent decimal reference of
design §5 (`reference.py`), on the ten pack templates and on generated one-item templates,
with inputs drawn to land on ties and band edges; and the formula language against Decimal
arithmetic. Every figure must be the exact decimal, so a grade or a band never moves."""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.rules import compile_formula, score

from .reference import dec, reference_score

PACKS = sorted((Path(__file__).parents[2] / "seed_templates").glob("*/templates/*.json"))
TEMPLATES = {path.stem: json.loads(path.read_text()) for path in PACKS}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decimals(low, high, places):
    return st.decimals(low, high, places=places, allow_nan=False, allow_infinity=False)


def typed(value: Decimal) -> float | int:
    """What JSON gives for a number a person typed."""
    return int(value) if value == value.to_integral_value() else float(value)


@st.composite
def edge_or_any(draw, edges, low, high):
    """A value on an edge people draw (a band's minimum, a point) or anywhere in a range."""
    if edges and draw(st.booleans()):
        return dec(draw(st.sampled_from(edges)))
    return draw(decimals(low, high, draw(st.integers(0, 3))))


@st.composite
def figure(draw, item):
    """An actual (and its target, where the method needs one) for a number item."""
    scoring = item["scoring"]
    edges = [b["min"] for b in scoring.get("bands", [])] + [p[0] for p in scoring.get("points", [])]
    needs_target = scoring["method"] in ("ratio", "reverse_ratio") or (
        scoring.get("on") == "achievement"
    )
    if scoring["method"] == "deduction":
        return draw(st.integers(0, 8)), None
    if not needs_target:
        return typed(draw(edge_or_any(edges, -10, 200))), None
    target = draw(decimals(Decimal("0.5"), 10**6, draw(st.integers(0, 2))))
    if target == 0:
        target = Decimal(1)
    percent = draw(edge_or_any(edges or [80, 95, 100, 120], 0, 160))
    actual = (target * percent / 100).normalize()
    if len(actual.as_tuple().digits) > 14:  # not something a person types: keep it short
        actual = actual.quantize(Decimal("0.001"))
    return typed(actual), typed(target)


@st.composite
def appraisal_inputs(draw, definition):
    scales = {k: [lv["value"] for lv in v] for k, v in definition.get("scales", {}).items()}
    inputs: dict = {"targets": {}, "data": {}, "self": {}, "manager": {}, "hr": {}}
    inputs |= {"peers": [{} for _ in range(draw(st.integers(0, 3)))]}
    inputs |= {"subordinates": [{} for _ in range(draw(st.integers(0, 3)))]}
    for section in definition["sections"]:
        for item in section["items"]:
            key = item["key"]
            if item["scoring"]["method"] == "none":
                continue
            for rater in item["raters"]:
                if item["type"] == "rating":
                    pick = st.sampled_from(scales[item["scale"]])
                    if rater in ("peer", "subordinate"):
                        for group in inputs[rater + "s"]:
                            group[key] = draw(pick)
                    else:
                        inputs[rater][key] = draw(pick)
                else:
                    actual, target = draw(figure(item))
                    inputs[rater][key] = actual
                    if target is not None and "target" not in item:
                        inputs["targets"][key] = target
    for adjustment in definition.get("adjustments", []):
        if adjustment.get("required", True) or draw(st.booleans()):
            count = (
                st.integers(0, 4)
                if adjustment["kind"] == "veto"
                else st.one_of(st.integers(0, 6), decimals(0, 30, 2).map(typed))
            )
            inputs[adjustment["raters"][0]][adjustment["key"]] = draw(count)
    return inputs


def as_decimal(value):
    return None if value is None else Decimal(repr(value))


def assert_matches(result, expected):
    assert not result.errors, result.errors
    for key, value in expected["items"].items():
        assert as_decimal(result.items[key]) == value, key
    for key, value in expected["sections"].items():
        assert as_decimal(result.sections[key]) == value, key
    assert {k: as_decimal(v) for k, v in result.adjustments.items()} == expected["adjustments"]
    assert as_decimal(result.base_total) == expected["base_total"]
    assert as_decimal(result.total) == expected["total"]
    assert result.grade == expected["grade"]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_pack_templates_score_as_the_decimal_reference(name):
    definition = TEMPLATES[name]

    @SETTINGS
    @given(inputs=appraisal_inputs(definition))
    def check(inputs):
        assert_matches(score(definition, inputs), reference_score(definition, inputs))

    check()


def test_the_ten_pack_templates_are_all_covered():
    assert len(TEMPLATES) == 10


@st.composite
def one_item_templates(draw):
    """A one-item template with a method and its numbers drawn at random."""
    method = draw(st.sampled_from(["ratio", "reverse_ratio", "bands", "linear", "deduction"]))
    scoring: dict = {"method": method}
    small = decimals(0, 150, 2).map(typed)
    if method in ("ratio", "reverse_ratio"):
        floor = draw(decimals(0, 60, 2))
        scoring |= {"floor": typed(floor), "cap": typed(floor + draw(decimals(1, 90, 2)))}
    elif method in ("bands", "linear"):
        scoring["on"] = draw(st.sampled_from(["actual", "achievement"]))
        xs = sorted(set(draw(st.lists(decimals(0, 150, 3), min_size=2, max_size=5))))
        if len(xs) < 2:
            xs = [Decimal(0), Decimal(100)]
        if method == "bands":
            scoring["bands"] = [{"min": typed(x), "score": draw(small)} for x in xs]
        else:
            scoring["points"] = [[typed(x), draw(small)] for x in xs]
    else:
        scoring |= {"per_unit": typed(draw(decimals("0.01", 40, 2))), "base": 100}
    item = {
        "key": "x",
        "name": "X",
        "type": "number",
        "raters": ["data"],
        "weight": 100,
        "scoring": scoring,
    }
    grades = sorted({draw(decimals(1, 100, 2)) for _ in range(3)}, reverse=True)
    return {
        "format": "appraisal-template/1",
        "key": "gen",
        "name": "Generated",
        "sections": [{"key": "s", "name": "S", "weight": 100, "items": [item]}],
        "adjustments": [
            {
                "key": "bonus",
                "kind": "bonus",
                "name": "B",
                "raters": ["hr"],
                "formula": "bonus * 0.35",
            }
        ],
        "grades": [{"grade": f"G{i}", "min": typed(m)} for i, m in enumerate(grades)]
        + [{"grade": "Z", "min": 0}],
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_templates_score_as_the_decimal_reference(data):
    definition = data.draw(one_item_templates())
    item = definition["sections"][0]["items"][0]
    actual, target = data.draw(figure(item))
    inputs = {"data": {"x": actual}, "hr": {"bonus": data.draw(decimals(0, 9, 1).map(typed))}}
    if target is not None:
        inputs["targets"] = {"x": target}
    assert_matches(score(definition, inputs), reference_score(definition, inputs))


# -- the formula language against Decimal arithmetic ----------------------------------------

OPERATORS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}
ROUNDINGS = {"ROUND": ROUND_HALF_UP, "ROUNDUP": ROUND_UP, "ROUNDDOWN": ROUND_DOWN}


@st.composite
def expressions(draw, depth=0):
    """(formula text, exact Decimal value) of an arithmetic expression over typed decimals."""
    if depth >= 3 or draw(st.booleans()):
        value = draw(decimals(-1000, 1000, draw(st.integers(0, 3))))
        return (f"({value})" if value < 0 else str(value)), value
    left_text, left = draw(expressions(depth + 1))
    right_text, right = draw(expressions(depth + 1))
    op = draw(st.sampled_from(sorted(OPERATORS)))
    if op == "/" and right == 0:
        op = "*"
    return f"({left_text} {op} {right_text})", OPERATORS[op](left, right)


@settings(max_examples=500, deadline=None)
@given(
    expression=expressions(),
    function=st.sampled_from(sorted(ROUNDINGS)),
    digits=st.integers(0, 2),
)
def test_rounding_a_formula_gives_the_decimal_answer(expression, function, digits):
    text, exact = expression
    expected = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUNDINGS[function])
    result = compile_formula(f"{function}({text}, {digits})", {}).evaluate_exact({})
    assert result == expected


@settings(max_examples=300, deadline=None)
@given(expression=expressions(), edge=decimals(-1000, 1000, 2))
def test_comparisons_in_formulas_give_the_decimal_answer(expression, edge):
    text, exact = expression
    names = {"x": "number"}
    assert compile_formula(f"{text} >= x", names).evaluate({"x": typed(edge)}) is (exact >= edge)
    assert compile_formula(f"{text} == x", names).evaluate({"x": typed(edge)}) is (exact == edge)
