"""Issue 14: exact scoring. Decimal results at ties and band edges, complete "missing" lists,
blanks in `and`/`or`, where rounding happens, bounds, and validation errors that name the
element; and issue 12.16c: invisible characters written as escapes in text literals."""

from __future__ import annotations

import pytest

from appraisal.rules import FormulaError, compile_formula, score, validate

GRADES = [
    {"grade": "S", "min": 95},
    {"grade": "A", "min": 85},
    {"grade": "B", "min": 70},
    {"grade": "D", "min": 0},
]


def template(items, **extra):
    definition = {
        "format": "appraisal-template/1",
        "key": "t",
        "name": "T",
        "scales": {
            "five": [
                {"value": 5, "label": "5", "score": 100},
                {"value": 3, "label": "3", "score": 70},
                {"value": 1, "label": "1", "score": 33.33},
            ]
        },
        "sections": [{"key": "main", "name": "Main", "weight": 100, "items": items}],
        "grades": GRADES,
    }
    definition.update(extra)
    return definition


def number(key, scoring, weight=100, raters=("data",), **extra):
    return {
        "key": key,
        "name": key,
        "type": "number",
        "raters": list(raters),
        "weight": weight,
        "scoring": scoring,
        **extra,
    }


# -- 14.1: decimal results at ties and band edges -------------------------------------------


def test_ratio_at_a_tie_rounds_up_to_the_next_grade():
    definition = template([number("sales", {"method": "ratio", "cap": 120})])
    result = score(definition, {"targets": {"sales": 20}, "data": {"sales": 16.999}})
    # 100 × 16.999 / 20 = 84.995 exactly → 85.00, grade A (binary floats gave 84.99, B)
    assert result.items["sales"] == 85.0 and result.total == 85.0 and result.grade == "A"


def test_achievement_exactly_on_a_band_edge_is_in_that_band():
    bands = [{"min": 95, "score": 85}, {"min": 0, "score": 70}]
    definition = template([number("x", {"method": "bands", "on": "achievement", "bands": bands})])
    result = score(definition, {"targets": {"x": 0.6}, "data": {"x": 0.57}})
    # 0.57 / 0.6 is exactly 95 % → band "≥ 95 → 85" (floats landed at 94.999… → 70)
    assert result.items["x"] == 85.0 and result.grade == "A"


def test_linear_interpolation_at_a_tie():
    definition = template([number("x", {"method": "linear", "points": [[8, 60], [24, 0]]})])
    # 60 − 60 × 13.14 / 16 = 60 − 49.275 = 10.725 → 10.73
    assert score(definition, {"data": {"x": 21.14}}).items["x"] == 10.73


def test_peer_average_at_a_tie():
    item = {
        "key": "team",
        "name": "Team",
        "type": "rating",
        "scale": "five",
        "raters": ["peer"],
        "weight": 100,
        "scoring": {"method": "rating"},
    }
    result = score(template([item]), {"peers": [{"team": 5}, {"team": 1}]})
    # (100 + 33.33) / 2 = 66.665 → 66.67
    assert result.items["team"] == 66.67
    assert result.explanations["items"]["team"]["raters"]["peer"]["score"] == 66.67


def test_bonus_points_at_a_tie():
    definition = template(
        [number("x", {"method": "ratio"}, target=100)],
        adjustments=[
            {
                "key": "training_hours",
                "kind": "bonus",
                "name": "Training",
                "raters": ["hr"],
                "formula": "training_hours * 0.35",
                "max": 5,
            }
        ],
    )
    result = score(definition, {"data": {"x": 80}, "hr": {"training_hours": 1.3}})
    # 1.3 × 0.35 = 0.455 → 0.46; 80 + 0.46 = 80.46
    assert result.adjustments == {"training_hours": 0.46}
    assert result.total == 80.46


def test_an_output_rounds_down_on_the_decimal_figures():
    definition = template(
        [number("sales", {"method": "ratio", "cap": 120})],
        outputs=[{"key": "gap", "formula": "ROUNDDOWN(sales - sales_target, 1)"}],
    )
    result = score(definition, {"targets": {"sales": 12}, "data": {"sales": 10.8}})
    assert result.outputs["gap"] == -1.2  # floats gave −1.1999… → −1.1


def test_formula_language_is_decimal_too():
    assert compile_formula("0.1 + 0.2", {}).evaluate({}) == 0.3
    assert compile_formula("ROUND(x * 0.35, 2)", {"x": "number"}).evaluate({"x": 1.3}) == 0.46
    assert compile_formula("x / 0.6 >= 0.95", {"x": "number"}).evaluate({"x": 0.57}) is True
    assert compile_formula("FLOOR(0.3, 0.1)", {}).evaluate({}) == 0.3
    # floor division and remainder keep their float meaning with negative numbers
    assert compile_formula("-7 // 2", {}).evaluate({}) == -4.0
    assert compile_formula("-7 % 2", {}).evaluate({}) == 1.0
    assert compile_formula("7 % -2", {}).evaluate({}) == -1.0
    assert compile_formula("0 ** 0", {}).evaluate({}) == 1.0


def test_a_number_literal_is_read_as_typed():
    formula = compile_formula("x * 0.1234567890123456789", {"x": "number"})
    assert formula.evaluate_exact({"x": 10}) == __import__("decimal").Decimal(
        "1.234567890123456789"
    )


# -- 14.2: inputs of computed items are listed as missing -----------------------------------


def _visit_rate():
    return template(
        [
            number("visits", {"method": "none"}, weight=0),
            number("planned", {"method": "none"}, weight=0),
            {
                "key": "visit_rate",
                "name": "Visit rate",
                "type": "number",
                "raters": [],
                "weight": 100,
                "formula": "RATIO(visits, planned) * 100",
                "scoring": {"method": "linear", "points": [[0, 0], [100, 100]]},
            },
        ]
    )


@pytest.mark.parametrize("blank", ["visits", "planned"])
def test_a_blank_input_of_a_computed_item_is_missing(blank):
    values = {"visits": 18, "planned": 20}
    del values[blank]
    result = score(_visit_rate(), {"data": values})
    assert result.items["visit_rate"] is None  # a blank never silently becomes 0
    assert result.total is None and result.grade is None and not result.complete
    assert result.missing == [blank]
    assert result.missing_inputs == [{"key": blank, "rater": "data"}]


def test_a_computed_item_with_all_inputs_scores():
    result = score(_visit_rate(), {"data": {"visits": 18, "planned": 20}})
    assert result.items["visit_rate"] == 90.0 and result.complete


def test_inputs_are_followed_through_other_computed_items():
    definition = _visit_rate()
    items = definition["sections"][0]["items"]
    items[2]["scoring"] = {"method": "none"}
    items[2]["weight"] = 0
    items.append(
        {
            "key": "score_basis",
            "name": "Basis",
            "type": "number",
            "raters": [],
            "weight": 100,
            "formula": "visit_rate",
            "scoring": {"method": "linear", "points": [[0, 0], [100, 100]]},
        }
    )
    result = score(definition, {"data": {"visits": 18}})
    assert result.missing_inputs == [{"key": "planned", "rater": "data"}]


def test_a_blank_the_formula_handles_itself_is_not_waited_for():
    definition = _visit_rate()
    definition["sections"][0]["items"][2]["formula"] = "RATIO(visits, COALESCE(planned, 20)) * 100"
    result = score(definition, {"data": {"visits": 18}})
    assert result.items["visit_rate"] == 90.0 and result.complete


def test_an_input_marked_optional_or_n_a_makes_the_computed_item_drop_out():
    definition = _visit_rate()
    definition["sections"][0]["items"][0]["required"] = False
    result = score(definition, {"data": {"planned": 20}})
    assert result.not_applicable["visit_rate"] == "an input is n/a"
    assert result.missing == [] and result.items["visit_rate"] is None


def test_a_blank_input_of_a_formula_score_or_an_adjustment_is_missing():
    definition = template(
        [
            number("calls", {"method": "none"}, weight=0),
            number("quality", {"method": "formula", "formula": "actual * 10 + calls"}),
        ],
        adjustments=[
            {
                "key": "late",
                "kind": "deduction",
                "name": "Late",
                "raters": ["hr"],
                "formula": "late * 2 + calls",
            }
        ],
    )
    result = score(definition, {"data": {"quality": 5}, "hr": {"late": 1}})
    assert result.missing_inputs == [{"key": "calls", "rater": "data"}]
    assert result.items["quality"] is None and not result.complete


# -- 14.3 and 14.4: targets -----------------------------------------------------------------


@pytest.mark.parametrize("actual", [80, None])
def test_a_target_not_above_zero_is_reported_at_the_target(actual):
    definition = template([number("sales", {"method": "ratio"})])
    result = score(definition, {"targets": {"sales": 0}, "data": {"sales": actual}})
    assert [e["where"] for e in result.errors] == ["targets.sales"]
    assert "above 0" in result.errors[0]["message"] and "大于 0" in result.errors[0]["message_zh"]
    assert result.items["sales"] is None and not result.complete


def test_both_the_target_and_the_data_rater_are_listed_when_both_are_missing():
    result = score(template([number("sales", {"method": "ratio"})]), {})
    assert result.missing_inputs == [
        {"key": "sales", "rater": "targets"},
        {"key": "sales", "rater": "data"},
    ]


# -- 14.5: blank only where it decides ------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "major_incident > 0 or safety_incidents >= 3",
        "safety_incidents >= 3 or major_incident > 0",
    ],
)
def test_a_veto_fires_when_the_given_operand_decides(condition):
    definition = template(
        [number("x", {"method": "ratio"}, target=100)],
        adjustments=[
            {
                "key": "safety_incidents",
                "kind": "deduction",
                "name": "Incidents",
                "raters": ["data"],
                "max": 10,
            },
            {
                "key": "major_incident",
                "kind": "veto",
                "name": "Major incident",
                "raters": ["hr"],
                "condition": condition,
                "grade": "D",
            },
        ],
    )
    result = score(definition, {"data": {"x": 100, "safety_incidents": 3}})
    assert result.veto == "major_incident" and result.grade == "D"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a > 0 or b > 0", True),
        ("b > 0 or a > 0", True),
        ("a < 0 and b > 0", False),
        ("b > 0 and a < 0", False),
        ("a < 0 or b > 0", None),
        ("b > 0 or a < 0", None),
        ("a > 0 and b > 0", None),
    ],
)
def test_and_or_are_blank_only_where_the_blank_decides(source, expected):
    names = {"a": "number", "b": "number"}
    assert compile_formula(source, names).evaluate({"a": 1, "b": None}) is expected


# -- 14.6: where rounding happens is in the explanations ------------------------------------


def test_the_explanations_show_each_rounding():
    definition = template(
        [
            number("sales", {"method": "ratio", "cap": 120}, weight=50),
            {
                "key": "team",
                "name": "Team",
                "type": "rating",
                "scale": "five",
                "raters": ["manager", "peer"],
                "rater_weights": {"manager": 50, "peer": 50},
                "weight": 50,
                "scoring": {"method": "rating"},
            },
        ]
    )
    result = score(
        definition,
        {
            "targets": {"sales": 20},
            "data": {"sales": 16.999},
            "manager": {"team": 3},
            "peers": [{"team": 5}, {"team": 1}],
        },
    )
    items = result.explanations["items"]
    assert items["sales"]["raters"]["data"]["how"] == (
        "100 × 16.999 / 20 = 84.995, rounded to 2 decimals: 85.00"
    )
    peer = items["team"]["raters"]["peer"]
    assert peer["how"] == (
        "average of 2 scores: (100 + 33.33) / 2 = 66.665, rounded to 2 decimals: 66.67"
    )
    assert peer["how_zh"].endswith("四舍五入到 2 位小数：66.67")
    # the item is worked from the rounded rater scores: (50 × 70 + 50 × 66.67) / 100 = 68.335
    assert items["team"]["unrounded"] == "68.335" and result.items["team"] == 68.34
    section = result.explanations["sections"]["main"]
    # (50 × 85 + 50 × 68.34) / 100 = 76.67: nothing rounded there
    assert section["value"] == 76.67 and "unrounded" not in section
    assert result.explanations["total"]["how"] == "76.67 + 0 = 76.67"


# -- 14.7: bounds ---------------------------------------------------------------------------


def test_a_formula_score_without_a_cap_is_capped_at_100():
    definition = template([number("x", {"method": "formula", "formula": "actual * 1.5"})])
    result = score(definition, {"data": {"x": 1e20}})
    assert result.items["x"] == 100.0
    assert "limited to 100" in result.explanations["items"]["x"]["raters"]["data"]["how"]
    capped = template([number("x", {"method": "formula", "formula": "actual", "cap": 130})])
    assert score(capped, {"data": {"x": 1e20}}).items["x"] == 130.0


def test_a_negative_count_on_a_deduction_item_is_refused():
    definition = template([number("incidents", {"method": "deduction", "per_unit": 25})])
    result = score(definition, {"data": {"incidents": -2}})
    assert result.items["incidents"] is None and not result.complete
    assert result.errors[0]["where"] == "data.incidents"
    assert "below the minimum 0" in result.errors[0]["message"]


def test_bounds_are_validated():
    definition = template(
        [
            number("a", {"method": "deduction", "per_unit": 5}, weight=50, min=-3),
            number("b", {"method": "formula", "formula": "actual", "floor": 120}, weight=50),
        ]
    )
    paths = {e.path for e in validate(definition)}
    assert {"sections[0].items[0].min", "sections[0].items[1].scoring.cap"} <= paths


# -- 14.8: validation errors name the element -----------------------------------------------


def test_validation_errors_name_the_element():
    definition = template(
        [
            number("sales", {"method": "ratio"}, 33.33, name={"en": "Sales", "zh": "销售额"}),
            number("visits", {"method": "ratio"}, weight=66.66),
        ],
        outputs=[{"key": "coefficient", "formula": "LOOKUP(grade, ['A'], [1.5]) +"}],
    )
    definition["sections"][0] |= {"key": "results", "name": {"en": "Results", "zh": "业绩"}}
    errors = {e.path: e for e in validate(definition)}
    weights = errors["sections[0].items"]
    assert str(weights) == (
        "sections[0] (Results results).items: weights of scored items add up to 99.99, not 100"
    )
    assert weights.text("zh") == (
        "sections[0] (业绩 results).items：计分项目权重合计为 99.99，应为 100"
    )
    assert weights.to_dict("zh")["where"] == "sections[0] (业绩 results).items"
    assert (weights.element, weights.element_zh) == ("Results results", "业绩 results")
    assert str(errors["outputs[0].formula"]).startswith("outputs[0] (coefficient).formula: ")
    definition["sections"][0]["items"][0]["weight"] = "heavy"
    named = {e.path: e for e in validate(definition)}["sections[0].items[0].weight"]
    assert named.where_zh == "sections[0] (业绩 results).items[0] (销售额 sales).weight"


# -- 12.16c: invisible characters written as escapes ----------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        r'IF(x > 0, "ok\u202e", "no")',
        r"IF(x > 0, 'a\u200bb', 'no')",
        r"IF(x > 0, 'a\N{RIGHT-TO-LEFT OVERRIDE}b', 'no')",
        r"IF(x > 0, 'a\x00b', 'no')",
        r"LOOKUP('\ufeffA', ['A'], [1])",
    ],
)
def test_escaped_invisible_characters_in_text_are_refused(source):
    with pytest.raises(FormulaError) as caught:
        compile_formula(source, {"x": "number"})
    assert caught.value.code == "bad_character" and caught.value.column is not None


def test_ordinary_escapes_in_text_still_work():
    assert compile_formula(r"'a\'b'", {}).evaluate({}) == "a'b"
    assert compile_formula(r"'\u4e2d'", {}).evaluate({}) == "中"


def test_numbers_seen_before_convert_as_the_first_time():
    from decimal import Decimal

    from appraisal.rules import numbers

    for value, expected in [
        (80, "80"),
        (80.0, "80"),
        (16.999, "16.999"),
        (-0.0, "0"),
        (1e16, "1E+16"),
        (10**16, "10000000000000000"),
    ]:
        first, again = numbers.to_decimal(value), numbers.to_decimal(value)
        assert (str(first), str(again)) == (expected, expected), value
    # equal keys of another type keep their own form: an int is never a float's decimal
    assert str(numbers.to_decimal(1e16)) == "1E+16"
    assert str(numbers.to_decimal(10**16)) == "10000000000000000"
    for refused in (True, False, float("nan"), float("inf"), 10**400):
        assert numbers.to_decimal(refused) is None
        assert numbers.to_decimal(refused) is None
    assert numbers.to_decimal(Decimal("2.50")) == Decimal("2.50")
    for i in range(numbers._SEEN_SIZE + 10):  # bounded: it starts again when full
        numbers.to_decimal(i + 0.5)
    assert len(numbers._SEEN_FLOATS) <= numbers._SEEN_SIZE
