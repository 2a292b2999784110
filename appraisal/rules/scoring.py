"""Scoring an appraisal: `score(definition, inputs) -> Result` (design §5).

Pure: the definition (or its compiled form) and the inputs of design §9 in, a frozen Result
with an explanation for every figure out. Each level is computed from the rounded figures of
the level below, so the page's numbers add up, and the grade comes from the rounded total.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from .definition import OPTIONAL_RATERS, CompiledTemplate, Item, Scoring, compile_template
from .errors import FormulaError
from .functions import round_half_away

NA = "n/a"
SINGLE_RATERS = ("data", "self", "manager", "hr")
GROUP_INPUTS = {"peer": "peers", "subordinate": "subordinates"}
VALUE_PRIORITY = ("manager", "hr", "self", "data", "peer", "subordinate")


def round2(value: float) -> float:
    return round_half_away(value, 2)


@dataclass(frozen=True)
class Result:
    items: dict[str, float | None]
    sections: dict[str, float | None]
    base_total: float | None
    total: float | None
    grade: str | None
    veto: str | None
    outputs: dict[str, Any]
    missing: list[str]
    complete: bool
    missing_inputs: list[dict[str, str]] = field(default_factory=list)
    not_applicable: dict[str, str] = field(default_factory=dict)
    adjustments: dict[str, float | None] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    explanations: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "sections": self.sections,
            "base_total": self.base_total,
            "total": self.total,
            "grade": self.grade,
            "veto": self.veto,
            "outputs": {k: _jsonable(v) for k, v in self.outputs.items()},
            "missing": self.missing,
            "complete": self.complete,
            "missing_inputs": self.missing_inputs,
            "not_applicable": self.not_applicable,
            "adjustments": self.adjustments,
            "errors": self.errors,
            "explanations": _jsonable(self.explanations),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# -- compiled definitions, cached ------------------------------------------------------------

_CACHE: OrderedDict[str, CompiledTemplate] = OrderedDict()
_CACHE_SIZE = 256


def compiled(definition: Mapping[str, Any] | CompiledTemplate) -> CompiledTemplate:
    """The compiled form of a definition, compiled once per distinct definition."""
    if isinstance(definition, CompiledTemplate):
        return definition
    digest = hashlib.sha256(
        json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    template = _CACHE.get(digest)
    if template is None:
        template = compile_template(definition)
        _CACHE[digest] = template
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(digest)
    return template


# -- scoring ---------------------------------------------------------------------------------


class _Run:
    """The state of one scoring; nothing of it outlives the call."""

    def __init__(self, template: CompiledTemplate, inputs: Mapping[str, Any]) -> None:
        self.t = template
        self.inputs = inputs if isinstance(inputs, Mapping) else {}
        skipped = self.inputs.get("skipped")
        # Raters whose step the workflow skipped (a self-review nobody can write): treated
        # like optional raters, so their weight is spread over the others.
        self.skipped = frozenset(skipped) if isinstance(skipped, list | tuple) else frozenset()
        self.missing: list[dict[str, str]] = []
        self.errors: list[dict[str, Any]] = []
        self.values: dict[str, Any] = {}
        self.targets: dict[str, float | None] = {}
        self.na: dict[str, str] = {}
        self.explain_items: dict[str, dict[str, Any]] = {}

    # inputs
    def source(self, rater: str) -> Mapping[str, Any]:
        raw = self.inputs.get(rater)
        return raw if isinstance(raw, Mapping) else {}

    def group(self, rater: str) -> list[Mapping[str, Any]]:
        raw = self.inputs.get(GROUP_INPUTS[rater])
        return [r for r in raw if isinstance(r, Mapping)] if isinstance(raw, list) else []

    def lack(self, rater: str, key: str) -> None:
        self.missing.append({"key": key, "rater": rater})

    def error(self, where: str, message: str, message_zh: str | None = None, **extra) -> None:
        self.errors.append(
            {"where": where, "message": message, "message_zh": message_zh or message, **extra}
        )

    def formula_error(self, where: str, error: FormulaError) -> None:
        self.error(where, error.message, error.message_in("zh"), kind=error.kind)

    def accept(self, item: Item, rater: str, raw: Any) -> Any:
        """A rater's value, checked against the item; None when blank or invalid."""
        if raw is None:
            return None
        if isinstance(raw, str) and raw.strip().lower() == NA:
            if item.allow_na:
                return NA
            self.error(
                f"{rater}.{item.key}", "this item cannot be marked N/A", "该项目不允许标记为不适用"
            )
            return None
        kind = item.type
        if kind in ("rating", "choice"):
            if raw in item.levels and not isinstance(raw, bool):
                return raw
            self.error(
                f"{rater}.{item.key}",
                f"{raw!r} is not one of the allowed values {list(item.levels)}",
                f"{raw!r} 不是允许的取值 {list(item.levels)}",
            )
            return None
        if kind == "number":
            if (
                raw.__class__ is float
                or raw.__class__ is int
                or (isinstance(raw, Real) and not isinstance(raw, bool))
            ) and math.isfinite(raw):
                value = float(raw)
                if item.minimum is not None and value < item.minimum:
                    self.error(
                        f"{rater}.{item.key}",
                        f"{value:g} is below the minimum {item.minimum:g}",
                        f"{value:g} 低于最小值 {item.minimum:g}",
                    )
                    return None
                if item.maximum is not None and value > item.maximum:
                    self.error(
                        f"{rater}.{item.key}",
                        f"{value:g} is above the maximum {item.maximum:g}",
                        f"{value:g} 高于最大值 {item.maximum:g}",
                    )
                    return None
                return value
            self.error(f"{rater}.{item.key}", f"{raw!r} is not a number", f"{raw!r} 不是数字")
            return None
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            self.error(f"{rater}.{item.key}", f"{raw!r} is not yes/no", f"{raw!r} 不是是/否")
            return None
        if kind == "date":
            try:
                return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
            except ValueError:
                self.error(
                    f"{rater}.{item.key}",
                    f"{raw!r} is not a date (YYYY-MM-DD)",
                    f"{raw!r} 不是日期（YYYY-MM-DD）",
                )
                return None
        return raw if isinstance(raw, str) else str(raw)

    def rater_values(self, item: Item) -> dict[str, list[Any]]:
        """Each rater group's accepted values (blank values left out)."""
        given: dict[str, list[Any]] = {}
        for rater in item.raters:
            if rater in GROUP_INPUTS:
                values = [self.accept(item, rater, r.get(item.key)) for r in self.group(rater)]
            else:
                values = [self.accept(item, rater, self.source(rater).get(item.key))]
            given[rater] = [v for v in values if v is not None]
        return given

    def target(self, item: Item) -> float | None:
        if item.target is not None:
            return item.target
        raw = (
            (self.inputs.get("targets") or {}).get(item.key)
            if isinstance(self.inputs.get("targets"), Mapping)
            else None
        )
        if raw is None:
            return None
        if isinstance(raw, Real) and not isinstance(raw, bool) and math.isfinite(raw):
            return float(raw)
        self.error(f"targets.{item.key}", f"{raw!r} is not a number", f"{raw!r} 不是数字")
        return None

    # values
    def collect_values(self) -> dict[str, dict[str, list[Any]]]:
        given_by_item: dict[str, dict[str, list[Any]]] = {}
        for key, item in self.t.items.items():
            self.targets[key] = self.target(item)
            if item.formula is not None:
                continue
            given = self.rater_values(item)
            given_by_item[key] = given
            if key in self.t.value_names:
                self.values[key] = _consolidate(item, given)
        for key in self.t.computed_order:
            item = self.t.items[key]
            self.values[key] = self.evaluate(item.formula, key, f"items.{key}.formula")
        return given_by_item

    def names(self) -> dict[str, Any]:
        names = {k: (None if v == NA else v) for k, v in self.values.items()}
        names.update({f"{k}_target": v for k, v in self.targets.items()})
        return names

    def evaluate(self, formula, owner: str, where: str, extra: Mapping[str, Any] | None = None):
        values = self.names()
        if extra:
            values.update(extra)
        try:
            return formula.evaluate(values)
        except FormulaError as error:
            self.formula_error(where, error)
            return None


def _consolidate(item: Item, given: Mapping[str, list[Any]]) -> Any:
    """The item's value as other formulas see it: the weighted average of numeric ratings,
    otherwise the value of the most senior rater who gave one."""
    groups = {r: [v for v in vs if v != NA] for r, vs in given.items()}
    groups = {r: vs for r, vs in groups.items() if vs}
    if not groups:
        return NA if any(given.values()) else None
    numeric = all(
        isinstance(v, float | int) and not isinstance(v, bool) for vs in groups.values() for v in vs
    )
    if numeric and len(groups) > 1:
        weights = {r: item.rater_weights.get(r, 0.0) for r in groups}
        total = sum(weights.values())
        if total > 0:
            return sum(weights[r] * (sum(vs) / len(vs)) for r, vs in groups.items()) / total
    for rater in VALUE_PRIORITY:
        if rater in groups:
            values = groups[rater]
            if numeric:
                return sum(values) / len(values)
            return values[0]
    return None  # pragma: no cover


class ScoringProblem(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


def method_score(item: Item, value: Any, target: float | None, run: _Run) -> tuple[float, str, str]:
    """One rater's score for a value, before rounding, with how it was reached (in English
    and in Chinese, for the explanations people read)."""
    s: Scoring = item.scoring
    method = s.method
    if method == "rating":
        score = item.levels[value]
        return score, f"level {value!r} scores {score:g}", f"等级 {value!r} 得 {score:g} 分"
    if method == "formula":
        names = {"actual": value, "target": target}
        result = run.evaluate(s.formula, item.key, f"items.{item.key}.scoring.formula", names)
        if result is None:
            raise ScoringProblem("the formula gave no value", "公式没有得出结果")
        if isinstance(result, bool) or not isinstance(result, float | int):
            raise ScoringProblem("the formula must give a number", "公式结果应为数字")
        score = float(result)
        if s.has_cap:
            score = min(score, s.cap)
        score = max(score, s.floor)
        working = f"{s.formula.source} = {result:g}"
        return score, f"formula {working}", f"公式 {working}"
    if not isinstance(value, float | int) or isinstance(value, bool):
        raise ScoringProblem("a number is needed", "需要数字")
    if method in ("ratio", "reverse_ratio"):
        if target <= 0:
            raise ScoringProblem("the target must be above 0", "目标值必须大于 0")
        if method == "ratio":
            raw = 100 * value / target
            working = f"100 × {value:g} / {target:g} = {raw:g}"
        else:
            raw = math.inf if value == 0 else 100 * target / value
            working = f"100 × {target:g} / {value:g} = {'∞' if raw == math.inf else f'{raw:g}'}"
        score = min(max(raw, s.floor), s.cap)
        return score, working + _clamped(raw, score, "en"), working + _clamped(raw, score, "zh")
    x, basis, basis_zh = value, f"actual {value:g}", f"实际值 {value:g}"
    if method in ("bands", "linear") and s.on == "achievement":
        if target <= 0:
            raise ScoringProblem("the target must be above 0", "目标值必须大于 0")
        x = 100 * value / target
        basis = f"achievement 100 × {value:g} / {target:g} = {x:g}%"
        basis_zh = f"达成率 100 × {value:g} / {target:g} = {x:g}%"
    if method == "bands":
        for low, band_score in s.bands:
            if low <= x:
                return (
                    band_score,
                    f"{basis}; band from {low:g} scores {band_score:g}",
                    f"{basis_zh}；{low:g} 以上档得 {band_score:g} 分",
                )
        return (
            s.floor,
            f"{basis}; below every band, floor {s.floor:g}",
            f"{basis_zh}；低于所有档，取保底 {s.floor:g} 分",
        )
    if method == "linear":
        points = s.points
        if x <= points[0][0]:
            first = points[0][1]
            return (
                first,
                f"{basis}; at or below the first point, {first:g}",
                f"{basis_zh}；不高于第一个点，得 {first:g} 分",
            )
        if x >= points[-1][0]:
            last = points[-1][1]
            return (
                last,
                f"{basis}; at or above the last point, {last:g}",
                f"{basis_zh}；不低于最后一个点，得 {last:g} 分",
            )
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if x0 <= x <= x1:
                score = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
                between = f"({x0:g}, {y0:g}) → ({x1:g}, {y1:g})"
                return (
                    score,
                    f"{basis}; between ({x0:g}, {y0:g}) and ({x1:g}, {y1:g}) → {score:g}",
                    f"{basis_zh}；在 {between} 之间插值 → {score:g}",
                )
    if method == "deduction":
        raw = s.base - s.per_unit * value
        score = max(s.floor, raw)
        working = f"{s.base:g} − {s.per_unit:g} × {value:g} = {raw:g}"
        return score, working + _clamped(raw, score, "en"), working + _clamped(raw, score, "zh")
    raise ScoringProblem(f"unknown method {method}", f"未知计分方法 {method}")  # pragma: no cover


def _clamped(raw: float, score: float, language: str) -> str:
    if raw == score:
        return ""
    return f", limited to {score:g}" if language == "en" else f"，限定为 {score:g}"


def score(
    definition: Mapping[str, Any] | CompiledTemplate,
    inputs: Mapping[str, Any],
    calibrated_grade: str | None = None,
) -> Result:
    """Score one appraisal's inputs against a template definition (design §5, §9).

    `calibrated_grade` is a grade HR set at calibration: it replaces the computed grade (and
    so feeds the outputs, such as the pay coefficient); the explanation keeps both.
    """
    template = compiled(definition)
    run = _Run(template, inputs)
    given_by_item = run.collect_values()
    names_now = run.names()

    item_scores: dict[str, float | None] = {}
    for key, item in template.items.items():
        explanation: dict[str, Any] = {"method": item.scoring.method, "weight": item.weight}
        run.explain_items[key] = explanation
        if item.visible_if is not None:
            try:
                visible = item.visible_if.evaluate(names_now)
            except FormulaError as error:
                run.formula_error(f"items.{key}.visible_if", error)
                visible = None
            explanation["visible_if"] = item.visible_if.source
            if visible is False:
                run.na[key] = "hidden"
                explanation["not_applicable"] = "hidden"
                item_scores[key] = None
                continue
        if not item.scored:
            item_scores[key] = None
            explanation["value"] = run.values.get(key)
            continue
        item_scores[key] = _score_item(run, item, given_by_item.get(key), explanation)

    sections: dict[str, float | None] = {}
    explain_sections: dict[str, Any] = {}
    for section in template.sections:
        parts = [
            (k, template.items[k].weight, item_scores[k])
            for k in section.items
            if template.items[k].scored and template.items[k].weight > 0 and k not in run.na
        ]
        dropped = [k for k in section.items if k in run.na and template.items[k].scored]
        sections[section.key], explain_sections[section.key] = _weighted(parts, dropped)
        if not parts:
            run.na[section.key] = "no applicable item"

    section_parts = [
        (s.key, s.weight, sections[s.key])
        for s in template.sections
        if s.key not in run.na and s.weight > 0
    ]
    dropped_sections = [s.key for s in template.sections if s.key in run.na]
    base_total, explain_base = _weighted(section_parts, dropped_sections)

    names = (
        run.names()
        | {f"{k}_score": v for k, v in item_scores.items()}
        | {f"{k}_score": v for k, v in sections.items()}
    )
    adjustments, points_total, veto, adjust_explained, given = _adjust(run, names)
    names |= given

    total = None
    if base_total is not None and points_total is not None:
        raw_total = base_total + points_total
        total = round2(min(max(raw_total, 0.0), template.max_total))
    computed_grade = veto.grade if veto else _grade(template, total)
    grade = calibrated_grade or computed_grade

    names |= {"base_total": base_total, "total": total, "grade": grade}
    outputs: dict[str, Any] = {}
    explain_outputs: dict[str, Any] = {}
    for output in template.outputs:
        try:
            value = output.formula.evaluate(names)
        except FormulaError as error:
            run.formula_error(f"outputs.{output.key}", error)
            value = None
        outputs[output.key] = value
        names[output.key] = value
        explain_outputs[output.key] = {
            "formula": output.formula.source,
            "value": value,
            "inputs": {n: names.get(n) for n in sorted(output.formula.names)},
        }

    missing_keys: list[str] = []
    for entry in run.missing:
        if entry["key"] not in missing_keys:
            missing_keys.append(entry["key"])
    complete = not run.missing and not run.errors and total is not None and grade is not None
    explanations = {
        "items": run.explain_items,
        "sections": explain_sections,
        "base_total": explain_base,
        "adjustments": adjust_explained,
        "total": {
            "base_total": base_total,
            "points": points_total,
            "max_total": template.max_total,
            "value": total,
        },
        "grade": {
            "total": total,
            "veto": veto.key if veto else None,
            "grade": grade,
            "computed": computed_grade,
            "calibrated": calibrated_grade,
            "bands": [{"grade": g, "min": m} for g, m in template.grades],
        },
        "outputs": explain_outputs,
    }
    return Result(
        items=item_scores,
        sections=sections,
        base_total=base_total,
        total=total,
        grade=grade,
        veto=veto.key if veto else None,
        outputs=outputs,
        missing=missing_keys,
        complete=complete,
        missing_inputs=run.missing,
        not_applicable=run.na,
        adjustments=adjustments,
        errors=run.errors,
        explanations=explanations,
    )


def _score_item(
    run: _Run, item: Item, given: Mapping[str, list[Any]] | None, explanation: dict[str, Any]
) -> float | None:
    key = item.key
    target = run.targets.get(key)
    explanation["target"] = target
    if item.scoring.needs_target and target is None:
        run.lack("targets", key)
        explanation["waiting_for"] = ["target"]
        return None
    if item.formula is not None:  # computed from other items
        value = run.values.get(key)
        explanation["formula"] = item.formula.source
        explanation["value"] = value
        if value is None:
            explanation["waiting_for"] = sorted(item.formula.names)
            return None
        given = {"computed": [value]}
        weights = {"computed": 1.0}
    else:
        weights = dict(item.rater_weights) if len(item.raters) > 1 else {item.raters[0]: 1.0}
    rater_scores: dict[str, Any] = {}
    contributions: list[tuple[str, float, float]] = []
    waiting: list[str] = []
    marked_na = False
    for rater, values in (given or {}).items():
        scored = [v for v in values if v != NA]
        marked_na = marked_na or len(scored) < len(values)
        if not scored:
            required_rater = (
                rater not in OPTIONAL_RATERS and rater not in run.skipped and rater != "computed"
            )
            if not values and required_rater and item.required:
                run.lack(rater, key)
                waiting.append(rater)
            continue
        try:
            scores = []
            for value in scored:
                raw, how, how_zh = method_score(item, value, target, run)
                scores.append(round2(raw))
            group_score = round2(sum(scores) / len(scores))
        except ScoringProblem as problem:
            run.error(f"{rater}.{key}", problem.en, problem.zh)
            waiting.append(rater)
            continue
        entry: dict[str, Any] = {"score": group_score, "weight": weights.get(rater, 0.0)}
        if len(scored) == 1:
            entry |= {"value": scored[0], "how": how, "how_zh": how_zh}
        else:
            entry |= {
                "count": len(scored),
                "scores": scores,
                "how": f"average of {len(scored)} scores",
                "how_zh": f"{len(scored)} 个评分的平均值",
            }
        rater_scores[rater] = entry
        contributions.append((rater, weights.get(rater, 0.0), group_score))
    explanation["raters"] = rater_scores
    if waiting:
        explanation["waiting_for"] = waiting
        return None
    if not contributions:
        reason = "marked n/a" if marked_na else "not given"
        if all(r in run.skipped for r in item.raters):
            reason = "skipped"
        if (
            marked_na
            or not item.required
            or all(r in OPTIONAL_RATERS or r in run.skipped for r in item.raters)
        ):
            run.na[key] = reason
            explanation["not_applicable"] = reason
            return None
        return None  # pragma: no cover - required raters are reported missing above
    total_weight = sum(w for _, w, _ in contributions)
    if total_weight <= 0:
        result = round2(sum(s for _, _, s in contributions) / len(contributions))
    else:
        result = round2(sum(w * s for _, w, s in contributions) / total_weight)
    explanation["score"] = result
    explanation["weight_total"] = total_weight
    return result


def _weighted(
    parts: list[tuple[str, float, float | None]], dropped: list[str]
) -> tuple[float | None, dict[str, Any]]:
    explanation: dict[str, Any] = {
        "parts": [{"key": k, "weight": w, "score": s} for k, w, s in parts],
        "dropped": dropped,
    }
    if not parts:
        explanation["value"] = None
        return None, explanation
    waiting = [k for k, _, s in parts if s is None]
    if waiting:
        explanation["waiting_for"] = waiting
        explanation["value"] = None
        return None, explanation
    total_weight = sum(w for _, w, _ in parts)
    value = round2(sum(w * s for _, w, s in parts) / total_weight)
    explanation["weight_total"] = total_weight
    if dropped:
        explanation["renormalised"] = True
    explanation["value"] = value
    return value, explanation


def _adjust(run: _Run, names: Mapping[str, Any]):
    """Points of bonuses and deductions, the veto that fired, and the values given; `names`
    is only read."""
    template = run.t
    values: dict[str, Any] = {}
    for adjustment in template.adjustments:
        given = None
        for rater in adjustment.raters:
            sources = run.group(rater) if rater in GROUP_INPUTS else [run.source(rater)]
            for source in sources:
                raw = source.get(adjustment.key)
                if raw is None:
                    continue
                if isinstance(raw, Real) and math.isfinite(raw):  # counts, or yes/no as 1/0
                    given = float(raw) if given is None else given + float(raw)
                else:
                    run.error(
                        f"{rater}.{adjustment.key}", f"{raw!r} is not a number", f"{raw!r} 不是数字"
                    )
        if given is None and adjustment.raters and adjustment.required:
            for rater in [r for r in adjustment.raters if r not in run.skipped][:1]:
                run.lack(rater, adjustment.key)
        values[adjustment.key] = given
    names = {**names, **values}

    points: dict[str, float | None] = {}
    explained: dict[str, Any] = {}
    total: float | None = 0.0
    veto = None
    for adjustment in template.adjustments:
        value = values[adjustment.key]
        entry: dict[str, Any] = {"kind": adjustment.kind, "value": value}
        explained[adjustment.key] = entry
        if adjustment.kind == "veto":
            entry["condition"] = adjustment.condition.source
            try:
                fired = adjustment.condition.evaluate(names)
            except FormulaError as error:
                run.formula_error(f"adjustments.{adjustment.key}.condition", error)
                fired = None
            entry["fired"] = fired
            if fired is True and veto is None:
                veto = adjustment
            continue
        if value is None and (adjustment.raters and not adjustment.required):
            points[adjustment.key] = 0.0
            entry |= {"points": 0.0, "how": "not given", "how_zh": "未填写"}
            continue
        if adjustment.formula is not None:
            entry["formula"] = adjustment.formula.source
            try:
                raw = adjustment.formula.evaluate(names)
            except FormulaError as error:
                run.formula_error(f"adjustments.{adjustment.key}.formula", error)
                raw = None
        else:
            raw = value
        if raw is None or isinstance(raw, str):
            points[adjustment.key] = None
            entry["points"] = None
            total = None
            continue
        capped = max(0.0, float(raw))
        if adjustment.maximum is not None:
            capped = min(capped, adjustment.maximum)
        capped = round2(capped)
        points[adjustment.key] = capped if adjustment.kind == "bonus" else -capped
        entry |= {"points": points[adjustment.key], "raw": raw, "max": adjustment.maximum}
        if total is not None:
            total += points[adjustment.key]
    return points, (None if total is None else round2(total)), veto, explained, values


def _grade(template: CompiledTemplate, total: float | None) -> str | None:
    if total is None:
        return None
    for grade, minimum in template.grades:
        if total >= minimum:
            return grade
    return template.grades[-1][0] if template.grades else None  # pragma: no cover
