"""The scoring methods: one declaration each, read by validation, the scorer, the builder's
forms and the runtime (which items take a target). Adding a method is adding a `MethodSpec`
here and its label in `appraisal/labels.py` (`METHOD`); nothing else branches on a method's
name. `functions.FunctionSpec` is the same idea for the formula language.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from .formula import Formula
from .functions import interpolate
from .numbers import CENT, CONTEXT, HUNDRED, ZERO, round2, shown

NUMBER_PARAMETERS = ("cap", "floor", "base", "per_unit")  # the plain-number parameters
ITEM_KINDS = frozenset({"number", "rating", "choice", "bool", "text", "date"})


class ScoringProblem(Exception):
    """A value a method cannot score; the scorer reports it at the rater's input."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclass(frozen=True)
class Scoring:
    """An item's compiled scoring: its method and that method's parameters."""

    method: str
    cap: Decimal = HUNDRED  # every method's score lies in [floor, cap] (design §5)
    floor: Decimal = ZERO
    on: str = "actual"
    bands: tuple[tuple[Decimal, Decimal], ...] = ()  # (min, score), highest min first
    points: tuple[tuple[Decimal, Decimal], ...] = ()
    base: Decimal = HUNDRED
    per_unit: Decimal = ZERO
    formula: Formula | None = None
    has_cap: bool = False

    @cached_property
    def spec(self) -> MethodSpec:
        return METHODS[self.method]

    @cached_property
    def scored(self) -> bool:
        return self.spec.scored

    @cached_property
    def divides_by_target(self) -> bool:
        """Methods that compute with actual / target, so the target must be above 0."""
        return self.spec.divides_by_target(self)

    @cached_property
    def needs_target(self) -> bool:
        """Whether a score needs the item's target (a formula: whether it reads `target`)."""
        return self.spec.needs_target(self)

    # The fixed parts of the explanations (English, Chinese), built once per compiled
    # template rather than per scoring.
    @cached_property
    def band_texts(self) -> tuple[tuple[Decimal, Decimal, str, str], ...]:
        """Each band as (min, score, how it scores)."""
        return tuple(
            (
                low,
                score,
                f"; band from {shown(low)} scores {shown(score)}",
                f"；{shown(low)} 以上档得 {shown(score)} 分",
            )
            for low, score in self.bands
        )

    @cached_property
    def floor_texts(self) -> tuple[str, str]:
        """A value below every band."""
        floor = shown(self.floor)
        return f"; below every band, floor {floor}", f"；低于所有档，取保底 {floor} 分"

    @cached_property
    def end_texts(self) -> tuple[str, str, str, str]:
        """A value at or beyond the first or the last point of a linear scale."""
        first, last = shown(self.points[0][1]), shown(self.points[-1][1])
        return (
            f"; at or below the first point, {first}",
            f"；不高于第一个点，得 {first} 分",
            f"; at or above the last point, {last}",
            f"；不低于最后一个点，得 {last} 分",
        )

    @cached_property
    def deduction_text(self) -> str:
        return f"{shown(self.base)} − {shown(self.per_unit)} × "


@dataclass(frozen=True)
class ScoringContext:
    """What validating a method's parameters may need of the item around it."""

    key: str
    value_types: Mapping[str, str]
    # compiles a formula at a path for an owner, reporting errors; None when it fails
    formula: Callable[[Any, str, Mapping[str, str], str], Formula | None]


# One rater's score for a value: (score before rounding, how in English, how in Chinese); the
# texts may be "" when `run.explain` is false (only the figures are wanted: skip the working).
Scorer = Callable[[Any, Any, "Decimal | None", Any], tuple[Decimal, str, str]]
# A rounded score and the float the Result shows for it (the nearest).
Scored = tuple[Decimal, float]
# The lean scorer's twin of a Scorer (`MethodSpec.lean`): one rater's score for a regular
# value (valid, its target there and above 0 where needed), already rounded to 2 decimals, as
# `round2(score(...)[0])` gives it, with its float; the run is passed for methods that have
# no lean twin.
LeanScore = Callable[[Any, "Decimal | None", Any], Scored]
# Checks a method's own parameters, adding errors to `check` and parameters to `values`.
Validator = Callable[[Any, Mapping[str, Any], str, dict[str, Any], ScoringContext], None]


@dataclass(frozen=True)
class MethodSpec:
    """Everything the product knows about one scoring method."""

    name: str
    parameters: tuple[str, ...]  # fields of the scoring object besides `method`
    validate: Validator
    score: Scorer
    needs_target: Callable[[Scoring], bool]
    divides_by_target: Callable[[Scoring], bool]
    item_kinds: frozenset[str]  # the item types it can score
    scored: bool = True
    in_library: bool = True  # may be an indicator's default (a formula names other items)
    table: str | None = None  # the parameter the builder types one row a line
    counts_units: bool = False  # the value is a count: an item's `min` is never below 0
    # Makes the item's LeanScore once per compiled template (constants bound, fixed figures
    # rounded ahead); None: the lean scorer calls `score` and rounds.
    lean: Callable[[Any], LeanScore] | None = None

    def lean_score(self, item: Any) -> LeanScore:
        """The item's LeanScore: this method's own, or `score` rounded."""
        if self.lean is not None:
            return self.lean(item)
        score = self.score

        def rounded_score(value: Any, target: Decimal | None, run: Any) -> Scored:
            return scored(round2(score(item, value, target, run)[0]))

        return rounded_score

    @property
    def fields(self) -> frozenset[str]:
        return frozenset({"method", *self.parameters})

    @property
    def numbers(self) -> tuple[str, ...]:
        """The plain-number parameters, in the builder's order."""
        return tuple(p for p in NUMBER_PARAMETERS if p in self.parameters)

    @property
    def label_key(self) -> str:
        """Its key in `labels.METHOD`."""
        return self.name


# -- scoring ---------------------------------------------------------------------------------


def within(value: Decimal, floor: Decimal, cap: Decimal) -> Decimal:
    """`min(max(value, floor), cap)`, the same objects, without the builtins' overhead."""
    if floor > value:
        value = floor
    return cap if cap < value else value


def clamped(raw: Decimal | None, score: Decimal) -> tuple[str, str]:
    """Where a bound changed a figure, the working says so (English, Chinese)."""
    if raw == score:
        return "", ""
    text = shown(score)
    return f", limited to {text}", f"，限定为 {text}"


def _number(value: Any) -> Decimal:
    if value.__class__ is not Decimal:
        raise ScoringProblem("a number is needed", "需要数字")
    return value


def _score_rating(item: Any, value: Any, target: Decimal | None, run: Any):
    return (item.levels[value], *item.level_texts[value])


def _score_formula(item: Any, value: Any, target: Decimal | None, run: Any):
    s = item.scoring
    names = {"actual": value, "target": target}
    result = run.evaluate(s.formula, f"items.{item.key}.scoring.formula", names)
    if result is None:
        raise ScoringProblem("the formula gave no value", "公式没有得出结果")
    if result.__class__ is not Decimal:
        raise ScoringProblem("the formula must give a number", "公式结果应为数字")
    score = within(result, s.floor, s.cap)
    if not run.explain:
        return score, "", ""
    working = f"{s.formula.source} = {shown(result)}"
    en, zh = clamped(result, score)
    return score, f"formula {working}{en}", f"公式 {working}{zh}"


def _score_ratio(item: Any, value: Any, target: Decimal | None, run: Any):
    s, value = item.scoring, _number(value)
    raw = HUNDRED * value / target
    score = within(raw, s.floor, s.cap)
    if not run.explain:
        return score, "", ""
    working = f"100 × {shown(value)} / {shown(target)} = {shown(raw)}"
    en, zh = clamped(raw, score)
    return score, working + en, working + zh


def _score_reverse_ratio(item: Any, value: Any, target: Decimal | None, run: Any):
    s, value = item.scoring, _number(value)
    if value == 0:
        if not run.explain:
            return s.cap, "", ""
        working = f"100 × {shown(target)} / 0 = ∞"
        en, zh = clamped(None, s.cap)
        return s.cap, working + en, working + zh
    raw = HUNDRED * target / value
    score = within(raw, s.floor, s.cap)
    if not run.explain:
        return score, "", ""
    working = f"100 × {shown(target)} / {shown(value)} = {shown(raw)}"
    en, zh = clamped(raw, score)
    return score, working + en, working + zh


def _score_deduction(item: Any, value: Any, target: Decimal | None, run: Any):
    s, value = item.scoring, _number(value)
    raw = s.base - s.per_unit * value
    score = max(s.floor, min(raw, s.base))  # a count below 0 never adds points
    if not run.explain:
        return score, "", ""
    working = f"{s.deduction_text}{shown(value)} = {shown(raw)}"
    en, zh = clamped(raw, score)
    return score, working + en, working + zh


def _on(s: Scoring, value: Decimal, target: Decimal | None) -> Decimal:
    """What bands and linear points read: the actual, or the achievement in percent."""
    return HUNDRED * value / target if s.on == "achievement" else value


def _basis(s: Scoring, value: Decimal, target: Decimal | None, x: Decimal) -> tuple[str, str]:
    """How `_on` read the value, for the working (English, Chinese)."""
    if s.on == "achievement":
        working = f"100 × {shown(value)} / {shown(target)} = {shown(x)}%"
        return f"achievement {working}", f"达成率 {working}"
    shown_value = shown(value)
    return f"actual {shown_value}", f"实际值 {shown_value}"


def _score_bands(item: Any, value: Any, target: Decimal | None, run: Any):
    s, value = item.scoring, _number(value)
    x = _on(s, value, target)
    band_score, en, zh = next(
        ((score, en, zh) for low, score, en, zh in s.band_texts if low <= x),
        (s.floor, *s.floor_texts),
    )
    if not run.explain:
        return band_score, "", ""
    basis, basis_zh = _basis(s, value, target, x)
    return band_score, basis + en, basis_zh + zh


def _score_linear(item: Any, value: Any, target: Decimal | None, run: Any):
    s, value = item.scoring, _number(value)
    x = _on(s, value, target)
    points = s.points
    if x <= points[0][0]:
        score, en, zh = points[0][1], s.end_texts[0], s.end_texts[1]
    elif x >= points[-1][0]:
        score, en, zh = points[-1][1], s.end_texts[2], s.end_texts[3]
    else:
        score, en, zh = interpolate(x, points), None, None
    if not run.explain:
        return score, "", ""
    basis, basis_zh = _basis(s, value, target, x)
    if en is not None:
        return score, basis + en, basis_zh + zh
    (x0, y0), (x1, y1) = next((a, b) for a, b in itertools.pairwise(points) if a[0] <= x <= b[0])
    between = f"({shown(x0)}, {shown(y0)}) → ({shown(x1)}, {shown(y1)})"
    shown_score = shown(score)
    return (
        score,
        f"{basis}; between ({shown(x0)}, {shown(y0)}) and ({shown(x1)}, {shown(y1)}) → "
        f"{shown_score}",
        f"{basis_zh}；在 {between} 之间插值 → {shown_score}",
    )


def _score_nothing(item: Any, value: Any, target: Decimal | None, run: Any):
    raise ScoringProblem("this item is not scored", "该项目不计分")  # pragma: no cover


# -- the lean twins: the same decimal operations in the same order, without the working -----
#
# Made once per compiled template (under the scoring context) for the lean scorer, which
# hands them only regular values: a Decimal for numeric methods, a level for ratings, a
# target above 0 wherever one is divided by. Figures that do not depend on the value (band
# scores, levels, the ends of a linear scale, a bound, a segment's rise and run) are worked
# out here, once, with the float the Result shows for them: the same operations on the same
# operands give the same Decimal every time, and converting a Decimal to a float costs as
# much as scoring it.


def scored(value: Decimal) -> Scored:
    """A rounded score with its float (the nearest, as `to_float`), as lean scorers give it."""
    return value, float(value) + 0.0


def _lean_rating(item: Any) -> LeanScore:
    levels = {value: scored(round2(score)) for value, score in item.levels.items()}

    def rating(value: Any, target: Decimal | None, run: Any) -> Scored:
        return levels[value]

    return rating


def _lean_ratio(item: Any) -> LeanScore:
    floor, cap = item.scoring.floor, item.scoring.cap
    # raw below the floor: the floor, unless the cap is lower still (floor first, then cap)
    at_floor = scored(round2(cap if cap < floor else floor))
    at_cap = scored(round2(cap))

    def ratio(value: Decimal, target: Decimal | None, run: Any) -> Scored:
        raw = HUNDRED * value / target
        if floor > raw:
            return at_floor
        if cap < raw:
            return at_cap
        raw = raw.quantize(CENT, ROUND_HALF_UP, CONTEXT) or ZERO
        return raw, float(raw) + 0.0

    return ratio


def _lean_reverse_ratio(item: Any) -> LeanScore:
    floor, cap = item.scoring.floor, item.scoring.cap
    at_floor = scored(round2(cap if cap < floor else floor))
    at_cap = scored(round2(cap))  # also the score of an actual of 0

    def reverse_ratio(value: Decimal, target: Decimal | None, run: Any) -> Scored:
        if value == 0:
            return at_cap
        raw = HUNDRED * target / value
        if floor > raw:
            return at_floor
        if cap < raw:
            return at_cap
        raw = raw.quantize(CENT, ROUND_HALF_UP, CONTEXT) or ZERO
        return raw, float(raw) + 0.0

    return reverse_ratio


def _lean_deduction(item: Any) -> LeanScore:
    s = item.scoring
    base, per_unit, floor = s.base, s.per_unit, s.floor
    # min(raw, base) then max(floor, ·): at or above the base, the base (or a floor above it)
    at_base = scored(round2(base if base > floor else floor))
    at_floor = scored(round2(floor))

    def deduction(value: Decimal, target: Decimal | None, run: Any) -> Scored:
        raw = base - per_unit * value
        if base < raw:
            return at_base
        if raw > floor:
            raw = raw.quantize(CENT, ROUND_HALF_UP, CONTEXT) or ZERO
            return raw, float(raw) + 0.0
        return at_floor

    return deduction


def _lean_bands(item: Any) -> LeanScore:
    """`_score_bands`: the first band (highest min first) whose min is at or below the value
    is the last of those ascending whose min is at or below it (mins are distinct)."""
    s = item.scoring
    lows = [low for low, _ in reversed(s.bands)]
    scores = [scored(round2(s.floor)), *(scored(round2(sc)) for _, sc in reversed(s.bands))]
    on_achievement = s.on == "achievement"

    def bands(value: Decimal, target: Decimal | None, run: Any) -> Scored:
        x = HUNDRED * value / target if on_achievement else value
        return scores[bisect_right(lows, x)]

    return bands


def _lean_linear(item: Any) -> LeanScore:
    """`_score_linear` and `functions.interpolate`: between the ends, the first segment with
    x0 ≤ x ≤ x1 is the one whose x1 is the first point at or above x (xs increase)."""
    s = item.scoring
    points = s.points
    xs = [x for x, _ in points]
    first_x, last_x = xs[0], xs[-1]
    first, last = scored(round2(points[0][1])), scored(round2(points[-1][1]))
    # segment i ends at point i: (x0, y0, y1 - y0, x1 - x0), as `interpolate` computes them
    segments = [
        None,
        *((x0, y0, y1 - y0, x1 - x0) for (x0, y0), (x1, y1) in itertools.pairwise(points)),
    ]
    on_achievement = s.on == "achievement"

    def linear(value: Decimal, target: Decimal | None, run: Any) -> Scored:
        x = HUNDRED * value / target if on_achievement else value
        if x <= first_x:
            return first
        if x >= last_x:
            return last
        x0, y0, rise, run_ = segments[bisect_left(xs, x)]
        raw = (y0 + rise * (x - x0) / run_).quantize(CENT, ROUND_HALF_UP, CONTEXT) or ZERO
        return raw, float(raw) + 0.0

    return linear


# -- validation of each method's parameters --------------------------------------------------


def _check_cap_above_floor(check, raw, path, values, context) -> None:
    if values.get("cap", 100) < values.get("floor", 0):
        check.add(f"{path}.cap", "must not be below the floor", "不能低于下限", "range")


def _check_deduction(check, raw, path, values, context) -> None:
    if values.get("base", 100) < values.get("floor", 0):
        check.add(f"{path}.floor", "must not be above the base", "不能高于基础分", "range")
    if "per_unit" not in raw:
        check.add(f"{path}.per_unit", "is required", "必填", "required")
    elif values.get("per_unit", 1) <= 0:
        check.add(f"{path}.per_unit", "must be above 0", "必须大于 0", "range")


def _check_on(check, raw, path, values) -> None:
    on = raw.get("on", "actual")
    if check.choice(on, f"{path}.on", ("actual", "achievement")):
        values["on"] = on


def _check_bands(check, raw, path, values, context) -> None:
    _check_on(check, raw, path, values)
    bands = raw.get("bands")
    if not isinstance(bands, list) or not bands:
        check.add(f"{path}.bands", "needs at least one band", "至少需要一档", "required")
        return
    parsed: list[tuple[Decimal, Decimal]] = []
    for index, band in enumerate(bands):
        band_path = f"{path}.bands[{index}]"
        if not check.obj(band, band_path, {"min", "score"}, ("min", "score")):
            continue
        low = check.number(band.get("min"), f"{band_path}.min")
        score = check.number(band.get("score"), f"{band_path}.score", minimum=0)
        if low is None or score is None:
            continue
        if any(low == existing for existing, _ in parsed):
            check.add(
                f"{band_path}.min",
                f"another band also starts at {shown(low)}",
                f"另一档也从 {shown(low)} 开始",
                "duplicate",
            )
        parsed.append((low, score))
    values["bands"] = tuple(sorted(parsed, key=lambda b: -b[0]))


def _check_linear(check, raw, path, values, context) -> None:
    _check_on(check, raw, path, values)
    points = raw.get("points")
    if not isinstance(points, list) or len(points) < 2:
        check.add(
            f"{path}.points",
            "needs at least two points [x, score]",
            "至少需要两个点 [x, 分数]",
            "required",
        )
        return
    parsed: list[tuple[Decimal, Decimal]] = []
    for index, point in enumerate(points):
        point_path = f"{path}.points[{index}]"
        if not isinstance(point, list) or len(point) != 2:
            check.add(point_path, "must be a pair [x, score]", "应为 [x, 分数]", "type")
            continue
        x = check.number(point[0], f"{point_path}[0]")
        y = check.number(point[1], f"{point_path}[1]")
        if x is not None and y is not None:
            if parsed and x <= parsed[-1][0]:
                check.add(f"{point_path}[0]", "x values must increase", "x 值必须递增", "order")
            parsed.append((x, y))
    values["points"] = tuple(parsed)


def _check_formula(check, raw, path, values, context: ScoringContext) -> None:
    _check_cap_above_floor(check, raw, path, values, context)
    if "formula" not in raw:
        check.add(f"{path}.formula", "is required", "必填", "required")
        return
    key, value_types = context.key, context.value_types
    names = {k: t for k, t in value_types.items() if k != key}
    names |= {"actual": value_types.get(key, "number"), "target": "number"}
    compiled = context.formula(raw["formula"], f"{path}.formula", names, key)
    if compiled is not None and compiled.result_type not in ("number", "any"):
        check.add(
            f"{path}.formula",
            "must give a number (the score)",
            "结果应为数字（分数）",
            "formula_type",
        )
    values["formula"] = compiled


def _nothing_to_check(check, raw, path, values, context) -> None:
    return None


# -- the registry ----------------------------------------------------------------------------


def _always(scoring: Scoring) -> bool:
    return True


def _never(scoring: Scoring) -> bool:
    return False


def _on_achievement(scoring: Scoring) -> bool:
    return scoring.on == "achievement"


def _formula_reads_target(scoring: Scoring) -> bool:
    """The compiled formula reads the name `target` (not a name merely containing it)."""
    return scoring.formula is not None and "target" in scoring.formula.names


# Numeric methods score numbers; yes/no items are not refused (a count of 1 or 0).
_NUMERIC = frozenset({"number", "bool"})

METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec(
            "ratio",
            ("cap", "floor"),
            _check_cap_above_floor,
            _score_ratio,
            _always,
            _always,
            _NUMERIC,
            lean=_lean_ratio,
        ),
        MethodSpec(
            "reverse_ratio",
            ("cap", "floor"),
            _check_cap_above_floor,
            _score_reverse_ratio,
            _always,
            _always,
            _NUMERIC,
            lean=_lean_reverse_ratio,
        ),
        MethodSpec(
            "bands",
            ("on", "bands", "floor"),
            _check_bands,
            _score_bands,
            _on_achievement,
            _on_achievement,
            _NUMERIC,
            table="bands",
            lean=_lean_bands,
        ),
        MethodSpec(
            "linear",
            ("on", "points"),
            _check_linear,
            _score_linear,
            _on_achievement,
            _on_achievement,
            _NUMERIC,
            table="points",
            lean=_lean_linear,
        ),
        MethodSpec(
            "deduction",
            ("base", "per_unit", "floor"),
            _check_deduction,
            _score_deduction,
            _never,
            _never,
            _NUMERIC,
            counts_units=True,
            lean=_lean_deduction,
        ),
        MethodSpec(
            "rating",
            (),
            _nothing_to_check,
            _score_rating,
            _never,
            _never,
            frozenset({"rating", "choice", "bool"}),
            lean=_lean_rating,
        ),
        MethodSpec(
            "formula",
            ("formula", "cap", "floor"),
            _check_formula,
            _score_formula,
            _formula_reads_target,
            _never,
            ITEM_KINDS,
            in_library=False,
        ),
        MethodSpec(
            "none",
            (),
            _nothing_to_check,
            _score_nothing,
            _never,
            _never,
            ITEM_KINDS,
            scored=False,
        ),
    )
}


def method_names() -> tuple[str, ...]:
    """Every method's name, in the order the builder lists them."""
    return tuple(METHODS)


def wrong_kind_message(kind: str) -> tuple[str, str]:
    """Why a method cannot score an item of this type (English, Chinese)."""
    if kind in ("text", "date"):
        return f"a {kind} item can only be scored by a formula", f"{kind} 类型项目只能用公式计分"
    if kind == "number":
        return "rating scoring needs a rating or choice item", "评分法计分需要评分项或选择项"
    return "score a rating or choice item with `rating`", "评分项和选择项请用 `rating` 计分"
