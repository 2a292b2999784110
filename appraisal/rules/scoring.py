"""Scoring an appraisal: `score(definition, inputs) -> Result` (design §5).

Pure: the definition (or its compiled form) and the inputs of design §9 in, a frozen Result
with an explanation for every figure out. The explanations are worked out when they are first
read (a result page), from the same inputs: lists, exports, calibration, payroll and
recompute sweeps read only the figures, and building the working for each would cost them
more than the figures themselves. Everything is computed with the exact decimals the
user typed (`numbers.py`); figures are rounded to 2 decimals, half away from zero, at each
level a person reads: one rater's score, a peer group's average, an item, a section, the base
total, an adjustment's points and the total. Each level is computed from the rounded figures
of the level below, so the page's sums can be redone by hand, and the grade comes from the
rounded total. The Result hands out floats (the nearest to each exact figure).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from operator import mul
from typing import Any

from .definition import OPTIONAL_RATERS, CompiledTemplate, Item, compile_template
from .errors import FormulaError
from .formula import Formula
from .functions import round_half_away
from .methods import LeanScore, Scored, ScoringProblem, clamped
from .methods import scored as _scored
from .numbers import CENT, CONTEXT, ONE, SEEN_FLOATS, SEEN_INTS, ZERO, shown, to_decimal
from .numbers import round2 as round2_exact

NA = "n/a"
SINGLE_RATERS = ("data", "self", "manager", "hr")
GROUP_INPUTS = {"peer": "peers", "subordinate": "subordinates"}
VALUE_PRIORITY = ("manager", "hr", "self", "data", "peer", "subordinate")
RATER_ORDER = {r: i for i, r in enumerate(("targets", "data", "self", "manager", "hr", "peer"))}


def round2(value: float) -> float:
    """A figure rounded as the engine rounds scores: 2 decimals, halves away from zero."""
    return round_half_away(value, 2)


def _f(value: Any) -> Any:
    """A figure for the Result and its explanations: exact decimals become floats (the
    nearest, as `to_float`; inlined, as it runs a hundred times a scoring)."""
    return float(value) + 0.0 if value.__class__ is Decimal else value


_COMPUTED_WEIGHTS = {"computed": ONE}  # a computed item's one "rater", read only


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
    explanations: dict[str, Any] = field(default_factory=dict)  # see _Explanations below
    computed_grade: str | None = None  # the grade of the total (or a veto), before calibration

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


class _Explanations:
    """`Result.explanations`: a dict, or a function that works it out, called on first read
    (and its dict kept). A data descriptor, so the dataclass's own __init__ and
    `dataclasses.replace` store through it like any field."""

    def __get__(self, result: Result | None, owner: type | None = None) -> Any:
        if result is None:
            raise AttributeError("explanations")
        value = result.__dict__["_explanations"]
        if callable(value):
            value = value()
            result.__dict__["_explanations"] = value
        return value

    def __set__(self, result: Result, value: dict[str, Any] | Callable[[], dict]) -> None:
        result.__dict__["_explanations"] = value


Result.explanations = _Explanations()  # type: ignore[assignment]  # after @dataclass: see above


def _result(**fields: Any) -> Result:
    """A Result of every field, as `Result(**fields)` makes it, without the frozen
    dataclass's `__init__` (one `object.__setattr__` per field: 3 µs of each scoring)."""
    result = object.__new__(Result)
    fields["_explanations"] = fields.pop("explanations")  # where _Explanations keeps it
    result.__dict__.update(fields)
    return result


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
    # Keys in the order given (sorting them costs a third of the hashing): a definition read
    # from the database comes in its stored order, and another order only compiles again.
    digest = hashlib.sha256(
        json.dumps(definition, ensure_ascii=False, default=str).encode()
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

    def __init__(
        self, template: CompiledTemplate, inputs: Mapping[str, Any], explain: bool = True
    ) -> None:
        self.t = template
        self.explain = explain  # build the working people read, or only the figures
        self.inputs = inputs if inputs.__class__ is dict or isinstance(inputs, Mapping) else {}
        skipped = self.inputs.get("skipped")
        # Raters whose step the workflow skipped (a self-review nobody can write): treated
        # like optional raters, so their weight is spread over the others.
        self.skipped = frozenset(skipped) if isinstance(skipped, list | tuple) else frozenset()
        self.missing: list[dict[str, str]] = []
        self._missing_seen: set[tuple[str, str]] = set()
        self.errors: list[dict[str, Any]] = []
        self.values: dict[str, Any] = {}
        self.targets: dict[str, Decimal | None] = {}
        self.bad_targets: set[str] = set()
        self.na: dict[str, str] = {}
        self.hidden: set[str] = set()
        self.explain_items: dict[str, dict[str, Any]] = {}
        # each single rater's inputs, and the targets, looked up once (`_mapping`, a dict
        # taken without a call)
        get = self.inputs.get
        self.sources = {
            r: part if (part := get(r)).__class__ is dict else _mapping(part) for r in SINGLE_RATERS
        }
        targets = get("targets")
        self.given_targets = targets if targets.__class__ is dict else _mapping(targets)

    # inputs
    def source(self, rater: str) -> Mapping[str, Any]:
        return self.sources[rater] if rater in self.sources else _mapping(self.inputs.get(rater))

    def group(self, rater: str) -> list[Mapping[str, Any]]:
        raw = self.inputs.get(GROUP_INPUTS[rater])
        return [r for r in raw if isinstance(r, Mapping)] if isinstance(raw, list) else []

    def lack(self, rater: str, key: str) -> None:
        if (key, rater) not in self._missing_seen:
            self._missing_seen.add((key, rater))
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
            value = to_decimal(raw)  # None for yes/no and text too
            if value is None:
                self.error(f"{rater}.{item.key}", f"{raw!r} is not a number", f"{raw!r} 不是数字")
                return None
            if item.minimum is not None and value < item.minimum:
                self.error(
                    f"{rater}.{item.key}",
                    f"{shown(value)} is below the minimum {shown(item.minimum)}",
                    f"{shown(value)} 低于最小值 {shown(item.minimum)}",
                )
                return None
            if item.maximum is not None and value > item.maximum:
                self.error(
                    f"{rater}.{item.key}",
                    f"{shown(value)} is above the maximum {shown(item.maximum)}",
                    f"{shown(value)} 高于最大值 {shown(item.maximum)}",
                )
                return None
            return value
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
        key = item.key
        for rater in item.raters:
            if rater in GROUP_INPUTS:
                values = [self.accept(item, rater, r.get(key)) for r in self.group(rater)]
                given[rater] = [v for v in values if v is not None]
            else:
                value = self.accept(item, rater, self.source(rater).get(key))
                given[rater] = [] if value is None else [value]
        return given

    def target(self, item: Item) -> Decimal | None:
        """The item's target; one that is not a number, or not above 0 where the method
        divides by it, is an error at `targets.<key>` (whether or not the actual is there)."""
        if item.target is not None:
            return item.target
        raw = self.given_targets.get(item.key)
        if raw is None:
            return None
        value = to_decimal(raw)  # None for yes/no and text too
        if value is None:
            self.error(f"targets.{item.key}", f"{raw!r} is not a number", f"{raw!r} 不是数字")
            return None
        if value <= ZERO and item.scored and item.scoring.divides_by_target:
            self.bad_targets.add(item.key)
            self.error(
                f"targets.{item.key}",
                f"the target must be above 0, not {shown(value)}",
                f"目标值必须大于 0，而不是 {shown(value)}",
            )
        return value

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
            formula = self.t.items[key].formula
            inputs = [self.input_value(name) for name in _strict_names(formula)]
            if NA in inputs:
                self.values[key] = NA  # an input does not apply, so neither does this
            elif None in inputs:
                self.values[key] = None  # waits for its inputs (listed when it is scored)
            else:
                self.values[key] = self.evaluate(formula, f"items.{key}.formula")
        return given_by_item

    def input_value(self, name: str) -> Any:
        """A formula name's value for deciding whether it waits: NA for an input that does
        not apply (marked n/a, or left blank where `required: false`), None for a blank."""
        item = self.t.items.get(name)
        if item is not None:
            value = self.values.get(name)
            if value is None and item.formula is None and item.optional:
                return NA
            return value
        if name.endswith("_target") and name[: -len("_target")] in self.t.items:
            return self.targets.get(name[: -len("_target")])
        return True  # not an input (an adjustment value, a score, the grade): not checked here

    def blank_inputs(self, formula: Formula, skip: Iterable[str] = ()) -> tuple[list, bool]:
        """The inputs a formula is still waiting for, as (rater, key), following computed
        items to their own inputs; and whether some input does not apply."""
        waiting: list[tuple[str, str]] = []
        not_applicable = False
        if formula.strict_names.isdisjoint(self.t.input_names):
            return waiting, not_applicable  # reads no item and no target (a grade, a total)
        seen: set[str] = set(skip)
        stack = [formula]
        while stack:
            current = stack.pop()
            for name in sorted(_strict_names(current) - seen):
                seen.add(name)
                value = self.input_value(name)
                if value is NA:
                    not_applicable = True
                if value is not None:
                    continue
                item = self.t.items.get(name)
                if item is None:  # a target
                    waiting.append(("targets", name[: -len("_target")]))
                elif item.formula is not None:
                    stack.append(item.formula)
                elif name in self.hidden:
                    not_applicable = True
                else:
                    required = [r for r in item.raters if r not in OPTIONAL_RATERS]
                    waiting.extend((rater, name) for rater in required or item.raters)
        return waiting, not_applicable

    def names(self) -> dict[str, Any]:
        names = {
            k: (None if v is NA or (v.__class__ is str and v == NA) else v)
            for k, v in self.values.items()
        }
        target_names = self.t.target_names
        names.update({target_names[k]: v for k, v in self.targets.items()})
        return names

    def evaluate(self, formula, where: str, extra: Mapping[str, Any] | None = None):
        values = self.names()
        if extra:
            values.update(extra)
        try:
            return formula.evaluate_exact(values)
        except FormulaError as error:
            self.formula_error(where, error)
            return None


def _mapping(raw: Any) -> Mapping[str, Any]:
    """Part of the inputs, when it is a mapping (JSON object) as it should be."""
    return raw if raw.__class__ is dict or isinstance(raw, Mapping) else {}


def _strict_names(formula: Formula) -> frozenset[str]:
    """The names a formula needs: all it reads, except those it tests for blank itself
    (inside COALESCE or ISBLANK)."""
    return formula.strict_names


def _consolidate(item: Item, given: Mapping[str, list[Any]]) -> Any:
    """The item's value as other formulas see it: the weighted average of numeric ratings,
    otherwise the value of the most senior rater who gave one."""
    groups = {r: [v for v in vs if v != NA] for r, vs in given.items()}
    groups = {r: vs for r, vs in groups.items() if vs}
    if not groups:
        return NA if any(given.values()) else None
    numeric = all(
        isinstance(v, Decimal | float | int) and not isinstance(v, bool)
        for vs in groups.values()
        for v in vs
    )
    if numeric:
        averages = {r: sum((to_decimal(v) for v in vs), ZERO) / len(vs) for r, vs in groups.items()}
        if len(groups) > 1:
            weights = {r: item.rater_weights.get(r, ZERO) for r in groups}
            total = sum(weights.values(), ZERO)
            if total > 0:
                return sum((weights[r] * a for r, a in averages.items()), ZERO) / total
    for rater in VALUE_PRIORITY:
        if rater in groups:
            return averages[rater] if numeric else groups[rater][0]
    return None  # pragma: no cover


def method_score(
    item: Item, value: Any, target: Decimal | None, run: _Run
) -> tuple[Decimal, str, str]:
    """One rater's score for a value, exact and before rounding, with how it was reached (in
    English and in Chinese, for the explanations people read), by the item's method's
    declaration (`methods.METHODS`). Every method's score lies in [floor, cap]."""
    return item.scoring.spec.score(item, value, target, run)


def _rounding(raw: Decimal, rounded: Decimal) -> tuple[str, str]:
    """Where rounding changed a figure, the working says so, in English and Chinese (design
    §5: each figure shown is rounded to 2 decimals, halves away from zero, before it is
    combined)."""
    if raw == rounded:
        return "", ""
    text = f"{rounded:.2f}"
    return f", rounded to 2 decimals: {text}", f"，四舍五入到 2 位小数：{text}"


def score(
    definition: Mapping[str, Any] | CompiledTemplate,
    inputs: Mapping[str, Any],
    calibrated_grade: str | None = None,
    explain: bool = False,
    *,
    handed_over: bool = False,
) -> Result:
    """Score one appraisal's inputs against a template definition (design §5, §9).

    `calibrated_grade` is a grade HR set at calibration: it replaces the computed grade (and
    so feeds the outputs, such as the pay coefficient); the explanation keeps both. The
    explanations are worked out from the same inputs when first read (`explain=True`: at
    once); every figure, grade and flag is the same either way (a test compares them).
    `handed_over`: the caller made `inputs` for this scoring and changes nothing in them
    afterwards (`final_result`), so the explanations read them later without a copy.
    """
    template = compiled(definition)
    if not explain and not handed_over:
        # the explanations, worked out later, read a copy: a caller may change its dicts
        inputs = _snapshot(inputs)
    with localcontext(CONTEXT):
        return _score(template, inputs, calibrated_grade, explain)


def _explained_later(
    template: CompiledTemplate, inputs: Mapping[str, Any], calibrated_grade: str | None
) -> Callable[[], dict[str, Any]]:
    """The explanations of a lean scoring, worked out when read, from its inputs: a copy
    `score` made (the values in them are plain scalars), or those the caller handed over."""

    def work_out() -> dict[str, Any]:
        with localcontext(CONTEXT):
            return _score(template, inputs, calibrated_grade, True).explanations

    return work_out


def _snapshot(inputs: Any) -> Any:
    """The inputs, their mappings and lists copied two levels down (rater → key → value)."""
    if not isinstance(inputs, Mapping):
        return inputs
    copied: dict[str, Any] = {}
    for key, part in inputs.items():
        if part.__class__ is dict or isinstance(part, Mapping):  # a dict: no ABC check
            part = dict(part)
        elif isinstance(part, list):
            part = [dict(p) if p.__class__ is dict or isinstance(p, Mapping) else p for p in part]
        copied[key] = part
    return copied


def _score(
    template: CompiledTemplate,
    inputs: Mapping[str, Any],
    calibrated_grade: str | None,
    explain: bool,
) -> Result:
    (
        run,
        item_scores,
        item_floats,
        sections,
        section_floats,
        base_total,
        explain_sections,
        (explain_base),
        lean,
    ) = _base(template, inputs, explain)

    names = run.names()
    if lean is not None:  # only the scores some formula reads
        names.update({name: item_scores[k] for k, name in lean.score_names})
        names.update({name: sections[k] for k, name in lean.section_names})
    else:
        score_names = template.score_names
        names.update({score_names[k]: v for k, v in item_scores.items()})
        names.update({f"{k}_score": v for k, v in sections.items()})
    adjustments, points_total, veto, adjust_explained, _ = _adjust(run, names)

    total, explain_total = _total(run, base_total, points_total)
    computed_grade = veto.grade if veto else _grade(template, total)
    grade = calibrated_grade or computed_grade
    names |= {"base_total": base_total, "total": total, "grade": grade}
    outputs, explain_outputs = _outputs(run, names)

    missing_inputs = _in_template_order(template, run.missing)
    missing_keys = list(dict.fromkeys([entry["key"] for entry in missing_inputs]))
    complete = not run.missing and not run.errors and total is not None and grade is not None
    explanations: dict[str, Any] | Callable[[], dict[str, Any]]
    if explain:
        explanations = {
            "items": run.explain_items,
            "sections": explain_sections,
            "base_total": explain_base,
            "adjustments": adjust_explained,
            "total": explain_total,
            "grade": {
                "total": _f(total),
                "veto": veto.key if veto else None,
                "grade": grade,
                "computed": computed_grade,
                "calibrated": calibrated_grade,
                "bands": [{"grade": g, "min": m} for g, m in template.grade_floats],
            },
            "outputs": explain_outputs,
        }
    else:
        explanations = _explained_later(template, inputs, calibrated_grade)
    return _result(
        items=item_floats,
        sections=section_floats,
        base_total=_f(base_total),
        total=_f(total),
        grade=grade,
        veto=veto.key if veto else None,
        outputs=outputs,
        missing=missing_keys,
        complete=complete,
        missing_inputs=missing_inputs,
        not_applicable=run.na,
        adjustments={k: _f(v) for k, v in adjustments.items()},
        errors=run.errors,
        explanations=explanations,
        computed_grade=computed_grade,
    )


def _base(template: CompiledTemplate, inputs: Mapping[str, Any], explain: bool) -> tuple:
    """The scoring's state, item and section scores (exact and floats), the base total and
    their explanations: by the template's lean scorer where it takes the inputs, otherwise
    by the general one."""
    run = _Run(template, inputs, explain)
    lean = None if explain else _lean(template)
    if lean is not None:
        try:
            item_scores, item_floats = lean.item_scores(run)
        except (_Irregular, ScoringProblem):  # the general scorer says what and where
            run = _Run(template, inputs, explain)
        else:
            sections, section_floats, base_total = lean.totals(run, item_scores)
            figures = (item_scores, item_floats, sections, section_floats, base_total)
            return run, *figures, {}, {}, lean
    given_by_item = run.collect_values()
    visible_ifs = _visibility(run)
    item_scores = _item_scores(run, given_by_item, visible_ifs)
    item_floats = {k: _f(v) for k, v in item_scores.items()}
    sections, section_floats, explain_sections = _section_scores(run, item_scores, item_floats)
    section_parts = [
        (s.key, s.weight, sections[s.key], s.weight_float, section_floats[s.key])
        for s in template.sections
        if s.key not in run.na and s.counts
    ]
    dropped_sections = [s.key for s in template.sections if s.key in run.na]
    base_total, explain_base = _weighted(run, section_parts, dropped_sections)
    return (
        run,
        item_scores,
        item_floats,
        sections,
        section_floats,
        base_total,
        explain_sections,
        explain_base,
        None,
    )


def _visibility(run: _Run) -> dict[str, str]:
    """Each conditional item's condition; the items it hides go into `run.hidden`."""
    template = run.t
    names_now = run.names() if template.visible_ifs else {}
    visible_ifs: dict[str, str] = {}
    for key in template.visible_ifs:
        item = template.items[key]
        if item.visible_if is not None:
            try:
                visible = item.visible_if.evaluate_exact(names_now)
            except FormulaError as error:
                run.formula_error(f"items.{key}.visible_if", error)
                visible = None
            visible_ifs[key] = item.visible_if.source
            if visible is False:
                run.hidden.add(key)
    return visible_ifs


def _item_scores(
    run: _Run, given_by_item: Mapping[str, Any], visible_ifs: Mapping[str, str]
) -> dict[str, Decimal | None]:
    item_scores: dict[str, Decimal | None] = {}
    explain = run.explain
    for key, item in run.t.items.items():
        explanation: dict[str, Any] = (
            {"method": item.scoring.method, "weight": item.weight_float} if explain else {}
        )
        run.explain_items[key] = explanation
        if key in visible_ifs:
            explanation["visible_if"] = visible_ifs[key]
            if key in run.hidden:
                run.na[key] = "hidden"
                explanation["not_applicable"] = "hidden"
                item_scores[key] = None
                continue
        if not item.scored:
            item_scores[key] = None
            explanation["value"] = _f(run.values.get(key))
            continue
        item_scores[key] = _score_item(run, item, given_by_item.get(key), explanation)
    return item_scores


def _section_scores(
    run: _Run,
    item_scores: Mapping[str, Decimal | None],
    item_floats: Mapping[str, float | None],
) -> tuple[dict[str, Decimal | None], dict[str, float | None], dict[str, Any]]:
    template = run.t
    sections: dict[str, Decimal | None] = {}
    section_floats: dict[str, float | None] = {}
    explain_sections: dict[str, Any] = {}
    for section in template.sections:
        parts = [
            (k, item.weight, item_scores[k], item.weight_float, item_floats[k])
            for k in section.items
            if (item := template.items[k]).counts and k not in run.na
        ]
        dropped = [k for k in section.items if k in run.na and template.items[k].scored]
        sections[section.key], explain_sections[section.key] = _weighted(run, parts, dropped)
        section_floats[section.key] = _f(sections[section.key])
        if not parts:
            run.na[section.key] = "no applicable item"
    return sections, section_floats, explain_sections


def _total(
    run: _Run, base_total: Decimal | None, points_total: Decimal | None
) -> tuple[Decimal | None, dict[str, Any]]:
    """Base total plus points, clamped to [0, max_total] and rounded."""
    template = run.t
    total = None
    if base_total is not None and points_total is not None:
        raw_total = base_total + points_total
        total = round2_exact(min(max(raw_total, ZERO), template.max_total))
    if not run.explain:
        return total, {}
    explain_total: dict[str, Any] = {
        "base_total": _f(base_total),
        "points": _f(points_total),
        "max_total": template.max_total_float,
    }
    if total is not None:
        raw_total = base_total + points_total
        sign = "−" if points_total < 0 else "+"
        working = f"{shown(base_total)} {sign} {shown(abs(points_total))} = {shown(raw_total)}"
        en, zh = clamped(raw_total, total)
        explain_total["how"] = working + en
        explain_total["how_zh"] = working + zh
    explain_total["value"] = _f(total)
    return total, explain_total


def _outputs(run: _Run, names: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each output in order; each may read those above it (`names` grows)."""
    outputs: dict[str, Any] = {}
    explain_outputs: dict[str, Any] = {}
    for output in run.t.outputs:
        for rater, key in run.blank_inputs(output.formula)[0]:
            run.lack(rater, key)
        try:
            value = output.formula.evaluate_exact(names)
        except FormulaError as error:
            run.formula_error(f"outputs.{output.key}", error)
            value = None
        outputs[output.key] = _f(value)
        names[output.key] = value
        if not run.explain:
            continue
        explain_outputs[output.key] = {
            "formula": output.formula.source,
            "value": _f(value),
            "inputs": {n: _f(names.get(n)) for n in output.formula.sorted_names},
        }
    return outputs, explain_outputs


def _in_template_order(
    template: CompiledTemplate, missing: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Missing inputs in template order (items, then adjustments), targets before raters."""
    if not missing:
        return []
    position = template.positions
    return sorted(
        missing,
        key=lambda m: (position.get(m["key"], len(position)), RATER_ORDER.get(m["rater"], 9)),
    )


def _score_item(
    run: _Run, item: Item, given: Mapping[str, list[Any]] | None, explanation: dict[str, Any]
) -> Decimal | None:
    key = item.key
    target = run.targets.get(key)
    if run.explain:
        explanation["target"] = _f(target)
    waiting, not_applicable = _prerequisites(run, item, target)
    if not_applicable:
        return _not_applicable(run, key, explanation, "an input is n/a")
    if item.formula is not None:  # computed from other items
        value = _computed_value(run, item, explanation, waiting)
        if value is None:
            return None
        given = {"computed": [value]}
        weights, single_weight = _COMPUTED_WEIGHTS, 1.0
    else:
        weights = item.score_weights
        single_weight = None if len(item.raters) > 1 else 1.0
    ready = not waiting
    rater_scores: dict[str, Any] = {}
    contributions: list[tuple[str, Decimal, Decimal]] = []
    marked_na = False
    for rater, values in (given or {}).items():
        # `is NA` first: most values are numbers, and comparing one with a string is slow
        if len(values) == 1:
            v = values[0]
            scored = [] if v is NA or (v.__class__ is str and v == NA) else values
        else:
            scored = [v for v in values if v is not NA and (v.__class__ is not str or v != NA)]
        marked_na = marked_na or len(scored) < len(values)
        if not scored:
            required_rater = (
                rater not in OPTIONAL_RATERS and rater not in run.skipped and rater != "computed"
            )
            if not values and required_rater and item.required:
                run.lack(rater, key)
                waiting.append(rater)
            continue
        if not ready:
            continue
        try:
            group_score, entry = _group_score(run, item, scored, target)
        except ScoringProblem as problem:
            run.error(f"{rater}.{key}", problem.en, problem.zh)
            waiting.append(rater)
            continue
        if entry is not None:  # explaining
            entry["weight"] = single_weight or item.rater_weight_floats.get(rater, 0.0)
            rater_scores[rater] = entry
        contributions.append((rater, weights.get(rater, ZERO), group_score))
    explanation["raters"] = rater_scores
    if waiting:
        explanation["waiting_for"] = waiting
        return None
    return _combine(run, item, explanation, contributions, marked_na)


def _prerequisites(run: _Run, item: Item, target: Decimal | None) -> tuple[list[str], bool]:
    """What the item's score waits for before any rater's value (its target, the inputs of
    its scoring formula), and whether one of those does not apply."""
    key, scoring = item.key, item.scoring
    waiting: list[str] = []
    if target is None and scoring.needs_target:
        run.lack("targets", key)
        waiting.append("target")
    elif key in run.bad_targets:
        waiting.append("target")
    if scoring.formula is not None:  # formula scoring may read other items too
        blanks, not_applicable = run.blank_inputs(scoring.formula, ("actual", "target"))
        for rater, name in blanks:
            run.lack(rater, name)
            waiting.append(f"{rater}.{name}")
        if not_applicable and not blanks:
            return waiting, True
    return waiting, False


def _computed_value(
    run: _Run, item: Item, explanation: dict[str, Any], waiting: list[str]
) -> Any | None:
    """A computed item's value, to be scored; None when it cannot be (then the explanation
    says why: not applicable, or what it waits for)."""
    key = item.key
    value = run.values.get(key)
    explanation["formula"] = item.formula.source
    explanation["value"] = _f(value) if value != NA else None
    if value == NA:
        return _not_applicable(run, key, explanation, "an input is n/a")
    if value is None:
        blanks, not_applicable = run.blank_inputs(item.formula)
        for rater, name in blanks:
            run.lack(rater, name)
        waiting.extend(f"{rater}.{name}" for rater, name in blanks)
        if not blanks and not_applicable:
            return _not_applicable(run, key, explanation, "an input is n/a")
        if not blanks and not any(e["where"] == f"items.{key}.formula" for e in run.errors):
            run.error(f"items.{key}.formula", "the formula gave no value", "公式没有得出结果")
        explanation["waiting_for"] = waiting or sorted(item.formula.names)
        return None
    return value


def _group_score(
    run: _Run, item: Item, scored: list[Any], target: Decimal | None
) -> tuple[Decimal, dict[str, Any] | None]:
    """One rater's (or one peer group's) rounded score, with its working when explaining."""
    if len(scored) == 1:
        # method_score, inlined (it runs for every rater of every item)
        raw, how, how_zh = item.scoring.spec.score(item, scored[0], target, run)
        # one score: its average is itself, so rounding it once is enough
        group_score = raw.quantize(CENT, ROUND_HALF_UP, CONTEXT) or ZERO  # round2, inlined
        if not run.explain:
            return group_score, None
        en, zh = _rounding(raw, group_score)
        return group_score, {
            "score": _f(group_score),
            "weight": None,
            "value": _f(scored[0]),
            "how": how + en,
            "how_zh": how_zh + zh,
        }
    scores = [round2_exact(method_score(item, value, target, run)[0]) for value in scored]
    average = sum(scores, ZERO) / len(scores)
    group_score = round2_exact(average)
    if not run.explain:
        return group_score, None
    working = ""
    if average != group_score:
        working = f": ({' + '.join(shown(s) for s in scores)}) / {len(scores)} = "
        working += shown(average)
    en, zh = _rounding(average, group_score)
    return group_score, {
        "score": _f(group_score),
        "weight": None,
        "count": len(scored),
        "scores": [_f(s) for s in scores],
        "how": f"average of {len(scored)} scores{working}{en}",
        "how_zh": f"{len(scored)} 个评分的平均值{working.replace(': ', '：', 1)}{zh}",
    }


def _combine(
    run: _Run,
    item: Item,
    explanation: dict[str, Any],
    contributions: list[tuple[str, Decimal, Decimal]],
    marked_na: bool,
) -> Decimal | None:
    """Σ(rater weight × rater score) / Σ(weights of the raters who scored), rounded."""
    if not contributions:
        reason = "marked n/a" if marked_na else "not given"
        if all(r in run.skipped for r in item.raters):
            reason = "skipped"
        if (
            marked_na
            or not item.required
            or all(r in OPTIONAL_RATERS or r in run.skipped for r in item.raters)
        ):
            return _not_applicable(run, item.key, explanation, reason)
        return None  # pragma: no cover - required raters are reported missing above
    if len(contributions) == 1 and contributions[0][1] is ONE:
        # one rater weighing 1 (a single rater, a computed item): (1 × s) / 1 is s itself,
        # already rounded
        if run.explain:
            explanation["score"] = explanation["raters"][contributions[0][0]]["score"]
            explanation["weight_total"] = 1.0
        return contributions[0][2]
    total_weight = sum((w for _, w, _ in contributions), ZERO)
    if total_weight <= 0:
        raw = sum((s for _, _, s in contributions), ZERO) / len(contributions)
    else:
        raw = sum((w * s for _, w, s in contributions), ZERO) / total_weight
    result = round2_exact(raw)
    if not run.explain:
        return result
    if raw != result:  # Σ(weight × rater score) / Σ(weights) before it was rounded
        explanation["unrounded"] = shown(raw)
    explanation["score"] = _f(result)
    explanation["weight_total"] = _f(total_weight)
    return result


def _not_applicable(run: _Run, key: str, explanation: dict[str, Any], reason: str) -> None:
    run.na[key] = reason
    explanation["not_applicable"] = reason
    return None


def _weighted(
    run: _Run,
    parts: list[tuple[str, Decimal, Decimal | None, float, float | None]],
    dropped: list[str],
) -> tuple[Decimal | None, dict[str, Any]]:
    """Σ(weight × score) / Σ(weights), rounded; each part is (key, weight, score) exact and
    the same weight and score as floats for the explanation."""
    if not run.explain:
        if not parts or any(p[2] is None for p in parts):
            return None, {}
        total_weight = sum((p[1] for p in parts), ZERO)
        return round2_exact(sum((p[1] * p[2] for p in parts), ZERO) / total_weight), {}
    explanation: dict[str, Any] = {
        "parts": [{"key": k, "weight": wf, "score": sf} for k, _, _, wf, sf in parts],
        "dropped": dropped,
    }
    if not parts:
        explanation["value"] = None
        return None, explanation
    waiting = [k for k, _, s, _, _ in parts if s is None]
    if waiting:
        explanation["waiting_for"] = waiting
        explanation["value"] = None
        return None, explanation
    total_weight = sum((w for _, w, _, _, _ in parts), ZERO)
    raw = sum((w * s for _, w, s, _, _ in parts), ZERO) / total_weight
    value = round2_exact(raw)
    if raw != value:  # the parts are listed; this says what rounding changed
        explanation["unrounded"] = shown(raw)
    explanation["weight_total"] = _f(total_weight)
    if dropped:
        explanation["renormalised"] = True
    explanation["value"] = _f(value)
    return value, explanation


def _adjustment_value(raw: Any) -> Decimal | None:
    """A count (or yes/no as 1/0) given for an adjustment; None when it is not a number."""
    if raw is True or raw is False:
        return Decimal(int(raw))
    return None if isinstance(raw, str) else to_decimal(raw)


def _adjustment_values(run: _Run) -> dict[str, Any]:
    """Each adjustment's value: the sum of what its raters gave (None when nobody did)."""
    values: dict[str, Any] = {}
    for adjustment in run.t.adjustments:
        given = None
        for rater in adjustment.raters:
            sources = run.group(rater) if rater in GROUP_INPUTS else [run.source(rater)]
            for source in sources:
                raw = source.get(adjustment.key)
                if raw is None:
                    continue
                number = _adjustment_value(raw)
                if number is not None:
                    given = number if given is None else given + number
                else:
                    run.error(
                        f"{rater}.{adjustment.key}", f"{raw!r} is not a number", f"{raw!r} 不是数字"
                    )
        if given is None and adjustment.raters and adjustment.required:
            for rater in [r for r in adjustment.raters if r not in run.skipped][:1]:
                run.lack(rater, adjustment.key)
        values[adjustment.key] = given
    return values


def _adjust(run: _Run, names: dict[str, Any]):
    """Points of bonuses and deductions, the veto that fired, and the values given, which
    are added to `names` (the formulas here and the outputs read them)."""
    template = run.t
    values = _adjustment_values(run)
    names |= values
    explain = run.explain

    points: dict[str, Decimal | None] = {}
    explained: dict[str, Any] = {}
    total: Decimal | None = ZERO
    veto = None
    for adjustment in template.adjustments:
        value = values[adjustment.key]
        # the working, kept only when explaining (a figure's float costs as much as its points)
        entry: dict[str, Any] = {"kind": adjustment.kind, "value": _f(value)} if explain else {}
        explained[adjustment.key] = entry
        if adjustment.kind == "veto":
            entry["condition"] = adjustment.condition.source
            try:
                fired = adjustment.condition.evaluate_exact(names)
            except FormulaError as error:
                run.formula_error(f"adjustments.{adjustment.key}.condition", error)
                fired = None
            if fired is None:  # undecided: the result waits for what would decide it
                for rater, key in run.blank_inputs(adjustment.condition)[0]:
                    run.lack(rater, key)
            entry["fired"] = fired
            if fired is True and veto is None:
                veto = adjustment
            continue
        if value is None and (adjustment.raters and not adjustment.required):
            points[adjustment.key] = ZERO
            entry |= {"points": 0.0, "how": "not given", "how_zh": "未填写"}
            continue
        if adjustment.formula is not None:
            entry["formula"] = adjustment.formula.source
            for rater, key in run.blank_inputs(adjustment.formula)[0]:
                run.lack(rater, key)
            try:
                raw = adjustment.formula.evaluate_exact(names)
            except FormulaError as error:
                run.formula_error(f"adjustments.{adjustment.key}.formula", error)
                raw = None
        else:
            raw = value
        if raw is None or raw.__class__ is not Decimal:
            points[adjustment.key] = None
            entry["points"] = None
            total = None
            continue
        capped = max(ZERO, raw)
        if adjustment.maximum is not None:
            capped = min(capped, adjustment.maximum)
        rounded = round2_exact(capped)
        points[adjustment.key] = rounded if adjustment.kind == "bonus" else -rounded
        if total is not None:
            total += points[adjustment.key]
        if not explain:
            continue
        working = f"{adjustment.formula.source} = {shown(raw)}" if adjustment.formula else ""
        working = working or shown(raw)
        clamped_en, clamped_zh = clamped(raw, capped)
        rounding_en, rounding_zh = _rounding(capped, rounded)
        entry |= {
            "points": _f(points[adjustment.key]),
            "raw": _f(raw),
            "max": _f(adjustment.maximum),
            "how": working + clamped_en + rounding_en,
            "how_zh": working + clamped_zh + rounding_zh,
        }
    return points, (None if total is None else round2_exact(total)), veto, explained, values


def _grade(template: CompiledTemplate, total: Decimal | None) -> str | None:
    if total is None:
        return None
    for grade, minimum in template.grades:
        if total >= minimum:
            return grade
    return template.grades[-1][0] if template.grades else None  # pragma: no cover


# -- the lean scorer: specialised once per template ------------------------------------------
#
# Lists, exports, calibration, payroll and recompute sweeps score thousands of appraisals for
# their figures only. For those, each item is scored by a function made once per template,
# its method, constants, raters and weights bound, and each section by its fixed list of
# (item, weight) pairs and their total. It takes only the regular case: every value given is
# one the item takes, every target it needs is there and above 0, nothing n/a, no rater
# skipped. Anything else (`_Irregular`) is scored again by the general scorer above, which
# says what and where; so each figure comes from the same exact operations in the same order
# either way (tests/rules/test_scoring_corpus.py compares them with recorded results).


class _Irregular(Exception):
    """An input the lean scorer leaves to the general one."""


_IRREGULAR = _Irregular()
_UNSET = object()
# Level pairs a table of two raters' ratings may hold (a five-level scale: 25)
_COMBINATIONS = 1000

# An item's rounded score and its float (`Scored`), or no score for an item not scored.
ItemScore = tuple[Decimal | None, float | None]
ItemScorer = Callable[[_Run], ItemScore]
_BLANK: ItemScore = (None, None)


@dataclass(frozen=True)
class _Lean:
    items: tuple[tuple[str, ItemScorer], ...]
    # (section key, (item key, …), (weight, …), Σ weights), in template order
    sections: tuple[tuple[str, tuple[str, ...], tuple[Decimal, ...], Decimal], ...]
    # the counted sections' keys and weights, and Σ weights
    base: tuple[tuple[str, ...], tuple[Decimal, ...], Decimal]
    # the item and section scores some adjustment or output reads: (key, name in formulas)
    score_names: tuple[tuple[str, str], ...] = ()
    section_names: tuple[tuple[str, str], ...] = ()

    def item_scores(self, run: _Run) -> tuple[dict[str, Decimal | None], dict[str, float | None]]:
        """Each item's score, exact and as a float."""
        if run.skipped:
            raise _IRREGULAR
        scores: dict[str, Decimal | None] = {}
        floats: dict[str, float | None] = {}
        for key, scorer in self.items:
            scores[key], floats[key] = scorer(run)
        return scores, floats

    def totals(
        self, run: _Run, item_scores: Mapping[str, Decimal | None]
    ) -> tuple[dict[str, Decimal | None], dict[str, float | None], Decimal | None]:
        """Section scores (exact and as floats) and the base total, as `_weighted` gives
        them when nothing is n/a: Σ(weight × score) from 0 in template order, / Σ weights."""
        sections: dict[str, Decimal | None] = {}
        floats: dict[str, float | None] = {}
        for key, keys, weights, total_weight in self.sections:
            if not keys:
                sections[key] = floats[key] = None
                run.na[key] = "no applicable item"
                continue
            weighted = sum(map(mul, weights, map(item_scores.__getitem__, keys)), ZERO)
            value = round2_exact(weighted / total_weight)
            sections[key], floats[key] = value, float(value) + 0.0
        keys, weights, total_weight = self.base
        if not keys:
            return sections, floats, None
        weighted = sum(map(mul, weights, map(sections.__getitem__, keys)), ZERO)
        return sections, floats, round2_exact(weighted / total_weight)


def _lean(template: CompiledTemplate) -> _Lean | None:
    """The template's lean scorer, made on first use and kept with it; None when the
    template has what only the general scorer does (conditions, computed items, formula
    scoring, yes/no or text items scored)."""
    lean = template.__dict__.get("_lean", _UNSET)
    if lean is _UNSET:
        with localcontext(CONTEXT):
            lean = _specialise(template)
        object.__setattr__(template, "_lean", lean)  # a cache beside the frozen fields
    return lean


def _specialise(template: CompiledTemplate) -> _Lean | None:
    if template.visible_ifs or template.computed_order:
        return None
    # What adjustments and outputs read (nothing else here has a formula): only those
    # targets and scores are kept for them.
    formulas = [a.formula for a in template.adjustments] + [
        a.condition for a in template.adjustments
    ]
    reads = frozenset().union(*(f.names for f in formulas if f is not None))
    reads |= frozenset().union(*(o.formula.names for o in template.outputs))
    scorers: list[tuple[str, ItemScorer]] = []
    for key, item in template.items.items():
        keeps = (key in template.value_names, template.target_names[key] in reads)
        if not item.scored:
            scorers.append((key, _passive_scorer(item, *keeps)))
            continue
        # a number item scored by a method on its figure, or a rating or choice by its level
        # (validation pairs methods and item types); formula scoring and yes/no items: general
        if item.scoring.formula is not None or item.type not in ("number", "rating", "choice"):
            return None
        scorers.append((key, _item_scorer(item, *keeps)))
    sections = []
    for section in template.sections:
        parts = [(k, template.items[k].weight) for k in section.items if template.items[k].counts]
        sections.append(
            (
                section.key,
                tuple(k for k, _ in parts),
                tuple(w for _, w in parts),
                sum((w for _, w in parts), ZERO),
            )
        )
    base = [
        (section.key, section.weight)
        for section, (_, keys, _, _) in zip(template.sections, sections, strict=True)
        if keys and section.counts
    ]
    return _Lean(
        tuple(scorers),
        tuple(sections),
        (tuple(k for k, _ in base), tuple(w for _, w in base), sum((w for _, w in base), ZERO)),
        tuple((k, n) for k, n in template.score_names.items() if n in reads),
        tuple((s.key, f"{s.key}_score") for s in template.sections if f"{s.key}_score" in reads),
    )


def _passive_scorer(item: Item, keeps_value: bool, keeps_target: bool) -> ItemScorer:
    """An item that is not scored: its target and values checked as the general scorer
    checks them (their errors are reported the same way), its value kept if a formula
    reads it."""
    key = item.key

    def passive(run: _Run) -> ItemScore:
        target = run.target(item)
        if keeps_target:
            run.targets[key] = target
        given = run.rater_values(item)
        if keeps_value:
            run.values[key] = _consolidate(item, given)
        return _BLANK

    return passive


def _target_reader(item: Item) -> Callable[[_Run], Decimal | None]:
    """`_Run.target` where it gives a target without an error and the score does not wait
    for one; otherwise irregular. (`_one_number_scorer` has it inlined.)"""
    key, constant = item.key, item.target
    needs_target = item.scoring.needs_target
    divides = item.scoring.divides_by_target

    def constant_target(run: _Run) -> Decimal:
        return constant

    def target_of(run: _Run) -> Decimal | None:
        raw = run.given_targets.get(key)
        if raw is None:
            if needs_target:
                raise _IRREGULAR
            return None
        target = to_decimal(raw)
        if target is None or (divides and target <= ZERO):
            raise _IRREGULAR
        return target

    return target_of if constant is None else constant_target


def _acceptor(item: Item) -> Callable[[Any], Any]:
    """`_Run.accept` where it returns a value without an error; otherwise irregular.
    (`_one_number_scorer` has the number case inlined; the level tables hold only values
    `level` accepts.)"""
    minimum, maximum, levels = item.minimum, item.maximum, item.levels
    bounded = minimum is not None or maximum is not None

    def number(raw: Any) -> Decimal:
        value = None if raw.__class__ is str else to_decimal(raw)
        if value is None:
            raise _IRREGULAR
        if bounded and (
            (minimum is not None and value < minimum) or (maximum is not None and value > maximum)
        ):
            raise _IRREGULAR
        return value

    def level(raw: Any) -> Any:
        if isinstance(raw, str) and raw.strip().lower() == NA:
            raise _IRREGULAR
        if raw in levels and not isinstance(raw, bool):
            return raw
        raise _IRREGULAR

    return number if item.type == "number" else level


def _level_scores_alone(item: Item) -> bool:
    """Whether each level scores the same whatever the target (the rating method), so its
    score can be worked out ahead."""
    return not (item.scoring.needs_target or item.scoring.divides_by_target)


def _accepted_levels(item: Item) -> list[Any]:
    """The levels `_acceptor(item)` lets through as themselves (not yes/no, not an n/a
    mark): the keys of a level table. A value equal to one of them (4.0 for 4) is accepted
    as that level; a yes/no never is, though True == 1 (the tables' callers check)."""
    accept = _acceptor(item)
    accepted = []
    for level in item.levels:
        try:
            accept(level)
        except _Irregular:
            continue
        accepted.append(level)
    return accepted


def _item_scorer(item: Item, keeps_value: bool, keeps_target: bool) -> ItemScorer:
    """A scored item's rounded score in the regular case, as `_score_item` computes it:
    each rater's score by the method's lean twin (`MethodSpec.lean`), already rounded."""
    key, raters = item.key, item.raters
    keeps = (keeps_value, keeps_target)
    lean = item.scoring.spec.lean_score(item)
    single = raters[0] if len(raters) == 1 and raters[0] in SINGLE_RATERS else None
    if single is not None and item.score_weights[single] is ONE:
        if item.type == "number":
            return _one_number_scorer(item, keeps, single, lean)
        return _one_level_scorer(item, keeps, single, lean)
    accept = _acceptor(item)
    target_of = _target_reader(item)
    weights = item.score_weights
    groups = {r: GROUP_INPUTS[r] for r in raters if r in GROUP_INPUTS}
    if not groups:
        fixed = _fixed_raters_scorer(item, keeps, lean, accept, target_of)
        if item.type != "number" and len(raters) == 2 and item.target is None:
            return _level_pair_scorer(item, keeps, lean, fixed)
        return fixed

    def scored_by_groups(run: _Run) -> Scored:
        target = target_of(run)
        if keeps_target:
            run.targets[key] = target
        given: dict[str, list[Any]] = {}
        contributions: list[tuple[str, Decimal, Scored]] = []
        for rater in raters:
            if rater in groups:
                values = [accept(v) for r in run.group(rater) if (v := r.get(key)) is not None]
                given[rater] = values
                if not values:
                    continue  # peers and subordinates are optional raters
                if len(values) == 1:
                    rater_score = lean(values[0], target, run)
                else:
                    scores = [lean(v, target, run)[0] for v in values]
                    rater_score = _scored(round2_exact(sum(scores, ZERO) / len(scores)))
            else:
                raw = run.source(rater).get(key)
                if raw is None:
                    raise _IRREGULAR
                value = accept(raw)
                given[rater] = [value]
                rater_score = lean(value, target, run)
            contributions.append((rater, weights.get(rater, ZERO), rater_score))
        if keeps_value:
            run.values[key] = _consolidate(item, given)
        if not contributions:
            raise _IRREGULAR
        if len(contributions) == 1 and contributions[0][1] is ONE:
            return contributions[0][2]
        total_weight = sum((w for _, w, _ in contributions), ZERO)
        if total_weight <= 0:
            raw_score = sum((s[0] for _, _, s in contributions), ZERO) / len(contributions)
        else:
            raw_score = sum((w * s[0] for _, w, s in contributions), ZERO) / total_weight
        return _scored(round2_exact(raw_score))

    return scored_by_groups


def _one_number_scorer(
    item: Item, keeps: tuple[bool, bool], rater: str, lean: LeanScore
) -> ItemScorer:
    """One single rater weighing 1 scoring a figure (most KPIs): its rounded score is the
    item's. `_target_reader` and `_acceptor`'s `number`, inlined: this runs for most items
    of every scoring, and each call saved is a tenth of its time."""
    key = item.key
    keeps_value, keeps_target = keeps
    constant = item.target
    needs_target = item.scoring.needs_target
    divides = item.scoring.divides_by_target
    minimum, maximum = item.minimum, item.maximum
    bounded = minimum is not None or maximum is not None
    ints, floats = SEEN_INTS, SEEN_FLOATS

    def one_number(run: _Run) -> Scored:
        if constant is None:
            raw = run.given_targets.get(key)
            if raw is None:
                if needs_target:
                    raise _IRREGULAR
                target = None
            else:
                # to_decimal(raw), its memo read first
                kind = raw.__class__
                seen = ints if kind is int else floats if kind is float else None
                target = None if seen is None else seen.get(raw)
                if target is None:
                    target = to_decimal(raw)
                    if target is None:
                        raise _IRREGULAR
                if divides and target <= ZERO:
                    raise _IRREGULAR
        else:
            target = constant
        if keeps_target:
            run.targets[key] = target
        raw = run.sources[rater].get(key)
        kind = raw.__class__
        value = ints.get(raw) if kind is int else floats.get(raw) if kind is float else None
        if value is None:
            value = None if raw is None or kind is str else to_decimal(raw)
            if value is None:
                raise _IRREGULAR
        if bounded and (
            (minimum is not None and value < minimum) or (maximum is not None and value > maximum)
        ):
            raise _IRREGULAR
        if keeps_value:
            run.values[key] = _consolidate(item, {rater: [value]})
        return lean(value, target, run)

    return one_number


def _one_level_scorer(
    item: Item, keeps: tuple[bool, bool], rater: str, lean: LeanScore
) -> ItemScorer:
    """One single rater weighing 1 rating or choosing a level: its score, looked up in a
    table of the levels made ahead (a rating takes no target; a choice scored by a target
    reads it through the general path)."""
    key = item.key
    keeps_value, keeps_target = keeps
    target_of = _target_reader(item)
    if not _level_scores_alone(item):
        return _fixed_raters_scorer(item, keeps, lean, _acceptor(item), target_of)
    table = {level: lean(level, None, None) for level in _accepted_levels(item)}

    def one_level(run: _Run) -> Scored:
        target = target_of(run)
        if keeps_target:
            run.targets[key] = target
        raw = run.sources[rater].get(key)
        scored = table.get(raw)
        if scored is None or raw.__class__ is bool:
            raise _IRREGULAR
        if keeps_value:
            run.values[key] = _consolidate(item, {rater: [raw]})
        return scored

    return one_level


def _fixed_parts(item: Item) -> tuple[tuple[tuple[str, Decimal], ...], Decimal, bool]:
    """Several single raters' (rater, weight) pairs, Σ weights, and whether the weights
    apply (otherwise the plain average, as `_combine`)."""
    parts = tuple((rater, item.score_weights.get(rater, ZERO)) for rater in item.raters)
    total_weight = sum((w for _, w in parts), ZERO)
    return parts, total_weight, total_weight > 0


def _combined(
    rater_scores: Iterable[Decimal], weights: Iterable[Decimal], total_weight: Decimal, count: int
) -> Scored:
    """Several single raters' rounded scores combined as `_combine` does: Σ(weight × score)
    / Σ weights (the plain average when the weights are all 0), rounded."""
    raw_score = ZERO
    if total_weight > 0:
        for weight, rater_score in zip(weights, rater_scores, strict=True):
            raw_score += weight * rater_score
        return _scored(round2_exact(raw_score / total_weight))
    for rater_score in rater_scores:
        raw_score += rater_score
    return _scored(round2_exact(raw_score / count))


def _fixed_raters_scorer(
    item: Item,
    keeps: tuple[bool, bool],
    lean: LeanScore,
    accept: Callable[[Any], Any],
    target_of: Callable[[_Run], Decimal | None],
) -> ItemScorer:
    """Several single raters (self and manager), each of whom must give a value in the
    regular case: the raters who score, their weights and Σ weights are known ahead."""
    key = item.key
    keeps_value, keeps_target = keeps
    parts, total_weight, _ = _fixed_parts(item)
    weights = [w for _, w in parts]
    count = len(parts)

    def fixed_raters(run: _Run) -> Scored:
        target = target_of(run)
        if keeps_target:
            run.targets[key] = target
        sources = run.sources
        given: dict[str, list[Any]] = {}
        rater_scores = []
        for rater, _ in parts:
            raw = sources[rater].get(key)
            if raw is None:
                raise _IRREGULAR
            value = accept(raw)
            if keeps_value:
                given[rater] = [value]
            rater_scores.append(lean(value, target, run)[0])
        if keeps_value:
            run.values[key] = _consolidate(item, given)
        return _combined(rater_scores, weights, total_weight, count)

    return fixed_raters


def _level_pair_scorer(
    item: Item, keeps: tuple[bool, bool], lean: LeanScore, fixed: ItemScorer
) -> ItemScorer:
    """Two single raters rating an item without a target (self and manager on a
    behaviour): the score of every pair of levels is worked out ahead by `_combined`, so a
    scoring looks it up; anything not in the table goes through `fixed`."""
    key = item.key
    keeps_value, keeps_target = keeps
    parts, total_weight, _ = _fixed_parts(item)
    (first, _), (second, _) = parts
    weights = [w for _, w in parts]
    levels = _accepted_levels(item)
    if len(levels) ** 2 > _COMBINATIONS or keeps_target or not _level_scores_alone(item):
        return fixed
    reads_targets = item.target is None  # a target given for it is checked by `fixed`
    scores = {level: lean(level, None, None)[0] for level in levels}
    table = {
        (a, b): _combined((scores[a], scores[b]), weights, total_weight, 2)
        for a in levels
        for b in levels
    }

    def level_pair(run: _Run) -> Scored:
        sources = run.sources
        a, b = sources[first].get(key), sources[second].get(key)
        scored = table.get((a, b))
        if (
            scored is None
            or a.__class__ is bool
            or b.__class__ is bool
            or (reads_targets and key in run.given_targets)
        ):
            return fixed(run)  # says whether it is irregular
        if keeps_value:
            run.values[key] = _consolidate(item, {first: [a], second: [b]})
        return scored

    return level_pair
