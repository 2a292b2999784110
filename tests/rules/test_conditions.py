"""`condition_tree`: a checked formula as the JSON tree the phone evaluates; the subset it
accepts, None for the rest, and `field_rule`, how the phone reads a value. The browser's
answers are compared with the engine's in tests/e2e/test_conditions_in_browser.py."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from appraisal.rules import (
    TREE_FUNCTIONS,
    compile_activity,
    compile_formula,
    condition_tree,
    field_rule,
    function_catalogue,
)
from tests.rules import condition_cases

NAMES = {
    "a": "number",
    "b": "number",
    "t": "text",
    "tags": "list",
    "ok": "bool",
    "d": "date",
}
SCRIPT = Path(__file__).parents[2] / "appraisal" / "static" / "fieldwork" / "conditions.js"


def tree(source: str):
    return condition_tree(compile_formula(source, NAMES))


def name(key):
    return {"name": key}


def num(text):
    return {"num": text}


def test_decimal_sums_compare_as_typed():
    assert tree("a + b == 0.3") == {
        "op": "compare",
        "ops": ["=="],
        "args": [{"op": "+", "args": [name("a"), name("b")]}, num("0.3")],
    }


def test_chained_comparisons_keep_every_operator():
    assert tree("-0.5 < a <= 2") == {
        "op": "compare",
        "ops": ["<", "<="],
        "args": [num("-0.5"), name("a"), num("2")],
    }


def test_logic_blanks_and_text():
    assert tree("not ok or ISBLANK(t) and t != '中'") == {
        "op": "or",
        "args": [
            {"op": "not", "args": [name("ok")]},
            {
                "op": "and",
                "args": [
                    {"op": "call", "fn": "ISBLANK", "args": [name("t")]},
                    {"op": "compare", "ops": ["!="], "args": [name("t"), {"text": "中"}]},
                ],
            },
        ],
    }


def test_if_and_the_conditional_expression_are_one_node():
    expected = {
        "op": "if",
        "args": [
            {"op": "compare", "ops": [">"], "args": [name("a"), num("1")]},
            {"bool": True},
            {"bool": False},
        ],
    }
    assert tree("IF(a > 1, true, false)") == expected
    assert tree("true if a > 1 else FALSE") == expected


def test_lists_stand_only_as_arguments():
    assert tree("LOOKUP(t, ['x', 'y'], [1, 2.5], 0) > 1")["args"][0] == {
        "op": "call",
        "fn": "LOOKUP",
        "args": [
            name("t"),
            {"list": [{"text": "x"}, {"text": "y"}]},
            {"list": [num("1"), num("2.5")]},
            num("0"),
        ],
    }
    assert tree("COUNT(tags) >= 1")["args"][0] == {
        "op": "call",
        "fn": "COUNT",
        "args": [name("tags")],
    }


@pytest.mark.parametrize(
    ("source", "literal"),
    [
        ("a > 0.35", "0.35"),  # as typed, not the float nearest to it
        ("a > 1_000", "1000"),
        ("a > 1e3", "1E+3"),
        ("a > 0x10", "16"),
        ("a > -0.1", "-0.1"),
        ("a > -(-2)", "2"),
        ("a > ０．５", "0.5"),  # typed with a Chinese IME, read as the engine reads it
        ("a > 0.30", "0.30"),
    ],
)
def test_number_literals_read_as_the_engine_reads_them(source, literal):
    assert tree(source)["args"][1] == num(literal)


def test_a_negated_literal_is_folded_and_rounded_like_the_compiler():
    long = "0.12345678901234567890123456789"  # 29 significant digits
    formula = compile_formula(f"a == -{long}", NAMES)
    folded = tree(f"a == -{long}")["args"][1]["num"]
    assert folded == str(-Decimal(long))  # rounded to 28 digits, as the compiler folds it
    assert formula.evaluate_exact({"a": Decimal(folded)}) is True
    assert formula.evaluate_exact({"a": -Decimal(long)}) is True


def test_names_are_normalised_and_a_field_named_true_is_the_field():
    assert tree("ａ > 1")["args"][0] == name("a")  # full-width letter, NFKC
    with_true = compile_formula("true > 1", {"true": "number"})
    assert condition_tree(with_true)["args"][0] == name("true")
    assert condition_tree(compile_formula("True", {})) == {"bool": True}


@pytest.mark.parametrize(
    "source",
    [
        "a ** 2 > 1",
        "a // 2 == 1",
        "a % 2 == 0",
        "ROUND(a) > 1",
        "ROUNDUP(a, 1) > 1",
        "ROUNDDOWN(a, 1) > 1",
        "FLOOR(a) > 1",
        "CEIL(a) > 1",
        "CLAMP(a, 0, 1) > 0",
        "RATIO(a, b) > 1",
        "BANDS(a, [0, 10], [1, 2]) > 1",
        "INTERP(a, [0, 10], [0, 1]) > 0",
        "PROGRESSIVE(a, [0, 10], [0.1, 0.2]) > 0",
        "ISBLANK(a) or a ** 2 > 1",  # one part outside: the whole condition goes to the server
    ],
)
def test_outside_the_subset_there_is_no_tree(source):
    assert tree(source) is None


def test_every_tree_function_is_a_function_of_the_language():
    assert {entry["name"] for entry in function_catalogue()} >= TREE_FUNCTIONS


def test_the_browser_evaluates_exactly_the_tree_functions():
    """A function added to the tree without its JavaScript twin (or the other way) fails."""
    source = SCRIPT.read_text(encoding="utf-8")
    block = source[source.index("var FUNCTIONS = {") :]
    block = block[: block.index("\n  };")]
    assert set(re.findall(r"^ {4}([A-Z]+): function", block, re.M)) == TREE_FUNCTIONS


def test_trees_are_plain_json():
    condition = "IF(ISBLANK(t), COUNT(tags) > 1, t == 'a') and -a < 0.1 + b / 3"
    original = tree(condition)
    assert json.loads(json.dumps(original)) == original


def test_the_generated_conditions_stay_inside_the_subset():
    """The browser test compares answers on these; each must compile and have a tree."""
    for source, _raw in condition_cases.generated(seed=16, formulas=300, values_each=1):
        compiled = condition_cases.activity(source)
        assert condition_tree(compiled.field(condition_cases.TARGET).visible_if) is not None


@pytest.mark.parametrize(
    ("source", "raw", "shown"),
    [
        ("0.1 + 0.2 == 0.3", {}, True),
        ("n + m == 0.3", {"n": "0.1", "m": "0.2"}, True),
        ("1 / 3 * 3 == 1", {}, False),  # 28 digits, as the engine: 0.999…9
        ("ISBLANK(n) or n > 5", {"n": "abc"}, True),  # a refused value is blank
        ("not (q > 5)", {"q": "11"}, False),  # above its max: blank, so the condition is
        ("ISBLANK(p)", {"p": 0}, True),  # no photo is blank, not 0
        ("n / 0 > 1 or true", {"n": "1"}, False),  # an error decides: false
        ("true or n / 0 > 1", {"n": "1"}, True),  # `or` stops before it
    ],
)
def test_the_servers_answers_the_browser_must_give(source, raw, shown):
    assert condition_cases.server_shows(condition_cases.activity(source), raw) is shown


def test_field_rules_say_how_the_server_parses_each_value():
    compiled = compile_activity(
        {
            "format": "activity/1",
            "key": "f",
            "name": "F",
            "fields": [
                *condition_cases.FIELDS,
                {"key": "lt", "label": "L", "type": "long_text"},
                {"key": "at", "label": "At", "type": "datetime"},
                {"key": "who", "label": "Who", "type": "customer"},
            ],
        }
    )
    rules = {f.key: field_rule(f) for f in compiled.fields}
    assert rules == {
        "n": {"type": "number", "limit": "1E+12"},
        "q": {"type": "number", "limit": "1E+12", "min": "0", "max": "10"},
        "m": {"type": "money", "limit": "1E+12"},
        "p": {"type": "photos", "limit": 3},
        "t": {"type": "text", "limit": 500},
        "c": {"type": "choice", "options": ["a", "b", "c"]},
        "tags": {"type": "multi_choice", "options": ["a", "b", "c"]},
        "ok": {"type": "yes_no"},
        "d1": {"type": "date"},
        "d2": {"type": "date"},
        "lt": {"type": "long_text", "limit": 4000},
        "at": None,  # no condition can read these
        "who": None,
    }
