"""The function library: one declaration per function, read by the checker, the compiler
and the catalogue the builder shows.

Every implementation takes already-evaluated values (blank is None), except IF, which the
compiler turns into a conditional so only the chosen branch is evaluated.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from typing import Any

from .numbers import ONE, ZERO, rounded, to_decimal, to_float

MAX_DIGITS = 12


class EvaluationProblem(Exception):
    """Raised by a function on values it cannot work with; the formula names its owner."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    impl: Callable[..., Any] | None
    params: tuple[str, ...]
    min_args: int
    max_args: int | None  # None: any number
    arg_types: tuple[str, ...]  # per position; the last repeats for variadic functions
    returns: str
    description: dict[str, str]
    examples: tuple[tuple[str, str], ...] = field(default=())
    may_be_blank: bool = True  # whether the result can be blank with non-blank arguments

    def arg_type(self, index: int) -> str:
        return self.arg_types[min(index, len(self.arg_types) - 1)]

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


def _number(value: Any, position: int, name: str) -> Decimal:
    """A number argument as a Decimal (formula values already are; literals in lists too)."""
    if value.__class__ is Decimal:
        return value
    number = None if isinstance(value, bool) else to_decimal(value)
    if number is None:
        raise EvaluationProblem(
            f"{name} needs a number as value {position}",
            f"{name} 的第 {position} 个参数需要数字",
        )
    return number


def _values(args: Sequence[Any]) -> list[Any]:
    """Arguments with lists flattened and blanks skipped."""
    flat: list[Any] = []
    for arg in args:
        if isinstance(arg, list | tuple):
            flat.extend(v for v in arg if v is not None)
        elif arg is not None:
            flat.append(arg)
    return flat


def _numbers(name: str, args: Sequence[Any]) -> list[Decimal]:
    return [_number(v, i + 1, name) for i, v in enumerate(_values(args))]


def _digits(value: Any, name: str) -> int:
    digits = int(_number(value, 2, name))
    if not -MAX_DIGITS <= digits <= MAX_DIGITS:
        raise EvaluationProblem(
            f"{name} takes between {-MAX_DIGITS} and {MAX_DIGITS} digits",
            f"{name} 的位数应在 {-MAX_DIGITS} 到 {MAX_DIGITS} 之间",
        )
    return digits


def round_decimal(value: Decimal, digits: int = 0, mode: str = ROUND_HALF_UP) -> Decimal:
    """Round like a spreadsheet, on the decimal figures (2.345 → 2.35, 1.005 → 1.01)."""
    try:
        return rounded(value, digits, mode)
    except (InvalidOperation, KeyError) as exc:
        raise EvaluationProblem("the number is too large to round", "数字过大，无法取整") from exc


def round_half_away(value: float, digits: int = 0, mode: str = ROUND_HALF_UP) -> float:
    """`round_decimal` for a float: read as its shortest decimal form (repr), so binary noise
    such as 1.00499999… does not decide the rounding."""
    number = to_decimal(value)
    if number is None:
        raise EvaluationProblem("the number is too large to round", "数字过大，无法取整")
    return to_float(round_decimal(number, digits, mode))


def _round(x, digits=ZERO):
    if x is None:
        return None
    return round_decimal(_number(x, 1, "ROUND"), _digits(digits, "ROUND"))


def _roundup(x, digits=ZERO):
    if x is None:
        return None
    return round_decimal(_number(x, 1, "ROUNDUP"), _digits(digits, "ROUNDUP"), ROUND_UP)


def _rounddown(x, digits=ZERO):
    if x is None:
        return None
    return round_decimal(_number(x, 1, "ROUNDDOWN"), _digits(digits, "ROUNDDOWN"), ROUND_DOWN)


def _step(name: str, step: Any) -> Decimal:
    step = _number(step, 2, name)
    if step <= 0:
        raise EvaluationProblem(f"{name} needs a step above 0", f"{name} 的步长必须大于 0")
    return step


def _multiple(name: str, x: Any, step: Any, mode: str) -> Decimal | None:
    if x is None:
        return None
    step = _step(name, step)
    try:
        return (_number(x, 1, name) / step).to_integral_value(rounding=mode) * step
    except InvalidOperation as exc:
        raise EvaluationProblem("the number is too large to round", "数字过大，无法取整") from exc


def _floor(x, step=ONE):
    return _multiple("FLOOR", x, step, ROUND_FLOOR)


def _ceil(x, step=ONE):
    return _multiple("CEIL", x, step, ROUND_CEILING)


def _abs(x):
    return None if x is None else abs(_number(x, 1, "ABS"))


def _round_numbers(x: Decimal, digits: Decimal = ZERO) -> Decimal:
    """ROUND on the fast path, where both are numbers: anything unusual (digits out of range,
    a number too large) raises, and the checked `_round` gives the answer or the error."""
    return rounded(x, int(digits))


def _min(*args):
    values = _numbers("MIN", args)
    return min(values) if values else None


def _max(*args):
    values = _numbers("MAX", args)
    return max(values) if values else None


def _sum(*args):
    values = _numbers("SUM", args)
    return sum(values, ZERO) if values else None


def _avg(*args):
    values = _numbers("AVG", args)
    return sum(values, ZERO) / len(values) if values else None


def _count(*args):
    return Decimal(len(_values(args)))


def _clamp(x, lo, hi):
    if x is None or lo is None or hi is None:
        return None
    lo, hi = _number(lo, 2, "CLAMP"), _number(hi, 3, "CLAMP")
    if lo > hi:
        raise EvaluationProblem(
            "CLAMP needs the lower bound below the upper bound", "CLAMP 的下限不能大于上限"
        )
    return min(max(_number(x, 1, "CLAMP"), lo), hi)


def _ratio(a, b, default=ZERO):
    if a is None:
        return None
    if b is None or _number(b, 2, "RATIO") == 0:
        return default
    return _number(a, 1, "RATIO") / _number(b, 2, "RATIO")


def _coalesce(*args):
    for arg in args:
        if arg is not None:
            return arg
    return None


def _isblank(x):
    return x is None


def _pairs(name: str, keys: Any, values: Any) -> tuple[list[Any], list[Any]]:
    if not isinstance(keys, list | tuple) or not isinstance(values, list | tuple):
        raise EvaluationProblem(f"{name} needs two lists", f"{name} 需要两个列表")
    if len(keys) != len(values) or not keys:
        raise EvaluationProblem(
            f"{name} needs two lists of the same, non-zero length",
            f"{name} 的两个列表长度必须相同且不为空",
        )
    return list(keys), list(values)


def _bands(x, mins, values):
    mins, values = _pairs("BANDS", mins, values)
    if x is None:
        return None
    x = _number(x, 1, "BANDS")
    best = None
    for low, value in zip(mins, values, strict=True):
        low = _number(low, 2, "BANDS")
        if low <= x and (best is None or low > best[0]):
            best = (low, value)
    return None if best is None else best[1]


def _interp(x, xs, ys):
    xs, ys = _pairs("INTERP", xs, ys)
    if x is None:
        return None
    xs = [_number(v, 2, "INTERP") for v in xs]
    ys = [_number(v, 3, "INTERP") for v in ys]
    if any(b <= a for a, b in itertools.pairwise(xs)):
        raise EvaluationProblem(
            "INTERP needs the x values in increasing order", "INTERP 的 x 值必须递增"
        )
    return interpolate(_number(x, 1, "INTERP"), list(zip(xs, ys, strict=True)))


def interpolate(x: Decimal, points: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """The piecewise-linear value through `points` (x increasing), flat beyond the ends;
    shared by INTERP and the `linear` scoring method."""
    if x <= points[0][0]:
        return points[0][1]
    if x >= points[-1][0]:
        return points[-1][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]  # pragma: no cover - unreachable with increasing xs


def _progressive(amount, thresholds, rates):
    thresholds, rates = _pairs("PROGRESSIVE", thresholds, rates)
    if amount is None:
        return None
    amount = _number(amount, 1, "PROGRESSIVE")
    bounds = [_number(t, 2, "PROGRESSIVE") for t in thresholds]
    rates = [_number(r, 3, "PROGRESSIVE") for r in rates]
    if any(b <= a for a, b in itertools.pairwise(bounds)):
        raise EvaluationProblem(
            "PROGRESSIVE needs the thresholds in increasing order",
            "PROGRESSIVE 的门槛必须递增",
        )
    total = ZERO
    for index, (low, rate) in enumerate(zip(bounds, rates, strict=True)):
        high = bounds[index + 1] if index + 1 < len(bounds) else amount
        if amount > low:
            total += (min(amount, high) - low) * rate
    return total


def _lookup(key, keys, values, default=None):
    keys, values = _pairs("LOOKUP", keys, values)
    if key is None:
        return None
    for candidate, value in zip(keys, values, strict=True):
        if candidate == key and isinstance(candidate, str) == isinstance(key, str):
            return value
    return default


def _if(condition, then, otherwise):  # only for the catalogue; IF is compiled lazily
    if condition is None:
        return None
    return then if condition else otherwise


def _spec(
    name,
    impl,
    params,
    min_args,
    max_args,
    arg_types,
    returns,
    en,
    zh,
    examples=(),
    may_be_blank=True,
):
    return FunctionSpec(
        name,
        impl,
        tuple(params),
        min_args,
        max_args,
        tuple(arg_types),
        returns,
        {"en": en, "zh": zh},
        tuple(examples),
        may_be_blank,
    )


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in [
        _spec(
            "IF",
            _if,
            ["condition", "then", "otherwise"],
            3,
            3,
            ["bool", "any", "any"],
            "any",
            "The second value when the condition holds, else the third. Only the chosen "
            "value is worked out.",
            "条件成立时取第二个值，否则取第三个值；只计算被选中的值。",
            [("IF(3 > 2, 'yes', 'no')", "'yes'"), ("IF(0 == 0, 0, 1 / 0)", "0")],
        ),
        _spec(
            "MIN",
            _min,
            ["value", "…"],
            1,
            None,
            ["numbers"],
            "number",
            "The smallest value; blanks are skipped.",
            "最小值，空值跳过。",
            [("MIN(3, 1, 2)", "1"), ("MIN([4, 5], 6)", "4")],
        ),
        _spec(
            "MAX",
            _max,
            ["value", "…"],
            1,
            None,
            ["numbers"],
            "number",
            "The largest value; blanks are skipped.",
            "最大值，空值跳过。",
            [("MAX(3, 1, 2)", "3")],
        ),
        _spec(
            "SUM",
            _sum,
            ["value", "…"],
            1,
            None,
            ["numbers"],
            "number",
            "The total; blanks are skipped.",
            "求和，空值跳过。",
            [("SUM(1, 2, 3.5)", "6.5"), ("SUM([1, 2], 3)", "6")],
        ),
        _spec(
            "AVG",
            _avg,
            ["value", "…"],
            1,
            None,
            ["numbers"],
            "number",
            "The average; blanks are skipped.",
            "平均值，空值跳过。",
            [("AVG(80, 90, 100)", "90")],
        ),
        _spec(
            "COUNT",
            _count,
            ["value", "…"],
            1,
            None,
            ["any"],
            "number",
            "How many values are not blank.",
            "非空值的个数。",
            [("COUNT(1, 2, 3)", "3")],
            may_be_blank=False,
        ),
        _spec(
            "ROUND",
            _round,
            ["x", "digits=0"],
            1,
            2,
            ["number", "number"],
            "number",
            "Round to the given decimals, halves away from zero (as in Excel).",
            "四舍五入到指定小数位（与 Excel 相同，.5 远离零进位）。",
            [("ROUND(2.345, 2)", "2.35"), ("ROUND(-2.5)", "-3"), ("ROUND(1234, -2)", "1200")],
        ),
        _spec(
            "ROUNDUP",
            _roundup,
            ["x", "digits=0"],
            1,
            2,
            ["number", "number"],
            "number",
            "Round away from zero.",
            "向远离零的方向进位。",
            [("ROUNDUP(2.301, 1)", "2.4"), ("ROUNDUP(-2.301, 1)", "-2.4")],
        ),
        _spec(
            "ROUNDDOWN",
            _rounddown,
            ["x", "digits=0"],
            1,
            2,
            ["number", "number"],
            "number",
            "Round towards zero.",
            "向零的方向舍去。",
            [("ROUNDDOWN(2.399, 1)", "2.3")],
        ),
        _spec(
            "FLOOR",
            _floor,
            ["x", "step=1"],
            1,
            2,
            ["number", "number"],
            "number",
            "Round down to a multiple of the step.",
            "向下取到步长的整数倍。",
            [("FLOOR(7.8)", "7"), ("FLOOR(17, 5)", "15")],
        ),
        _spec(
            "CEIL",
            _ceil,
            ["x", "step=1"],
            1,
            2,
            ["number", "number"],
            "number",
            "Round up to a multiple of the step.",
            "向上取到步长的整数倍。",
            [("CEIL(7.2)", "8"), ("CEIL(17, 5)", "20")],
        ),
        _spec(
            "ABS",
            _abs,
            ["x"],
            1,
            1,
            ["number"],
            "number",
            "The value without its sign.",
            "绝对值。",
            [("ABS(-4)", "4")],
        ),
        _spec(
            "CLAMP",
            _clamp,
            ["x", "low", "high"],
            3,
            3,
            ["number"],
            "number",
            "Keep x between low and high.",
            "把 x 限制在下限与上限之间。",
            [("CLAMP(130, 0, 120)", "120")],
        ),
        _spec(
            "RATIO",
            _ratio,
            ["a", "b", "default=0"],
            2,
            3,
            ["number", "number", "any"],
            "number",
            "a / b, or the default when b is 0 or blank.",
            "a ÷ b；b 为 0 或空时取默认值。",
            [("RATIO(90, 100)", "0.9"), ("RATIO(5, 0)", "0"), ("RATIO(5, 0, 1)", "1")],
        ),
        _spec(
            "COALESCE",
            _coalesce,
            ["x", "default"],
            2,
            None,
            ["any"],
            "any",
            "The first value that is not blank.",
            "第一个非空值。",
            [("COALESCE(5, 0)", "5")],
        ),
        _spec(
            "ISBLANK",
            _isblank,
            ["x"],
            1,
            1,
            ["any"],
            "bool",
            "Whether the value is blank (not yet given).",
            "判断值是否为空（尚未填写）。",
            [("ISBLANK(5)", "false")],
            may_be_blank=False,
        ),
        _spec(
            "BANDS",
            _bands,
            ["x", "mins", "values"],
            3,
            3,
            ["number", "list", "list"],
            "any",
            "The value of the band with the highest minimum at or below x; blank below every band.",
            "取下限不超过 x 的最高档对应的值；低于所有档时为空。",
            [("BANDS(87, [0, 60, 80, 95], [40, 70, 85, 100])", "85")],
        ),
        _spec(
            "INTERP",
            _interp,
            ["x", "xs", "ys"],
            3,
            3,
            ["number", "list", "list"],
            "number",
            "Straight-line interpolation through the points; flat beyond the ends.",
            "按各点线性插值；超出两端时取端点值。",
            [
                ("INTERP(90, [80, 100], [60, 100])", "80"),
                ("INTERP(50, [80, 100], [60, 100])", "60"),
            ],
        ),
        _spec(
            "PROGRESSIVE",
            _progressive,
            ["amount", "thresholds", "rates"],
            3,
            3,
            ["number", "list", "list"],
            "number",
            "Progressive brackets, like income tax: each rate applies to the part of the "
            "amount within its bracket.",
            "超额累进（类似个税）：每档费率只作用于落在该档内的部分。",
            [("PROGRESSIVE(250000, [0, 100000, 200000], [0.03, 0.05, 0.08])", "12000")],
        ),
        _spec(
            "LOOKUP",
            _lookup,
            ["key", "keys", "values", "default=blank"],
            3,
            4,
            ["any", "list", "list", "any"],
            "any",
            "The value standing at the key's place in the keys; the default (or blank) when "
            "it is not there.",
            "在键列表中找到 key，返回对应位置的值；找不到时返回默认值（或空）。",
            [("LOOKUP('A', ['S', 'A', 'B'], [1.5, 1.2, 1.0])", "1.2")],
        ),
    ]
}

# Implementations for the formula's fast path, used where every argument is a number (never
# blank, never a list): the same result as the function's own implementation on such
# arguments, without its checks (blanks, lists, types), which the fast path has made.
NUMBER_ONLY: dict[str, Callable[..., Any]] = {
    "MIN": min,
    "MAX": max,
    "ABS": abs,
    "ROUND": _round_numbers,
}
