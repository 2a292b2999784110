"""Definition validation: every error, each at its JSON path."""

import copy
import json
from pathlib import Path

from appraisal.rules import validate

EXAMPLE = json.loads((Path(__file__).parent / "data" / "design_example.json").read_text())


def errors_of(definition) -> dict[str, str]:
    return {e.path: e.message for e in validate(definition)}


def mutate(change):
    definition = copy.deepcopy(EXAMPLE)
    change(definition)
    return errors_of(definition)


def test_the_design_example_is_valid():
    assert validate(EXAMPLE) == []


def test_not_an_object():
    assert errors_of([1, 2]) == {"": "must be an object { … }"}


def test_unknown_and_missing_fields_are_named_with_their_path():
    def change(d):
        d["colour"] = "red"
        d["sections"][0]["items"][1]["scoring"]["bandz"] = []
        del d["sections"][1]["items"][0]["weight"]

    errors = mutate(change)
    assert errors["colour"] == "unknown field `colour`"
    assert errors["sections[0].items[1].scoring.bandz"] == "unknown field `bandz`"
    assert errors["sections[1].items[0].weight"] == "is required"


def test_duplicate_keys_anywhere_in_the_template():
    def change(d):
        d["sections"][1]["items"][0]["key"] = "sales"
        d["adjustments"][0]["key"] = "collection"

    errors = mutate(change)
    assert errors["sections[1].items[0].key"] == (
        "key `sales` is already used at sections[0].items[0].key"
    )
    assert errors["adjustments[0].key"].startswith("key `collection` is already used")


def test_weights_off_by_a_hundredth_are_caught():
    def change(d):
        d["sections"][0]["items"][0]["weight"] = 59.99
        d["sections"][1]["weight"] = 30.01

    errors = mutate(change)
    assert errors["sections[0].items"] == "weights of scored items add up to 99.99, not 100"
    assert errors["sections"] == "section weights add up to 100.01, not 100"


def test_rater_weights_must_sum_to_100():
    errors = mutate(lambda d: d.__setitem__("rater_weights", {"self": 20, "manager": 70}))
    assert errors["rater_weights"] == "rater weights add up to 90, not 100"


def test_grades_must_start_at_zero_and_be_distinct():
    def change(d):
        d["grades"] = [
            {"grade": "A", "min": 80},
            {"grade": "A", "min": 60},
            {"grade": "B", "min": 60},
        ]

    errors = mutate(change)
    assert errors["grades"].startswith("the lowest grade must start at 0 (it starts at 60)")
    assert errors["grades[1].grade"] == "grade A appears twice"
    assert errors["grades[2].min"] == "another grade also starts at 60"


def test_unknown_scale_and_grade_references():
    def change(d):
        d["sections"][1]["items"][0]["scale"] = "seven"
        d["adjustments"][2]["grade"] = "E"

    errors = mutate(change)
    assert errors["sections[1].items[0].scale"] == "unknown scale `seven`; define it in scales"
    assert errors["adjustments[2].grade"] == "unknown grade `E`"


def test_bad_formulas_are_reported_with_column_and_suggestion():
    def change(d):
        d["outputs"][1]["formula"] = "PROGRESSIVE(salse, [0], [0.1])"

    definition = copy.deepcopy(EXAMPLE)
    change(definition)
    (error,) = validate(definition)
    assert error.path == "outputs[1].formula"
    assert error.message == "Unknown name `salse` — did you mean `sales`?"
    assert error.column == 13 and error.suggestion == "sales"
    assert error.code == "formula_unknown_name"


def test_computed_items_that_refer_to_each_other_in_a_circle():
    def change(d):
        items = d["sections"][0]["items"]
        items[0].update({"raters": [], "formula": "collection * 2"})
        items[1].update({"raters": [], "formula": "sales / 2"})

    errors = mutate(change)
    assert "formulas refer to each other in a circle: sales → collection → sales" in errors.values()


def test_a_not_scored_item_must_weigh_nothing():
    errors = mutate(lambda d: d["sections"][1]["items"][1].__setitem__("weight", 10))
    assert errors["sections[1].items[1].weight"] == "an item that is not scored must weigh 0"


def test_bad_scoring_parameters():
    def change(d):
        d["sections"][0]["items"][1]["scoring"] = {"method": "linear", "points": [[0, 0], [0, 50]]}
        d["sections"][0]["items"][0]["scoring"] = {"method": "deduction"}

    errors = mutate(change)
    assert errors["sections[0].items[1].scoring.points[1][0]"] == "x values must increase"
    assert errors["sections[0].items[0].scoring.per_unit"] == "is required"


def test_messages_also_come_in_chinese():
    definition = copy.deepcopy(EXAMPLE)
    definition["sections"][1]["weight"] = 20
    (error,) = validate(definition)
    assert error.to_dict("zh")["message"] == "各部分权重合计为 90，应为 100"


def test_a_key_with_a_trailing_newline_is_refused():
    def change(d):
        d["key"] = "retail-field-sales\n"
        d["sections"][0]["items"][0]["key"] = "sales\n"

    errors = mutate(change)
    assert "key" in errors and "sections[0].items[0].key" in errors
