"""The code a formula compiles to is ours: generated from the checked tree, its names mapped
to our helpers, its inputs read by key and its literals held as constants, so no text a user
types can reach `compile`/`exec` as code. And the fast path's number-only functions give
exactly the checked functions' answer (the same decimal digits, the same errors)."""

from __future__ import annotations

import ast
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appraisal.rules import FormulaError, compile_formula
from appraisal.rules import formula as engine
from appraisal.rules.functions import NUMBER_ONLY

from .test_hostile import HOSTILE
from .test_hostile import NAMES as HOSTILE_NAMES

OURS = re.compile(r"^(_v|_r|n\d+|_k\d+)$")
SOURCES = [
    *HOSTILE,
    "IF(sales >= target, MIN(sales / target, 1.5) * 100, sales / target * 80) - ROUND(2.5)",
    "LOOKUP(grade, ['S', 'A'], [1.5, 1.2]) + SUM(xs) + MAX(xs, 3) + ABS(-sales)",
    "销售额 / 目标值 * 100 if 销售额 > 0 else 0",
    "IF(grade == \"'); import os; os.system('x') #\", 1, 0)",
]


def _generated(monkeypatch, source: str, names: dict[str, str]) -> str | None:
    """The Python source the engine generates for a formula (None when it is refused)."""
    seen: list[str] = []
    real = compile

    def spy(text, filename, mode, *args, **kwargs):
        if filename == "<formula>":
            seen.append(text)
        return real(text, filename, mode, *args, **kwargs)

    monkeypatch.setattr(engine, "compile", spy, raising=False)
    try:
        compile_formula(source, names)
    except FormulaError:
        return None
    finally:
        monkeypatch.undo()
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("source", SOURCES)
def test_generated_code_uses_only_our_names(monkeypatch, source):
    names = HOSTILE_NAMES | {"销售额": "number", "目标值": "number"}
    code = _generated(monkeypatch, source, names)
    if code is None:
        return
    tree = ast.parse(code)
    allowed = set(engine._RUNTIME)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id in allowed or OURS.match(node.id), node.id
        elif isinstance(node, ast.Attribute):  # only our type checks
            assert node.attr == "__class__", ast.unparse(node)
        elif isinstance(node, ast.arg):
            assert OURS.match(node.arg), node.arg
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # input names read by key, and the formula's own text literals, as data
            assert node.value in names or node.value in source, node.value
        else:
            assert not isinstance(node, ast.Import | ast.ImportFrom | ast.Global), code
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in functions] == ["_fast", "_safe"]


def test_user_text_stays_data(monkeypatch):
    hostile = "__import__('os').system('echo pwned')"
    code = _generated(monkeypatch, f"IF(grade == {hostile!r}, 1, 0)", HOSTILE_NAMES)
    assert code is not None
    assert repr(hostile) in code  # a string constant, never code
    assert (
        compile_formula(f"IF(grade == {hostile!r}, 1, 0)", HOSTILE_NAMES).evaluate(
            {"grade": hostile, "sales": 1, "target": 1, "xs": []}
        )
        == 1
    )


numbers = st.decimals(-(10**6), 10**6, places=3, allow_nan=False, allow_infinity=False)
digits = st.integers(-14, 14).map(Decimal)


@settings(max_examples=300, deadline=None)
@given(x=numbers, y=numbers, n=digits)
def test_number_only_functions_give_the_checked_answer_digit_for_digit(x, y, n):
    cases = {
        "MIN": (x, y, x.normalize()),
        "MAX": (x, y.normalize(), y),
        "ABS": (x,),
        "ROUND": (x, n),
    }
    for name, args in cases.items():
        impl = engine.FUNCTIONS[name].impl
        try:
            expected = impl(*args)
        except Exception as error:  # the fast one must fail too, and hand over
            with pytest.raises(Exception):  # noqa: B017
                NUMBER_ONLY[name](*args)
            assert type(error).__name__ == "EvaluationProblem"
            continue
        got = NUMBER_ONLY[name](*args)
        assert (str(got), got.__class__) == (str(expected), expected.__class__), name


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("MIN(a, b)", {"a": 1.50, "b": 1.5}),
        ("MAX(a, 2.0) * 1", {"a": 2}),
        ("ROUND(a, 13)", {"a": 1.25}),
        ("ROUND(a, b)", {"a": 2.345, "b": 2}),
        ("ROUND(a * b, -12)", {"a": 1e200, "b": 1.5e100}),
        ("ROUND(a * b, 1)", {"a": 1.1e200, "b": 1.5e10}),
        ("ABS(a - b)", {"a": 0.1, "b": 0.3}),
    ],
)
def test_fast_and_checked_paths_give_the_same_digits_and_errors(source, values):
    formula = compile_formula(source, {"a": "number", "b": "number"})
    try:
        fast = formula.evaluate_exact(values)
    except FormulaError as error:
        with pytest.raises(FormulaError) as checked:
            formula._evaluate_safe(values)
        assert checked.value.message == error.message
        return
    safe = formula._evaluate_safe(values)
    assert str(fast) == str(safe)
