"""Scoring on worked examples computed by hand (design.md §5), starting with §4's template."""

import copy
import json
from pathlib import Path

import pytest

from appraisal.rules import compile_template, score

EXAMPLE = json.loads((Path(__file__).parent / "data" / "design_example.json").read_text())

FULL_INPUT = {
    "targets": {"sales": 200000},
    "data": {"sales": 250000, "collection": 90, "complaints": 1},
    "self": {"customer_care": 4},
    "manager": {"customer_care": 5, "comment": "Keeps customers happy"},
    "hr": {"award": 3, "fraud_cases": 0},
}


def test_design_example_worked_by_hand():
    result = score(EXAMPLE, FULL_INPUT)
    # sales: 100 × 250000 / 200000 = 125, capped at 120
    assert result.items["sales"] == 120.0
    # collection 90: highest band with min ≤ 90 is 85 → 80
    assert result.items["collection"] == 80.0
    # customer care: self 4 → 85, manager 5 → 100; (20 × 85 + 80 × 100) / 100 = 97
    assert result.items["customer_care"] == 97.0
    assert result.items["comment"] is None
    # results: (60 × 120 + 40 × 80) / 100 = 104; behaviour: 97 (the comment weighs 0)
    assert result.sections == {"results": 104.0, "behaviour": 97.0}
    # base: (70 × 104 + 30 × 97) / 100 = 72.8 + 29.1 = 101.9
    assert result.base_total == 101.9
    # total: 101.9 + award 3 − complaints 1 × 2 = 102.9
    assert result.adjustments == {"award": 3.0, "complaints": -2.0}
    assert result.total == 102.9
    assert result.grade == "S" and result.veto is None
    # coefficient for S is 1.5; commission 100000 × 3% + 100000 × 5% + 50000 × 8% = 12000
    assert result.outputs == {"coefficient": 1.5, "commission": 12000.0}
    assert result.complete and result.missing == []


def test_result_json_has_the_fields_of_design_section_9():
    data = score(EXAMPLE, FULL_INPUT).to_dict()
    for key in [
        "items",
        "sections",
        "base_total",
        "total",
        "grade",
        "veto",
        "outputs",
        "missing",
        "complete",
    ]:
        assert key in data
    json.dumps(data)


def test_every_figure_is_explained():
    result = score(EXAMPLE, FULL_INPUT)
    sales = result.explanations["items"]["sales"]
    assert sales["method"] == "ratio" and sales["target"] == 200000
    assert sales["raters"]["data"]["how"] == "100 × 250000 / 200000 = 125, limited to 120"
    care = result.explanations["items"]["customer_care"]["raters"]
    assert care["self"] == {
        "score": 85.0,
        "weight": 20.0,
        "value": 4,
        "how": "level 4 scores 85",
        "how_zh": "等级 4 得 85 分",
    }
    results = result.explanations["sections"]["results"]
    assert results["parts"] == [
        {"key": "sales", "weight": 60.0, "score": 120.0},
        {"key": "collection", "weight": 40.0, "score": 80.0},
    ]
    assert result.explanations["adjustments"]["complaints"]["formula"] == "complaints * 2"
    assert result.explanations["outputs"]["commission"]["inputs"] == {"sales": 250000.0}


def test_veto_forces_the_grade_whatever_the_total():
    inputs = copy.deepcopy(FULL_INPUT)
    inputs["hr"]["fraud_cases"] = 1
    result = score(EXAMPLE, inputs)
    assert result.total == 102.9 and result.grade == "D" and result.veto == "fraud_cases"
    assert result.outputs["coefficient"] == 0.0


def test_bonus_and_deduction_are_capped_and_total_is_clamped():
    inputs = copy.deepcopy(FULL_INPUT)
    inputs["hr"]["award"] = 9  # capped at 5
    inputs["data"]["complaints"] = 12  # 24 points, capped at 10
    result = score(EXAMPLE, inputs)
    assert result.adjustments == {"award": 5.0, "complaints": -10.0}
    assert result.total == 96.9  # 101.9 + 5 − 10


def test_blanks_never_count_as_zero():
    result = score(EXAMPLE, {"targets": {"sales": 200000}, "data": {"sales": 250000}})
    assert result.items["sales"] == 120.0
    assert result.items["collection"] is None
    assert result.sections["results"] is None and result.total is None and result.grade is None
    assert not result.complete
    assert result.missing == ["collection", "customer_care", "award", "complaints", "fraud_cases"]
    assert {"key": "customer_care", "rater": "manager"} in result.missing_inputs
    assert result.outputs["commission"] == 12000.0 and result.outputs["coefficient"] is None


def test_a_missing_target_is_a_missing_input():
    inputs = copy.deepcopy(FULL_INPUT)
    del inputs["targets"]
    result = score(EXAMPLE, inputs)
    assert result.items["sales"] is None
    assert {"key": "sales", "rater": "targets"} in result.missing_inputs


def _template(items, **extra):
    definition = {
        "format": "appraisal-template/1",
        "key": "t",
        "name": "T",
        "rater_weights": {"self": 10, "manager": 60, "peer": 30},
        "scales": {
            "five": [
                {"value": v, "label": str(v), "score": s}
                for v, s in [(5, 100), (4, 85), (3, 70), (2, 50), (1, 30)]
            ]
        },
        "sections": [{"key": "main", "name": "Main", "weight": 100, "items": items}],
        "grades": [{"grade": "A", "min": 90}, {"grade": "B", "min": 70}, {"grade": "C", "min": 0}],
    }
    definition.update(extra)
    return definition


def _number(key, weight, scoring, **extra):
    return {
        "key": key,
        "name": key,
        "type": "number",
        "raters": ["data"],
        "weight": weight,
        "scoring": scoring,
        **extra,
    }


@pytest.mark.parametrize(
    ("scoring", "actual", "target", "expected"),
    [
        ({"method": "ratio"}, 80, 100, 80.0),
        ({"method": "ratio"}, 130, 100, 100.0),  # default cap 100
        ({"method": "ratio", "cap": 120}, 130, 100, 120.0),
        ({"method": "ratio", "floor": 50}, 10, 100, 50.0),
        ({"method": "ratio"}, 2, 3, 66.67),  # 66.666… rounds half away to 66.67
        ({"method": "reverse_ratio"}, 5, 4, 80.0),  # 100 × 4 / 5
        ({"method": "reverse_ratio", "cap": 110}, 0, 4, 110.0),  # actual 0 → cap
        (
            {
                "method": "bands",
                "on": "achievement",
                "bands": [{"min": 100, "score": 100}, {"min": 80, "score": 70}],
            },
            90,
            100,
            70.0,
        ),
        ({"method": "bands", "bands": [{"min": 5, "score": 100}]}, 3, None, 0.0),  # floor
        ({"method": "linear", "points": [[0, 0], [80, 60], [100, 100]]}, 90, None, 80.0),
        (
            {"method": "linear", "on": "achievement", "points": [[50, 0], [100, 100]]},
            150,
            200,
            50.0,
        ),  # achievement 75 → halfway
        ({"method": "linear", "points": [[0, 0], [100, 100]]}, 150, None, 100.0),  # flat
        ({"method": "deduction", "per_unit": 20}, 2, None, 60.0),  # 100 − 20 × 2
        ({"method": "deduction", "per_unit": 20}, 9, None, 0.0),
        ({"method": "deduction", "base": 100, "per_unit": 30, "floor": 20}, 3, None, 20.0),
        (
            {"method": "formula", "formula": "MIN(actual / target, 1.5) * 100", "cap": 150},
            120,
            100,
            120.0,
        ),
        # without a cap a formula's score is capped at 100, like a ratio (issue 14.7)
        ({"method": "formula", "formula": "MIN(actual / target, 1.5) * 100"}, 120, 100, 100.0),
    ],
)
def test_scoring_methods(scoring, actual, target, expected):
    definition = _template([_number("x", 100, scoring)])
    inputs = {"data": {"x": actual}}
    if target is not None:
        inputs["targets"] = {"x": target}
    result = score(definition, inputs)
    assert result.items["x"] == expected
    assert result.sections["main"] == expected


def test_constant_target_in_the_definition():
    definition = _template([_number("x", 100, {"method": "ratio"}, target=50)])
    assert score(definition, {"data": {"x": 40}}).items["x"] == 80.0


def test_peers_are_averaged_and_their_weight_spread_when_none_answered():
    item = {
        "key": "team",
        "name": "Teamwork",
        "type": "rating",
        "scale": "five",
        "raters": ["self", "manager", "peer"],
        "weight": 100,
        "scoring": {"method": "rating"},
    }
    definition = _template([item])
    base = {"self": {"team": 5}, "manager": {"team": 4}}
    # peers 5, 3, 4 → 100, 70, 85 → average 85
    # (10 × 100 + 60 × 85 + 30 × 85) / 100 = 1000 + 5100 + 2550 = 86.5
    with_peers = score(definition, base | {"peers": [{"team": 5}, {"team": 3}, {"team": 4}]})
    assert with_peers.items["team"] == 86.5
    assert with_peers.explanations["items"]["team"]["raters"]["peer"]["scores"] == [100, 70, 85]
    # no peer answered: (10 × 100 + 60 × 85) / 70 = 6100 / 70 = 87.142… → 87.14
    without = score(definition, base | {"peers": [{}, {"team": None}]})
    assert without.items["team"] == 87.14
    assert without.complete


def test_item_rater_weights_override_the_template_default():
    item = {
        "key": "q",
        "name": "Q",
        "type": "rating",
        "scale": "five",
        "raters": ["self", "manager"],
        "rater_weights": {"self": 50, "manager": 50},
        "weight": 100,
        "scoring": {"method": "rating"},
    }
    result = score(_template([item]), {"self": {"q": 5}, "manager": {"q": 3}})
    assert result.items["q"] == 85.0  # (50 × 100 + 50 × 70) / 100


def test_not_applicable_items_drop_out_and_the_rest_is_scaled_up():
    items = [
        _number("a", 50, {"method": "ratio"}, allow_na=True),
        _number("b", 30, {"method": "ratio"}),
        _number("c", 20, {"method": "ratio"}),
    ]
    inputs = {"targets": {"a": 100, "b": 100, "c": 100}, "data": {"a": "n/a", "b": 90, "c": 60}}
    result = score(_template(items), inputs)
    # (30 × 90 + 20 × 60) / 50 = (2700 + 1200) / 50 = 78
    assert result.items["a"] is None and result.not_applicable == {"a": "marked n/a"}
    assert result.sections["main"] == 78.0 and result.complete
    assert result.explanations["sections"]["main"]["renormalised"] is True


def test_n_a_is_refused_where_not_allowed():
    items = [_number("a", 100, {"method": "ratio"})]
    result = score(_template(items), {"targets": {"a": 100}, "data": {"a": "n/a"}})
    assert result.items["a"] is None and not result.complete and result.errors


def test_hidden_items_never_count():
    items = [
        {
            "key": "has_team",
            "name": "Leads a team",
            "type": "bool",
            "raters": ["hr"],
            "weight": 0,
            "scoring": {"method": "none"},
        },
        _number("a", 50, {"method": "ratio"}, visible_if="has_team"),
        _number("b", 50, {"method": "ratio"}),
    ]
    inputs = {
        "targets": {"a": 100, "b": 100},
        "data": {"a": 100, "b": 80},
        "hr": {"has_team": False},
    }
    result = score(_template(items), inputs)
    assert result.items["a"] is None and result.not_applicable["a"] == "hidden"
    assert result.sections["main"] == 80.0
    inputs["hr"]["has_team"] = True
    assert score(_template(items), inputs).sections["main"] == 90.0


def test_a_section_with_no_applicable_item_drops_out():
    definition = _template([])
    definition["sections"] = [
        {
            "key": "s1",
            "name": "S1",
            "weight": 60,
            "items": [_number("a", 100, {"method": "ratio"}, allow_na=True)],
        },
        {
            "key": "s2",
            "name": "S2",
            "weight": 40,
            "items": [_number("b", 100, {"method": "ratio"})],
        },
    ]
    result = score(definition, {"targets": {"a": 1, "b": 100}, "data": {"a": "n/a", "b": 75}})
    assert result.sections == {"s1": None, "s2": 75.0}
    assert result.base_total == 75.0 and result.not_applicable["s1"] == "no applicable item"


def test_each_level_uses_the_rounded_figures_of_the_level_below():
    items = [_number("a", 50, {"method": "ratio"}), _number("b", 50, {"method": "ratio"})]
    inputs = {"targets": {"a": 3, "b": 3}, "data": {"a": 2, "b": 1}}
    result = score(_template(items), inputs)
    # a = 66.666… → 66.67; b = 33.333… → 33.33; section (50 × 66.67 + 50 × 33.33) / 100 = 50
    assert (result.items["a"], result.items["b"]) == (66.67, 33.33)
    assert result.sections["main"] == 50.0


def test_grade_comes_from_the_rounded_total():
    items = [_number("a", 100, {"method": "formula", "formula": "actual"})]
    result = score(_template(items), {"data": {"a": 89.995}})
    assert result.total == 90.0 and result.grade == "A"  # 89.995 rounds to 90.00 → A


def test_computed_items_use_other_items_values():
    items = [
        _number("revenue", 0, {"method": "none"}),
        _number("cost", 0, {"method": "none"}),
        {
            "key": "margin",
            "name": "Margin",
            "type": "number",
            "raters": [],
            "weight": 100,
            "formula": "(revenue - cost) / revenue * 100",
            "scoring": {
                "method": "bands",
                "bands": [{"min": 30, "score": 100}, {"min": 20, "score": 80}],
            },
        },
    ]
    result = score(_template(items), {"data": {"revenue": 1000, "cost": 750}})
    assert result.items["margin"] == 80.0  # margin 25 % → band 20
    assert result.explanations["items"]["margin"]["value"] == 25.0


def test_division_by_zero_in_a_formula_is_reported_not_raised():
    items = [
        {
            "key": "rate",
            "name": "Rate",
            "type": "number",
            "raters": ["data"],
            "weight": 100,
            "scoring": {"method": "formula", "formula": "actual / target * 100"},
        }
    ]
    result = score(_template(items), {"data": {"rate": 5}, "targets": {"rate": 0}})
    assert result.items["rate"] is None and not result.complete
    assert any("Division by zero in `rate`" in e["message"] for e in result.errors)


def test_compiled_templates_are_cached_and_reusable():
    compiled = compile_template(EXAMPLE)
    assert score(compiled, FULL_INPUT).total == score(EXAMPLE, FULL_INPUT).total == 102.9
    from appraisal.rules.scoring import compiled as cached

    assert cached(EXAMPLE) is cached(copy.deepcopy(EXAMPLE))


def test_bad_input_values_are_reported_and_left_blank():
    inputs = copy.deepcopy(FULL_INPUT)
    inputs["self"]["customer_care"] = 7  # not on the scale
    inputs["data"]["collection"] = "ninety"
    result = score(EXAMPLE, inputs)
    assert result.items["customer_care"] is None and result.items["collection"] is None
    wheres = {e["where"] for e in result.errors}
    assert {"self.customer_care", "data.collection"} <= wheres


def test_a_calibrated_grade_replaces_the_computed_one_and_drives_the_outputs():
    definition = {
        "format": "appraisal-template/1",
        "key": "t",
        "name": "T",
        "sections": [
            {
                "key": "s",
                "name": "S",
                "weight": 100,
                "items": [
                    {
                        "key": "x",
                        "name": "X",
                        "type": "number",
                        "raters": ["data"],
                        "weight": 100,
                        "target": 100,
                        "scoring": {"method": "ratio", "cap": 120},
                    },
                ],
            },
        ],
        "grades": [{"grade": "S", "min": 95}, {"grade": "A", "min": 85}, {"grade": "D", "min": 0}],
        "outputs": [
            {"key": "coefficient", "formula": "LOOKUP(grade, ['S', 'A', 'D'], [1.5, 1.2, 0])"}
        ],
    }
    computed = score(definition, {"data": {"x": 100}})
    calibrated = score(definition, {"data": {"x": 100}}, calibrated_grade="A")
    assert (computed.grade, computed.outputs["coefficient"]) == ("S", 1.5)
    assert (calibrated.total, calibrated.grade, calibrated.outputs["coefficient"]) == (
        100,
        "A",
        1.2,
    )
    assert calibrated.explanations["grade"]["computed"] == "S"
    assert calibrated.explanations["grade"]["calibrated"] == "A"


def test_every_explanation_reads_in_chinese_too():
    definition = {
        "format": "appraisal-template/1",
        "key": "t",
        "name": "T",
        "scales": {
            "five": [
                {"value": 5, "label": "Top", "score": 100},
                {"value": 1, "label": "Low", "score": 30},
            ]
        },
        "sections": [
            {
                "key": "s",
                "name": "S",
                "weight": 100,
                "items": [
                    {
                        "key": "r",
                        "name": "R",
                        "type": "number",
                        "raters": ["data"],
                        "weight": 25,
                        "scoring": {"method": "ratio", "cap": 120},
                    },
                    {
                        "key": "b",
                        "name": "B",
                        "type": "number",
                        "raters": ["data"],
                        "weight": 25,
                        "scoring": {
                            "method": "bands",
                            "on": "actual",
                            "bands": [{"min": 90, "score": 100}, {"min": 0, "score": 40}],
                        },
                    },
                    {
                        "key": "l",
                        "name": "L",
                        "type": "number",
                        "raters": ["data"],
                        "weight": 25,
                        "scoring": {
                            "method": "linear",
                            "on": "actual",
                            "points": [[0, 100], [10, 0]],
                        },
                    },
                    {
                        "key": "q",
                        "name": "Q",
                        "type": "rating",
                        "scale": "five",
                        "raters": ["manager", "peer"],
                        "rater_weights": {"manager": 50, "peer": 50},
                        "weight": 25,
                        "scoring": {"method": "rating"},
                    },
                ],
            },
        ],
        "grades": [{"grade": "A", "min": 0}],
    }
    result = score(
        definition,
        {
            "targets": {"r": 100},
            "data": {"r": 150, "b": 95, "l": 5},
            "manager": {"q": 5},
            "peers": [{"q": 5}, {"q": 1}],
        },
    )
    items = result.explanations["items"]
    assert items["r"]["raters"]["data"]["how_zh"] == "100 × 150 / 100 = 150，限定为 120"
    assert items["b"]["raters"]["data"]["how_zh"] == "实际值 95；90 以上档得 100 分"
    assert items["l"]["raters"]["data"]["how_zh"] == "实际值 5；在 (0, 100) → (10, 0) 之间插值 → 50"
    assert items["q"]["raters"]["manager"]["how_zh"] == "等级 5 得 100 分"
    assert items["q"]["raters"]["peer"]["how_zh"] == "2 个评分的平均值"
    assert items["r"]["raters"]["data"]["how"] == "100 × 150 / 100 = 150, limited to 120"
