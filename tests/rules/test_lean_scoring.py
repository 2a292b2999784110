"""A result read only for its figures (lists, exports, calibration, payroll, sweeps) skips
the explanations, which are worked out from the same inputs when first read: every figure,
grade and flag must be the same as when they are built at once, on the pack templates and a
template using every method, peer and subordinate groups, computed items and formula scoring,
bonus, deduction and veto, N/A, hidden and optional items, rounding and grade band edges."""

from __future__ import annotations

import copy
import dataclasses
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.rules import compile_template, score, validate
from appraisal.rules import scoring as engine

from .test_decimal_reference import TEMPLATES, appraisal_inputs

FIGURES = (
    "items",
    "sections",
    "base_total",
    "total",
    "grade",
    "veto",
    "outputs",
    "missing",
    "complete",
    "missing_inputs",
    "not_applicable",
    "adjustments",
    "errors",
    "computed_grade",
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIVE = [
    {"value": v, "label": str(v), "score": s}
    for v, s in [(5, 100), (4, 85), (3, 70.5), (2, 50), (1, 30)]
]


def _item(key: str, weight: float, scoring: dict, **extra) -> dict:
    base = {"key": key, "name": key, "type": "number", "raters": ["data"], "weight": weight}
    return base | {"scoring": scoring} | extra


RICH = {
    "format": "appraisal-template/1",
    "key": "rich",
    "name": "Every feature",
    "rater_weights": {"self": 15, "manager": 55, "peer": 20, "subordinate": 10},
    "scales": {"five": FIVE},
    "sections": [
        {
            "key": "results",
            "name": "Results",
            "weight": 55.5,
            "items": [
                _item("sales", 25, {"method": "ratio", "cap": 120}),
                _item("cost", 15, {"method": "reverse_ratio", "floor": 10}, allow_na=True),
                _item(
                    "collection",
                    15,
                    {
                        "method": "bands",
                        "on": "achievement",
                        "bands": [{"min": 95, "score": 100}, {"min": 85.5, "score": 80}],
                        "floor": 20,
                    },
                ),
                _item(
                    "visits",
                    15,
                    {"method": "linear", "points": [[0, 0], [33.3, 60], [100, 100]]},
                    required=False,
                ),
                _item("incidents", 10, {"method": "deduction", "per_unit": 12.5}),
                _item(
                    "margin",
                    10,
                    {"method": "formula", "formula": "actual / target * 100 + sales / 10000"},
                    visible_if="sales > 0",
                ),
                {
                    "key": "yield_rate",
                    "name": "Yield",
                    "type": "number",
                    "raters": [],
                    "weight": 10,
                    "formula": "RATIO(sales, sales_target, 0) * 100",
                    "scoring": {"method": "ratio", "cap": 110},
                    "target": 90,
                },
            ],
        },
        {
            "key": "behaviour",
            "name": "Behaviour",
            "weight": 44.5,
            "items": [
                {
                    "key": "care",
                    "name": "Care",
                    "type": "rating",
                    "scale": "five",
                    "raters": ["self", "manager", "peer", "subordinate"],
                    "weight": 60,
                    "scoring": {"method": "rating"},
                    "allow_na": True,
                },
                {
                    "key": "style",
                    "name": "Style",
                    "type": "choice",
                    "choices": [
                        {"value": "calm", "label": "Calm", "score": 90},
                        {"value": "rushed", "label": "Rushed", "score": 45.5},
                    ],
                    "raters": ["manager"],
                    "weight": 40,
                    "scoring": {"method": "rating"},
                },
                {
                    "key": "note",
                    "name": "Note",
                    "type": "text",
                    "raters": ["manager"],
                    "weight": 0,
                    "scoring": {"method": "none"},
                    "required": False,
                },
            ],
        },
    ],
    "adjustments": [
        {"key": "award", "kind": "bonus", "name": "Award", "raters": ["hr"], "max": 5},
        {
            "key": "complaints",
            "kind": "deduction",
            "name": "Complaints",
            "raters": ["data"],
            "formula": "complaints * 2.5",
            "max": 10,
        },
        {
            "key": "extra",
            "kind": "bonus",
            "name": "Extra",
            "raters": ["manager"],
            "required": False,
        },
        {
            "key": "fraud",
            "kind": "veto",
            "name": "Fraud",
            "raters": ["hr"],
            "condition": "fraud > 0",
            "grade": "D",
        },
    ],
    "grades": [
        {"grade": "S", "min": 95},
        {"grade": "A", "min": 85.55},
        {"grade": "B", "min": 70},
        {"grade": "C", "min": 60},
        {"grade": "D", "min": 0},
    ],
    "outputs": [
        {
            "key": "coefficient",
            "formula": "LOOKUP(grade, ['S','A','B','C','D'], [1.5, 1.2, 1, 0.8, 0])",
        },
        {"key": "pay", "formula": "ROUND(coefficient * total * 13.37, 2)"},
    ],
}
ALL_TEMPLATES = {**TEMPLATES, "rich": RICH}


def _figures(result) -> dict:
    return {name: getattr(result, name) for name in FIGURES}


def assert_same(template, inputs, calibrated=None) -> None:
    kept = copy.deepcopy(inputs)
    lean = score(template, inputs, calibrated)
    full = score(template, kept, calibrated, explain=True)
    assert _figures(lean) == _figures(full)
    assert lean.computed_grade == full.explanations["grade"]["computed"]
    assert lean.explanations == full.explanations
    assert lean == full


@st.composite
def touched_inputs(draw, definition):
    """Inputs as `appraisal_inputs` draws them, some then left blank or marked n/a."""
    inputs = draw(appraisal_inputs(definition))
    for part in ("data", "self", "manager", "hr", "targets"):
        for key in list(inputs[part]):
            fate = draw(st.sampled_from(["keep"] * 6 + ["blank", "na", "wrong"]))
            if fate == "blank":
                del inputs[part][key]
            elif fate == "na":
                inputs[part][key] = "n/a"
            elif fate == "wrong":
                inputs[part][key] = draw(st.sampled_from([None, "x", True, -1, 0]))
    return inputs


def test_the_rich_template_is_valid_and_uses_every_method():
    assert validate(RICH) == []
    template = compile_template(RICH)
    from appraisal.rules.methods import METHODS

    assert {item.scoring.method for item in template.items.values()} == set(METHODS)


@pytest.mark.parametrize("name", sorted(ALL_TEMPLATES))
def test_lean_and_explained_results_are_identical(name):
    template = compile_template(ALL_TEMPLATES[name])

    @SETTINGS
    @given(inputs=touched_inputs(ALL_TEMPLATES[name]), calibrated=st.sampled_from([None, "B"]))
    def check(inputs, calibrated):
        assert_same(template, inputs, calibrated)

    check()


RICH_INPUTS = {
    "targets": {"sales": 100000, "cost": 50, "collection": 200, "margin": 40},
    "data": {
        "sales": 99995,
        "cost": 0,
        "collection": 171,
        "visits": 66.65,
        "incidents": 3,
        "margin": 39.98,
        "complaints": 1.3,
    },
    "self": {"care": 4},
    "manager": {"care": 3, "style": "rushed", "note": "ok", "extra": 0.005},
    "peers": [{"care": 5}, {"care": 2}, {"care": "n/a"}],
    "subordinates": [{"care": 1}],
    "hr": {"award": 7, "fraud": 0},
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"hr": {"award": 7, "fraud": 1}},  # the veto fires
        {"data": {**RICH_INPUTS["data"], "sales": 0}},  # margin hidden, cost divides by 0
        {"self": {"care": "n/a"}, "manager": {"care": "n/a", "style": "calm"}},
        {"targets": {"sales": 0}},  # a target that cannot divide
        {"data": {}},  # waiting for figures
    ],
)
def test_hand_picked_cases_are_identical(change):
    inputs = RICH_INPUTS | change
    assert_same(compile_template(RICH), inputs)
    assert_same(RICH, inputs, "A")


def test_explanations_are_worked_out_only_when_read(monkeypatch):
    template = compile_template(RICH)
    explained = []
    real = engine._score

    def counting(template, inputs, calibrated_grade, explain):
        explained.append(explain)
        return real(template, inputs, calibrated_grade, explain)

    monkeypatch.setattr(engine, "_score", counting)
    result = score(template, RICH_INPUTS)
    assert (result.total, result.grade, explained) == (result.total, result.grade, [False])
    assert result.explanations["items"]["sales"]["raters"]["data"]["how"]
    assert result.explanations is result.explanations  # worked out once, then kept
    assert explained == [False, True]


def test_explanations_read_later_follow_the_inputs_as_scored():
    inputs = copy.deepcopy(RICH_INPUTS)
    result = score(compile_template(RICH), inputs)
    inputs["data"]["sales"] = 1  # the caller reuses its dicts after scoring
    inputs["peers"][0]["care"] = 1
    expected = score(compile_template(RICH), RICH_INPUTS, explain=True)
    assert result.explanations == expected.explanations


def test_a_result_assembled_without_init_is_the_dataclass_s():
    fields = {f.name: f"value of {f.name}" for f in dataclasses.fields(engine.Result)}
    fields["explanations"] = lambda: {"worked": "out"}
    made = engine.Result(**fields)
    assembled = engine._result(**fields)
    assert assembled == made
    assert assembled.__dict__ == made.__dict__
    assert assembled.explanations == {"worked": "out"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        assembled.total = 1.0  # type: ignore[misc]


def test_inputs_handed_over_score_and_explain_as_copied_ones():
    template = compile_template(RICH)
    handed = score(template, copy.deepcopy(RICH_INPUTS), "A", handed_over=True)
    copied = score(template, RICH_INPUTS, "A")
    assert handed.to_dict() == copied.to_dict()


# -- the lean scorer's fast paths: level tables and a figure read inline ----------------------
#
# Each takes exactly the regular inputs (and then gives what the general scorer gives), and
# leaves everything else to the general scorer, which says what is wrong and where.

LEVELS = {
    "format": "appraisal-template/1",
    "key": "levels",
    "name": "Level tables",
    "rater_weights": {"self": 30, "manager": 70},
    "scales": {"five": FIVE},
    "sections": [
        {
            "key": "all",
            "name": "All",
            "weight": 100,
            "items": [
                {
                    "key": "care",
                    "name": "Care",
                    "type": "rating",
                    "scale": "five",
                    "raters": ["self", "manager"],
                    "weight": 30,
                    "scoring": {"method": "rating"},
                },
                {
                    "key": "drive",
                    "name": "Drive",
                    "type": "rating",
                    "scale": "five",
                    "raters": ["manager"],
                    "weight": 10,
                    "scoring": {"method": "rating"},
                },
                {
                    "key": "style",
                    "name": "Style",
                    "type": "choice",
                    "choices": [
                        {"value": "calm", "label": "Calm", "score": 90},
                        {"value": "rushed", "label": "Rushed", "score": 45.5},
                    ],
                    "raters": ["manager"],
                    "weight": 20,
                    "scoring": {"method": "rating"},
                },
                _item("sales", 20, {"method": "ratio", "cap": 120, "floor": 10}, max=1000000),
                _item("cost", 10, {"method": "reverse_ratio", "floor": 10}, min=0),
                _item(
                    "visits",
                    10,
                    {
                        "method": "bands",
                        "on": "achievement",
                        "bands": [{"min": 100, "score": 100}, {"min": 90, "score": 85}],
                    },
                    target=50,
                ),
            ],
        }
    ],
    "grades": [{"grade": "A", "min": 80}, {"grade": "B", "min": 0}],
    "outputs": [{"key": "twice", "formula": "drive * 2"}],  # the lean scorer keeps its value
}
LEVEL_VALUES = [1, 2, 3, 4, 5, 4.0, Decimal("3"), 2.5, 0, 6, True, False, "n/a", " N/A ", "x"]
CHOICES = ["calm", "rushed", "Calm", "n/a", True, 1]
FIGURES_DRAWN = [80, 80.5, 0, -1, 2e6, 99.995, Decimal("99.995"), "12", True, float("nan")]
TARGETS_DRAWN = [100, 50.5, 0, -5, "x", True, 3]


def _taken_as_regular(inputs: dict) -> bool:
    """Whether the lean scorer takes these inputs of LEVELS, as `_Run.accept` and
    `_Run.target` would take them without an error, nothing blank, n/a or waiting."""

    def level(value, levels=(1, 2, 3, 4, 5)):
        return value.__class__ is not bool and not isinstance(value, str) and value in levels

    def number(value, low=None, high=None):
        if value is None or isinstance(value, bool | str) or value != value:
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    targets, manager = inputs["targets"], inputs["manager"]
    return (
        all(t is None or number(t) for k, t in targets.items() if k in ("care", "drive", "style"))
        and level(inputs["self"].get("care"))
        and level(manager.get("care"))
        and level(manager.get("drive"))
        and manager.get("style") in ("calm", "rushed")
        and number(inputs["data"].get("sales"), high=1000000)
        and number(inputs["data"].get("cost"), low=0)
        and number(inputs["data"].get("visits"))
        and number(targets.get("sales"))
        and targets["sales"] > 0
        and number(targets.get("cost"))
        and targets["cost"] > 0
    )


def _mostly(regular: list, others: list) -> st.SearchStrategy:
    """Regular values three times in four, so both paths are drawn often."""
    return st.one_of(
        st.sampled_from(regular),
        st.sampled_from(regular),
        st.sampled_from(regular),
        st.sampled_from([None, *others]),
    )


@st.composite
def level_inputs(draw):
    some = _mostly([1, 2, 3, 4, 5], LEVEL_VALUES)
    targets = {
        key: draw(_mostly([100, 50.5], TARGETS_DRAWN))
        for key in ("care", "drive", "style", "sales", "cost", "visits")
        if draw(st.integers(0, 5)) == 0 or key in ("sales", "cost")
    }
    return {
        "targets": targets,
        "self": {"care": draw(some)},
        "manager": {
            "care": draw(some),
            "drive": draw(some),
            "style": draw(_mostly(["calm", "rushed"], CHOICES)),
        },
        "data": {
            key: draw(_mostly([80, 99.995], FIGURES_DRAWN)) for key in ("sales", "cost", "visits")
        },
    }


def test_the_fast_paths_take_the_regular_inputs_and_agree_with_the_general_scorer():
    assert validate(LEVELS) == []
    template = compile_template(LEVELS)
    assert engine._lean(template) is not None
    taken = []

    @settings(SETTINGS, max_examples=200)
    @given(inputs=level_inputs())
    def check(inputs):
        taken.append(_agrees_taking_only_regular_inputs(template, inputs))

    check()
    assert True in taken and False in taken  # both paths were drawn


def _agrees_taking_only_regular_inputs(template, inputs) -> bool:
    runs = []

    class CountedRun(engine._Run):
        def __init__(self, *args, **kwargs):
            runs.append(1)
            super().__init__(*args, **kwargs)

    real = engine._Run
    engine._Run = CountedRun
    try:
        lean = score(template, copy.deepcopy(inputs))
    finally:
        engine._Run = real
    full = score(template, copy.deepcopy(inputs), explain=True)
    assert _figures(lean) == _figures(full)
    # one run: the lean scorer took them; a second: the general scorer did
    assert len(runs) == (1 if _taken_as_regular(inputs) else 2)
    return len(runs) == 1


def test_a_yes_or_no_is_never_a_level_though_true_equals_1():
    template = compile_template(LEVELS)
    regular = {
        "targets": {"sales": 100, "cost": 100},
        "self": {"care": 1},
        "manager": {"care": 1, "drive": 1, "style": "calm"},
        "data": {"sales": 90, "cost": 90, "visits": 50},
    }
    assert score(template, regular).complete
    for rater, key in (("self", "care"), ("manager", "care"), ("manager", "drive")):
        changed = copy.deepcopy(regular)
        changed[rater][key] = True
        result = score(template, changed)
        assert not result.complete
        assert [e["where"] for e in result.errors] == [f"{rater}.{key}"]
        assert _figures(result) == _figures(score(template, changed, explain=True))
