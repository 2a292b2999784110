"""The formula language as design.md §6 states it, on values computed by hand."""

import datetime as dt

import pytest

from appraisal.rules import FormulaError, compile_formula, function_catalogue

NUM = {"sales": "number", "target": "number", "cost": "number"}


def run(source, values=None, names=None):
    return compile_formula(source, names or NUM).evaluate(values or {})


def error_of(source, names=None) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        compile_formula(source, names or NUM)
    return caught.value


def test_public_api_example():
    f = compile_formula("MIN(sales / target, 1.2) * 100", {"sales": "number", "target": "number"})
    assert f.names == frozenset({"sales", "target"})
    assert f.evaluate({"sales": 90, "target": 100}) == 90.0
    assert f.evaluate({"sales": 150, "target": 100}) == 120.0


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ROUND(2.345, 2)", 2.35),
        ("ROUND(1.005, 2)", 1.01),
        ("ROUND(-2.345, 2)", -2.35),
        ("ROUND(2.5)", 3.0),
        ("ROUND(-2.5)", -3.0),
        ("ROUND(0.125, 2)", 0.13),
        ("ROUND(1234.5678, -2)", 1200.0),
        ("ROUNDUP(2.301, 1)", 2.4),
        ("ROUNDUP(-2.301, 1)", -2.4),
        ("ROUNDDOWN(2.399, 1)", 2.3),
        ("ROUNDDOWN(-2.399, 1)", -2.3),
        ("FLOOR(7.8)", 7.0),
        ("FLOOR(-7.2)", -8.0),
        ("CEIL(17, 5)", 20.0),
        ("FLOOR(17, 5)", 15.0),
        ("ABS(-4)", 4.0),
        ("CLAMP(130, 0, 120)", 120.0),
        ("CLAMP(-1, 0, 120)", 0.0),
        ("MIN(3, 1, 2)", 1.0),
        ("MAX([4, 9], 6)", 9.0),
        ("SUM(1, 2, 3.5)", 6.5),
        ("AVG(80, 90, 100)", 90.0),
        ("COUNT(1, 2, 3)", 3.0),
        ("RATIO(90, 100)", 0.9),
        ("RATIO(5, 0)", 0.0),
        ("RATIO(5, 0, 1)", 1.0),
        ("COALESCE(5, 0)", 5.0),
        ("BANDS(87, [0, 60, 80, 95], [40, 70, 85, 100])", 85.0),
        ("BANDS(95, [0, 60, 80, 95], [40, 70, 85, 100])", 100.0),
        ("INTERP(90, [80, 100], [60, 100])", 80.0),
        ("INTERP(120, [80, 100], [60, 100])", 100.0),
        # 100000 × 3% + 100000 × 5% + 50000 × 8% = 3000 + 5000 + 4000
        ("PROGRESSIVE(250000, [0, 100000, 200000], [0.03, 0.05, 0.08])", 12000.0),
        ("PROGRESSIVE(50000, [0, 100000, 200000], [0.03, 0.05, 0.08])", 1500.0),
        ("LOOKUP('A', ['S', 'A', 'B'], [1.5, 1.2, 1.0])", 1.2),
        ("LOOKUP('X', ['S', 'A'], [1.5, 1.2], 0)", 0.0),
        ("IF(3 > 2, 'yes', 'no')", "yes"),
        ("7 // 2 + 7 % 2", 4.0),
        ("2 ** 10", 1024.0),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("not (1 > 2) and (2 > 1 or 1 / 0 > 0)", True),
        ("10 if 1 > 2 else 20", 20.0),
        ("TRUE and not False", True),
        ("round(2.345, 2) + sum(1, 1)", 4.35),
    ],
)
def test_functions_and_operators(source, expected):
    assert run(source) == expected


def test_every_catalogue_example_gives_its_documented_result():
    for entry in function_catalogue():
        assert entry["description"]["en"] and entry["description"]["zh"], entry["name"]
        assert entry["examples"], entry["name"]
        for example in entry["examples"]:
            value = run(example["formula"])
            expected = example["result"]
            if expected in ("true", "false"):
                assert value is (expected == "true"), example
            elif expected.startswith("'"):
                assert value == expected.strip("'"), example
            else:
                assert value == float(expected), example


def test_if_evaluates_only_the_chosen_branch():
    f = compile_formula("IF(target == 0, 0, sales / target)", NUM)
    assert f.evaluate({"sales": 50, "target": 0}) == 0.0
    assert f.evaluate({"sales": 50, "target": 200}) == 0.25
    assert run("0 if 1 == 1 else 1 / 0") == 0.0
    assert run("1 == 2 and 1 / 0 > 1") is False
    assert run("1 == 1 or 1 / 0 > 1") is True


def test_blanks_propagate_through_operators_and_are_skipped_by_aggregates():
    assert run("sales * 2 + 1", {"sales": None}) is None
    assert run("sales * 2 + 1", {}) is None
    assert run("sales > 5", {"sales": None}) is None
    assert run("SUM(sales, target, cost)", {"sales": 1, "target": None, "cost": 2}) == 3.0
    assert run("AVG(sales, target, cost)", {"sales": 1, "target": None, "cost": 2}) == 1.5
    assert run("MIN(sales, target)", {"sales": 4, "target": None}) == 4.0
    assert run("MAX(sales, target)", {"sales": None, "target": None}) is None
    assert run("COUNT(sales, target, cost)", {"sales": 1, "target": None, "cost": 0}) == 2.0
    assert run("COALESCE(sales, 0)", {"sales": None}) == 0.0
    assert run("COALESCE(sales * 2, target, 7)", {"sales": None, "target": None}) == 7.0
    assert run("ISBLANK(sales)", {"sales": None}) is True
    assert run("ISBLANK(sales)", {"sales": 0}) is False
    assert run("RATIO(sales, target)", {"sales": 5, "target": None}) == 0.0
    assert run("IF(sales > 0, 1, 2)", {"sales": None}) is None
    assert run("LOOKUP(sales, [1, 2], [10, 20])", {"sales": 3}) is None


def test_division_by_zero_is_an_evaluation_error_naming_the_owner():
    f = compile_formula("sales / target", NUM, owner="achievement")
    with pytest.raises(FormulaError) as caught:
        f.evaluate({"sales": 5, "target": 0})
    assert caught.value.kind == "evaluation"
    assert "`achievement`" in caught.value.message
    assert "`achievement`" in caught.value.message_in("zh") and "除以零" in caught.value.message_in(
        "zh"
    )


def test_unknown_names_and_functions_suggest_the_closest():
    error = error_of("salse * 2")
    assert (error.kind, error.column, error.suggestion) == ("unknown_name", 1, "sales")
    assert error.message == "Unknown name `salse` — did you mean `sales`?"
    assert "是否想输入 `sales`" in error.message_in("zh")
    error = error_of("1 + SUMM(sales)")
    assert (error.kind, error.column, error.suggestion) == ("unknown_name", 5, "SUM")
    assert error_of("qqq + 1").suggestion is None


def test_syntax_errors_carry_the_column():
    error = error_of("sales * (target + ")
    assert error.kind == "syntax" and error.column is not None
    error = error_of("sales target")
    assert error.kind == "syntax" and error.column == 7
    assert error_of("   ").kind == "syntax"


def test_arity_and_types_are_checked_before_saving():
    error = error_of("ROUND(1, 2, 3)")
    assert (
        error.kind == "syntax" and "`ROUND` takes 1 to 2 values, but was given 3" in error.message
    )
    assert error_of("IF(1, 2)").kind == "syntax"
    error = error_of("name * 2", {"name": "text"})
    assert error.kind == "type" and error.message.startswith("Text cannot be used in arithmetic")
    assert error_of("'a' < 1").kind == "type"
    assert error_of("ABS('x')").kind == "type"
    assert error_of("SUM(['a', 'b'])").kind == "type"
    assert error_of("flag + 1", {"flag": "bool"}).kind == "type"
    assert error_of("ROUND(x=1)").kind == "syntax"


def test_text_bool_date_and_list_names():
    names = {"grade": "text", "ok": "bool", "due": "date", "done": "date", "xs": "list"}
    assert (
        compile_formula("IF(ok, grade, 'none')", names).evaluate({"ok": True, "grade": "A"}) == "A"
    )
    assert (
        compile_formula("done - due", names).evaluate(
            {"done": dt.date(2026, 3, 5), "due": "2026-03-01"}
        )
        == 4.0
    )
    assert compile_formula("SUM(xs)", names).evaluate({"xs": [1, None, 2]}) == 3.0


def test_values_of_the_wrong_type_are_a_type_error():
    f = compile_formula("sales * 2", NUM)
    for bad in ["12", True, [1], float("nan"), float("inf"), 10**400]:
        with pytest.raises(FormulaError) as caught:
            f.evaluate({"sales": bad})
        assert caught.value.kind == "type", bad
    with pytest.raises(FormulaError):
        f.evaluate(None)


def test_chinese_names_and_full_width_input_from_an_ime():
    names = {"销售额": "number", "目标值": "number"}
    assert compile_formula("销售额 / 目标值", names).evaluate({"销售额": 90, "目标值": 100}) == 0.9
    assert (
        compile_formula("（销售额＋10）× 2 ÷ 目标值", names).evaluate({"销售额": 90, "目标值": 100})
        == 2.0
    )
    assert compile_formula("ｓａｌｅｓ * 2", NUM).evaluate({"sales": 3}) == 6.0
    assert compile_formula("IF(销售额 > 0, “好”, “差”)", names).evaluate({"销售额": 1}) == "好"
    error = error_of("销售 / 目标值", names)
    assert error.kind == "unknown_name" and error.column == 1


def test_results_must_be_finite():
    with pytest.raises(FormulaError) as caught:
        run("sales * sales", {"sales": 1e200})
    assert caught.value.kind == "limit"


def test_formulas_are_thread_safe_to_share():
    from concurrent.futures import ThreadPoolExecutor

    f = compile_formula("IF(sales > target, sales - target, 0) + ROUND(cost, 1)", NUM)

    def work(n):
        return f.evaluate({"sales": n, "target": 50, "cost": n / 3})

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(200)))
    assert results == [work(n) for n in range(200)]
