"""The `appraisal-template/1` format: validation with JSON paths, and compilation into the
frozen structure the scorer reads. Formulas are compiled here, once per definition.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from .errors import FormulaError
from .formula import Formula, compile_formula, normalize_name
from .graph import evaluation_order, find_cycle
from .methods import METHODS as METHOD_SPECS
from .methods import (
    NUMBER_PARAMETERS,
    Scoring,
    ScoringContext,
    method_names,
    wrong_kind_message,
)
from .numbers import ONE, ZERO, shown, to_decimal, to_float

FORMAT = "appraisal-template/1"
RATERS = ("data", "self", "manager", "peer", "subordinate", "hr")
OPTIONAL_RATERS = frozenset({"peer", "subordinate"})
ITEM_TYPES = ("number", "rating", "choice", "bool", "text", "date")
METHODS = method_names()
STAFF = ("office", "field", "any")
PERIODS = ("month", "quarter", "half_year", "year")
KINDS = ("bonus", "deduction", "veto")
KEY = re.compile(r"[a-z0-9_-]{1,60}")  # always used with fullmatch
WEIGHT_TOLERANCE = Decimal("0.000001")
DEFAULT_MAX_TOTAL = Decimal(120)

TOP_FIELDS = {
    "format",
    "key",
    "name",
    "description",
    "staff",
    "period",
    "rater_weights",
    "scales",
    "sections",
    "adjustments",
    "grades",
    "outputs",
    "max_total",
    "version",
}
SECTION_FIELDS = {"key", "name", "description", "weight", "items"}
ITEM_FIELDS = {
    "key",
    "name",
    "description",
    "indicator",
    "type",
    "unit",
    "raters",
    "weight",
    "scoring",
    "required",
    "allow_na",
    "min",
    "max",
    "choices",
    "scale",
    "visible_if",
    "target",
    "formula",
    "rater_weights",
}
SCORING_FIELDS = {name: set(spec.fields) for name, spec in METHOD_SPECS.items()}
ADJUSTMENT_FIELDS = {
    "key",
    "kind",
    "name",
    "description",
    "raters",
    "formula",
    "max",
    "condition",
    "grade",
    "required",
}
SCALE_LEVEL_FIELDS = {"value", "label", "score", "description"}
CHOICE_FIELDS = {"value", "label", "score"}
GRADE_FIELDS = {"grade", "min", "label", "description"}
OUTPUT_FIELDS = {"key", "name", "formula", "description", "unit"}
VALUE_TYPES = {
    "number": "number",
    "rating": "number",
    "bool": "bool",
    "text": "text",
    "date": "date",
}


@dataclass(frozen=True)
class DefinitionError:
    """One problem, at a JSON path such as `sections[0].items[1].weight`."""

    path: str
    message: str
    message_zh: str
    code: str = "invalid"
    column: int | None = None
    suggestion: str | None = None
    # The path with each element's name and key, for people fixing a 40-item template:
    # `sections[0] (业绩 results).items` (`path` stays the plain JSON path, for links and APIs).
    where: str = ""
    where_zh: str = ""
    element: str = ""  # the innermost named element alone: `业绩 results`
    element_zh: str = ""

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "path": self.path,
            "where": (self.where_zh if lang.startswith("zh") else self.where) or self.path,
            "code": self.code,
            "message": self.message_zh if lang.startswith("zh") else self.message,
            "column": self.column,
            "suggestion": self.suggestion,
        }

    def __str__(self) -> str:
        return f"{self.where or self.path}: {self.message}"

    def text(self, lang: str = "en") -> str:
        """`where: message` in the language."""
        if lang.startswith("zh"):
            return f"{self.where_zh or self.path}：{self.message_zh}"
        return str(self)


class DefinitionInvalid(ValueError):
    def __init__(self, errors: list[DefinitionError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


# -- the compiled structure ------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    key: str
    section: str
    name: Any
    type: str
    raters: tuple[str, ...]
    weight: Decimal
    scoring: Scoring
    required: bool
    allow_na: bool
    rater_weights: Mapping[str, Decimal]
    levels: Mapping[Any, Decimal] = field(default_factory=dict)  # rating/choice value → score
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    target: Decimal | None = None
    formula: Formula | None = None
    visible_if: Formula | None = None
    unit: str | None = None
    optional: bool = False  # `"required": false` given: a blank is an answer, even as an input
    options: tuple[tuple[Any, Any], ...] = ()  # rating/choice: (value, label) in order
    indicator: str | None = None  # the library indicator it was made from

    @cached_property
    def scored(self) -> bool:
        return self.scoring.scored

    @cached_property
    def needs_target(self) -> bool:
        """Whether a per-employee target is set for this item in a cycle: its method needs
        one and the template gives no constant."""
        return self.target is None and self.scoring.needs_target

    @cached_property
    def counts(self) -> bool:
        """Whether the item's score counts in its section's (before N/A takes it out)."""
        return self.scored and self.weight > 0

    # The figures explanations show, converted once per compiled template, not per scoring.
    @cached_property
    def weight_float(self) -> float:
        return to_float(self.weight)

    @cached_property
    def level_texts(self) -> dict[Any, tuple[str, str]]:
        """How each rating level scores, in English and Chinese."""
        return {
            value: (f"level {v!r} scores {shown(s)}", f"等级 {v!r} 得 {shown(s)} 分")
            for value, score in self.levels.items()
            for v, s in [(value, score)]
        }

    @cached_property
    def rater_weight_floats(self) -> dict[str, float]:
        return {rater: to_float(weight) for rater, weight in self.rater_weights.items()}

    @cached_property
    def score_weights(self) -> Mapping[str, Decimal]:
        """Each rater's weight in the item's score: a single rater's is 1."""
        return dict(self.rater_weights) if len(self.raters) > 1 else {self.raters[0]: ONE}

    @property
    def value_type(self) -> str:
        if self.type == "choice":
            kinds = {"text" if isinstance(v, str) else "number" for v in self.levels}
            return kinds.pop() if len(kinds) == 1 else "text"
        return VALUE_TYPES[self.type]


@dataclass(frozen=True)
class Section:
    key: str
    name: Any
    weight: Decimal
    items: tuple[str, ...]

    @cached_property
    def weight_float(self) -> float:
        return to_float(self.weight)

    @cached_property
    def counts(self) -> bool:
        return self.weight > 0


@dataclass(frozen=True)
class Adjustment:
    key: str
    kind: str
    name: Any
    raters: tuple[str, ...]
    maximum: Decimal | None
    formula: Formula | None
    condition: Formula | None
    grade: str | None
    required: bool


@dataclass(frozen=True)
class Output:
    key: str
    name: Any
    formula: Formula


@dataclass(frozen=True)
class CompiledTemplate:
    key: str
    definition: Mapping[str, Any]
    items: Mapping[str, Item]
    sections: tuple[Section, ...]
    adjustments: tuple[Adjustment, ...]
    grades: tuple[tuple[str, Decimal], ...]  # highest min first
    outputs: tuple[Output, ...]
    computed_order: tuple[str, ...]
    max_total: Decimal
    value_names: frozenset[str] = frozenset()  # item values some formula reads

    # Looked up by every scoring, so worked out once.
    @cached_property
    def target_names(self) -> dict[str, str]:
        """Each item's key → the name of its target in formulas."""
        return {key: f"{key}_target" for key in self.items}

    @cached_property
    def score_names(self) -> dict[str, str]:
        """Each item's key → the name of its score in formulas."""
        return {key: f"{key}_score" for key in self.items}

    @cached_property
    def input_names(self) -> frozenset[str]:
        """The names in formulas that stand for an input: each item's value and target."""
        return frozenset(self.items).union(self.target_names.values())

    @cached_property
    def positions(self) -> dict[str, int]:
        """Where each item and adjustment key stands in the template, for ordering."""
        position = {key: index for index, key in enumerate(self.items)}
        for index, adjustment in enumerate(self.adjustments):
            position.setdefault(adjustment.key, len(position) + index)
        return position

    @cached_property
    def grade_floats(self) -> tuple[tuple[str, float], ...]:
        return tuple((grade, to_float(minimum)) for grade, minimum in self.grades)

    @cached_property
    def max_total_float(self) -> float:
        return to_float(self.max_total)

    @cached_property
    def input_raters(self) -> frozenset[str]:
        """The raters who give some input: a value of an item in a section, or an
        adjustment's (whether a role has a part in an appraisal asks this per row)."""
        found = {
            rater
            for section in self.sections
            for key in section.items
            if (item := self.items.get(key)) is not None
            for rater in item.raters
        }
        return frozenset(found.union(*(a.raters for a in self.adjustments)))

    @cached_property
    def per_person_targets(self) -> tuple[str, ...]:
        """The keys of the section items whose target is set per employee in a cycle
        (`Item.needs_target`), in page order: a list of fifty appraisals asks per row."""
        return tuple(
            key
            for section in self.sections
            for key in section.items
            if (item := self.items.get(key)) is not None and item.needs_target
        )

    @cached_property
    def visible_ifs(self) -> tuple[str, ...]:
        """The items shown only when a condition holds."""
        return tuple(key for key, item in self.items.items() if item.visible_if is not None)


# -- validation ------------------------------------------------------------------------------


class Checker:
    """Collects a definition's errors at their JSON paths, each naming the element it is
    under (shared by the template, activity-form and metric checks)."""

    def __init__(self) -> None:
        self.errors: list[DefinitionError] = []
        self.elements: dict[str, tuple[Any, Any]] = {}  # path → (name, key)

    def element(self, path: str, raw: Any) -> None:
        """Remember a section's, item's, adjustment's, output's or grade's name and key, so
        every error under `path` names it."""
        if isinstance(raw, Mapping):
            key = raw.get("key", raw.get("grade"))
            self.elements[path] = (raw.get("name"), key if isinstance(key, str) else None)

    def named_errors(self) -> list[DefinitionError]:
        return [
            dataclasses.replace(
                error,
                where=_where(error.path, self.elements, "en"),
                where_zh=_where(error.path, self.elements, "zh"),
                element=_element(error.path, self.elements, "en"),
                element_zh=_element(error.path, self.elements, "zh"),
            )
            for error in self.errors
        ]

    def add(self, path: str, en: str, zh: str, code: str = "invalid", **extra: Any) -> None:
        self.errors.append(DefinitionError(path, en, zh, code, **extra))

    def formula_error(self, path: str, error: FormulaError) -> None:
        self.errors.append(
            DefinitionError(
                path,
                error.message,
                error.message_in("zh"),
                f"formula_{error.kind}",
                error.column,
                error.suggestion,
            )
        )

    def obj(self, value: Any, path: str, allowed: set[str], required: tuple[str, ...]) -> bool:
        if not isinstance(value, Mapping):
            self.add(path, "must be an object { … }", "应为对象 { … }", "type")
            return False
        for key in value:
            if key not in allowed:
                self.add(
                    _join(path, str(key)),
                    f"unknown field `{key}`",
                    f"未知字段 `{key}`",
                    "unknown_field",
                )
        for key in required:
            if key not in value:
                self.add(_join(path, key), "is required", "必填", "required")
        return True

    def number(
        self, value: Any, path: str, minimum: float | None = None, above: float | None = None
    ) -> Decimal | None:
        """The number as the decimal it was written as (JSON `33.33` is exactly 33.33)."""
        number = None if isinstance(value, bool | str) else to_decimal(value)
        if number is None:
            self.add(path, "must be a number", "应为数字", "type")
            return None
        if minimum is not None and number < minimum:
            self.add(path, f"must be at least {minimum:g}", f"不能小于 {minimum:g}", "range")
        if above is not None and number <= above:
            self.add(path, f"must be above {above:g}", f"必须大于 {above:g}", "range")
        return number

    def key(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not KEY.fullmatch(value):
            self.add(
                path,
                "must be 1–60 characters a–z, 0–9, _ or -",
                "应为 1–60 个字符，只含 a–z、0–9、_ 或 -",
                "key",
            )
            return None
        return value

    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str | None:
        if value not in options:
            self.add(
                path,
                f"must be one of {', '.join(options)}",
                f"应为 {', '.join(options)} 之一",
                "choice",
            )
            return None
        return value

    def label(self, value: Any, path: str) -> None:
        if isinstance(value, str) and value.strip():
            return
        if (
            isinstance(value, Mapping)
            and value
            and set(value) <= {"en", "zh"}
            and all(isinstance(v, str) and v.strip() for v in value.values())
        ):
            return
        self.add(
            path,
            'must be text or {"en": "…", "zh": "…"}',
            '应为文字或 {"en": "…", "zh": "…"}',
            "label",
        )

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.add(path, "must be true or false", "应为 true 或 false", "type")
            return None
        return value

    def raters(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
            self.add(path, "must be a list of raters", "应为评价人列表", "type")
            return ()
        for index, rater in enumerate(value):
            if rater not in RATERS:
                self.add(
                    f"{path}[{index}]",
                    f"unknown rater `{rater}`; use {', '.join(RATERS)}",
                    f"未知评价人 `{rater}`",
                    "choice",
                )
        if len(set(value)) != len(value):
            self.add(path, "lists a rater twice", "评价人重复", "duplicate")
        return tuple(r for r in value if r in RATERS)

    def weights(self, value: Any, path: str) -> dict[str, Decimal]:
        if not isinstance(value, Mapping):
            self.add(path, "must be an object of rater weights", "应为评价人权重对象", "type")
            return {}
        weights = {}
        for rater, weight in value.items():
            if rater not in RATERS:
                self.add(
                    _join(path, str(rater)),
                    f"unknown rater `{rater}`",
                    f"未知评价人 `{rater}`",
                    "choice",
                )
                continue
            number = self.number(weight, _join(path, rater), minimum=0)
            if number is not None:
                weights[rater] = number
        total = sum(weights.values(), ZERO)
        if weights and abs(total - 100) > WEIGHT_TOLERANCE:
            self.add(
                path,
                f"rater weights add up to {shown(total)}, not 100",
                f"评价人权重合计为 {shown(total)}，应为 100",
                "weights_sum",
            )
        return weights


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _label(name: Any, lang: str) -> str:
    if isinstance(name, Mapping):
        text = name.get(lang) or name.get("zh") or name.get("en")
        return text.strip() if isinstance(text, str) else ""
    return name.strip() if isinstance(name, str) else ""


def _describe(element: tuple[Any, Any], lang: str) -> str:
    name, key = element
    label = _label(name, lang)
    words = [key] if label and label == key else [w for w in (label, key) if w]
    return " ".join(words)[:80]


def _element(path: str, elements: Mapping[str, tuple[Any, Any]], lang: str) -> str:
    prefix, found = "", ""
    for part in path.split(".") if path else []:
        prefix = _join(prefix, part)
        if prefix in elements:
            found = _describe(elements[prefix], lang) or found
    return found


def _where(path: str, elements: Mapping[str, tuple[Any, Any]], lang: str) -> str:
    """`sections[0].items[2].weight` →
    `sections[0] (业绩 results).items[2] (销售额 sales).weight`."""
    shown_parts: list[str] = []
    prefix = ""
    for part in path.split(".") if path else []:
        prefix = _join(prefix, part)
        described = _describe(elements[prefix], lang) if prefix in elements else ""
        if described:
            part = f"{part} ({described})"
        shown_parts.append(part)
    return ".".join(shown_parts)


def validate(definition: Any) -> list[DefinitionError]:
    """Every problem of a definition, each at its JSON path; empty when it is valid."""
    try:
        return _build(definition)[1]
    except RecursionError:  # pragma: no cover - absurdly nested JSON
        return [DefinitionError("", "the definition is nested too deeply", "定义嵌套过深")]


def compile_template(definition: Mapping[str, Any]) -> CompiledTemplate:
    """The scorer's structure; DefinitionInvalid (with every error) when not valid."""
    template, errors = _build(definition)
    if errors or template is None:
        raise DefinitionInvalid(errors)
    return template


class _Build:
    """What the parts of one validation share: the checker, the keys claimed so far, and
    what each part found for the parts after it (header, sections, items, adjustments,
    outputs, in that order, so errors come in the definition's order)."""

    def __init__(self, definition: Mapping[str, Any], partial: bool = False) -> None:
        self.check = Checker()
        self.definition = definition
        self.partial = partial  # keep what can be read despite errors (a draft's preview)
        self.template_key: str | None = None
        self.default_weights: dict[str, Decimal] = {}
        self.max_total = DEFAULT_MAX_TOTAL
        self.scales: dict[str, dict[Any, Decimal]] = {}
        self.grades: list[tuple[str, Decimal]] = []
        self.taken: dict[str, str] = {}  # key → path where first defined
        self.raw_items: list[tuple[str, Mapping[str, Any], str]] = []  # path, item, section
        self.sections: list[tuple[str, Any, Decimal, list[str]]] = []
        self.adjustments_raw: list[Any] = []
        self.outputs_raw: list[Any] = []
        self.value_types: dict[str, str] = {}
        self.targets: dict[str, str] = {}
        self.items: dict[str, Item] = {}
        self.dependencies: dict[str, set[str]] = {}
        self.item_paths: dict[str, str] = {}
        self.section_item_weights: dict[str, Decimal] = {}
        self.adjustments: list[Adjustment] = []
        self.outputs: list[Output] = []

    def claim(self, key: str | None, path: str) -> None:
        """Keys of sections, items, adjustments and outputs are unique together."""
        if key is None:
            return
        normal = normalize_name(key)
        if normal in self.taken:
            self.check.add(
                path,
                f"key `{key}` is already used at {self.taken[normal]}",
                f"键 `{key}` 已在 {self.taken[normal]} 使用",
                "duplicate_key",
            )
        else:
            self.taken[normal] = path

    def formula(
        self, source: Any, path: str, names: Mapping[str, str], owner: str
    ) -> Formula | None:
        try:
            return compile_formula(source, names, owner=owner)
        except FormulaError as error:
            self.check.formula_error(path, error)
            return None


def draft_structure(definition: Any) -> CompiledTemplate:
    """The parts of a draft that can be read, whatever its errors: sections, items (with
    what could be understood of them), adjustments and outputs, for the builder's preview
    of a draft still being built. Never scored: only a valid definition is compiled."""
    build = _Build(definition if isinstance(definition, Mapping) else {}, partial=True)
    _validate_parts(build)
    return _assemble(build)


def _build(definition: Any) -> tuple[CompiledTemplate | None, list[DefinitionError]]:
    if not isinstance(definition, Mapping):
        check = Checker()
        check.obj(definition, "", TOP_FIELDS, ())
        return None, check.named_errors()
    build = _Build(definition)
    _validate_parts(build)
    if build.check.errors:
        return None, build.check.named_errors()
    return _assemble(build), []


def _validate_parts(build: _Build) -> None:
    """Each part in the definition's order, so errors come in that order."""
    _header(build)
    _section_structure(build)
    _adjustment_keys(build)
    _items(build)
    _item_weights_and_cycles(build)
    _adjustments(build)
    _outputs(build)


def _header(build: _Build) -> None:
    """Format, key, name, staff, period, default rater weights, highest total, scales and
    grades."""
    check, definition = build.check, build.definition
    check.obj(definition, "", TOP_FIELDS, ("format", "key", "name", "sections", "grades"))
    if "format" in definition and definition["format"] != FORMAT:
        check.add("format", f'must be "{FORMAT}"', f'应为 "{FORMAT}"', "format")
    if "key" in definition:
        build.template_key = check.key(definition.get("key"), "key")
    if "name" in definition:
        check.label(definition["name"], "name")
    if "staff" in definition:
        check.choice(definition["staff"], "staff", STAFF)
    if "period" in definition:
        check.choice(definition["period"], "period", PERIODS)
    if "rater_weights" in definition:
        build.default_weights = check.weights(definition["rater_weights"], "rater_weights")
    if "max_total" in definition:
        build.max_total = (
            check.number(definition["max_total"], "max_total", above=0) or build.max_total
        )
    build.scales = _scales(check, definition.get("scales", {}))
    build.grades = _grades(check, definition.get("grades"))


def _section_structure(build: _Build) -> None:
    """Pass 1: sections and the keys of their items, without formulas; section weights."""
    check, definition = build.check, build.definition
    section_list = definition.get("sections")
    if not isinstance(section_list, list) or not section_list:
        if "sections" in definition:
            check.add("sections", "must be a non-empty list", "应为非空列表", "type")
        section_list = []
    section_weights = ZERO
    for s_index, section in enumerate(section_list):
        path = f"sections[{s_index}]"
        check.element(path, section)
        if not check.obj(section, path, SECTION_FIELDS, ("key", "name", "weight", "items")):
            continue
        s_key = check.key(section.get("key"), f"{path}.key") if "key" in section else None
        build.claim(s_key, f"{path}.key")
        if "name" in section:
            check.label(section["name"], f"{path}.name")
        weight = (
            check.number(section.get("weight"), f"{path}.weight", minimum=0)
            if ("weight" in section)
            else None
        )
        section_weights += weight or 0
        keys = _item_keys(build, section, path, s_key or "")
        build.sections.append((s_key or "", section.get("name"), weight or ZERO, keys))
    if section_list and abs(section_weights - 100) > WEIGHT_TOLERANCE:
        check.add(
            "sections",
            f"section weights add up to {shown(section_weights)}, not 100",
            f"各部分权重合计为 {shown(section_weights)}，应为 100",
            "weights_sum",
        )


def _item_keys(build: _Build, section: Mapping[str, Any], path: str, s_key: str) -> list[str]:
    """The keys of a section's items, each claimed and remembered for pass 2."""
    check = build.check
    items = section.get("items")
    if not isinstance(items, list) or not items:
        if "items" in section:
            check.add(f"{path}.items", "must be a non-empty list", "应为非空列表", "type")
        items = []
    keys = []
    for i_index, item in enumerate(items):
        item_path = f"{path}.items[{i_index}]"
        check.element(item_path, item)
        if check.obj(
            item, item_path, ITEM_FIELDS, ("key", "name", "type", "raters", "weight", "scoring")
        ):
            key = check.key(item.get("key"), f"{item_path}.key") if "key" in item else None
            build.claim(key, f"{item_path}.key")
            if key:
                build.raw_items.append((item_path, item, s_key))
                keys.append(key)
    return keys


def _adjustment_keys(build: _Build) -> None:
    """Pass 1 of adjustments and outputs: their lists, and the adjustments' keys."""
    check, definition = build.check, build.definition
    adjustments_raw = definition.get("adjustments", [])
    if not isinstance(adjustments_raw, list):
        check.add("adjustments", "must be a list", "应为列表", "type")
        adjustments_raw = []
    for a_index, adjustment in enumerate(adjustments_raw):
        path = f"adjustments[{a_index}]"
        check.element(path, adjustment)
        if check.obj(adjustment, path, ADJUSTMENT_FIELDS, ("key", "kind", "name")):
            build.claim(
                check.key(adjustment.get("key"), f"{path}.key") if "key" in adjustment else None,
                f"{path}.key",
            )
    build.adjustments_raw = adjustments_raw
    outputs_raw = definition.get("outputs", [])
    if not isinstance(outputs_raw, list):
        check.add("outputs", "must be a list", "应为列表", "type")
        outputs_raw = []
    build.outputs_raw = outputs_raw
    build.value_types = item_value_types(item for _path, item, _section in build.raw_items)
    build.targets = {
        f"{key}_target": "number" for key, kind in build.value_types.items() if kind == "number"
    }


# -- items -----------------------------------------------------------------------------------


def _items(build: _Build) -> None:
    """Pass 2: each item in depth."""
    for path, raw, section_key in build.raw_items:
        _item(build, path, raw, section_key)


def _item(build: _Build, path: str, raw: Mapping[str, Any], section_key: str) -> None:
    check = build.check
    key = raw["key"]
    build.item_paths[key] = path
    kind = check.choice(raw.get("type"), f"{path}.type", ITEM_TYPES) if "type" in raw else None
    if "name" in raw:
        check.label(raw["name"], f"{path}.name")
    raters = check.raters(raw.get("raters", []), f"{path}.raters") if "raters" in raw else ()
    weight = (
        check.number(raw.get("weight"), f"{path}.weight", minimum=0) if "weight" in raw else None
    )
    computed = raw.get("formula")
    if computed is not None and raters:
        check.add(
            f"{path}.raters",
            "a computed item (with a formula) has no raters: use []",
            "有公式的计算项不需要评价人，请设为 []",
            "computed_raters",
        )
    if computed is None and "raters" in raw and not raters:
        check.add(f"{path}.raters", "needs at least one rater", "至少需要一个评价人", "required")
    levels = _item_levels(build, path, raw, kind)
    context = ScoringContext(key, build.value_types, build.formula)
    scoring = _scoring(check, raw.get("scoring"), f"{path}.scoring", context)
    if scoring is not None:
        _check_scoring_fits(build, path, kind, weight, scoring, section_key)
    item_weights = _item_rater_weights(build, path, raw, raters, scoring)
    required = bool(scoring is None or scoring.scored)
    if "required" in raw:
        required = bool(check.boolean(raw["required"], f"{path}.required"))
    allow_na = (
        bool(check.boolean(raw["allow_na"], f"{path}.allow_na")) if "allow_na" in raw else False
    )
    minimum, maximum = _item_bounds(build, path, raw, scoring)
    target = check.number(raw["target"], f"{path}.target", above=0) if "target" in raw else None
    names = {k: t for k, t in build.value_types.items() if k != key} | build.targets
    computed_formula = (
        build.formula(computed, f"{path}.formula", names, key) if computed is not None else None
    )
    if computed_formula is not None:
        build.dependencies[key] = set(computed_formula.names) & set(build.value_types)
    visible = (
        build.formula(raw["visible_if"], f"{path}.visible_if", names, key)
        if "visible_if" in raw
        else None
    )
    if build.partial:  # a draft's preview shows every item it can read
        kind, scoring, weight = kind or "number", scoring or Scoring("none"), weight or ZERO
    if kind and scoring and weight is not None:
        build.items[key] = Item(
            key=key,
            section=section_key,
            name=raw.get("name"),
            type=kind,
            raters=raters,
            weight=weight,
            scoring=scoring,
            required=required,
            allow_na=allow_na,
            rater_weights={r: item_weights.get(r, ZERO) for r in raters},
            levels=levels,
            minimum=minimum,
            maximum=maximum,
            target=target,
            formula=computed_formula,
            visible_if=visible,
            unit=raw.get("unit"),
            optional=raw.get("required") is False,
            options=_options(build, raw, kind),
            indicator=raw.get("indicator"),
        )


def _item_levels(
    build: _Build, path: str, raw: Mapping[str, Any], kind: str | None
) -> dict[Any, Decimal]:
    """A rating item's scale levels or a choice item's choices, value → score."""
    check = build.check
    levels: dict[Any, Decimal] = {}
    if kind == "rating":
        scale_key = raw.get("scale")
        if scale_key not in build.scales:
            check.add(
                f"{path}.scale",
                f"unknown scale `{scale_key}`; define it in scales",
                f"未知评分量表 `{scale_key}`，请在 scales 中定义",
                "unknown_scale",
                suggestion=next(iter(build.scales), None),
            )
        else:
            levels = build.scales[scale_key]
    elif "scale" in raw:
        check.add(f"{path}.scale", "only rating items use a scale", "只有评分项使用量表", "invalid")
    if kind == "choice":
        levels = _choices(check, raw.get("choices"), f"{path}.choices")
    elif "choices" in raw:
        check.add(
            f"{path}.choices", "only choice items have choices", "只有选择项有选项", "invalid"
        )
    return levels


def _options(
    build: _Build, raw: Mapping[str, Any], kind: str | None
) -> tuple[tuple[Any, Any], ...]:
    """The values a rater picks from, with their labels, in the definition's order."""
    if kind == "rating":
        levels = (build.definition.get("scales") or {}).get(raw.get("scale")) or []
    elif kind == "choice":
        levels = raw.get("choices") or []
    else:
        return ()
    return tuple(
        (level.get("value"), level.get("label")) for level in levels if isinstance(level, Mapping)
    )


def _check_scoring_fits(
    build: _Build,
    path: str,
    kind: str | None,
    weight: Decimal | None,
    scoring: Scoring,
    section_key: str,
) -> None:
    """An unscored item weighs 0; a scored one counts in its section's weights; the method
    can score the item's type."""
    check = build.check
    if not scoring.scored and weight:
        check.add(
            f"{path}.weight",
            "an item that is not scored must weigh 0",
            "不计分的项目权重必须为 0",
            "weight_unscored",
        )
    if scoring.scored:
        weights = build.section_item_weights
        weights[section_key] = weights.get(section_key, 0) + (weight or 0)
    if kind is not None and kind not in scoring.spec.item_kinds:
        check.add(f"{path}.scoring.method", *wrong_kind_message(kind), "method_type")


def _item_rater_weights(
    build: _Build,
    path: str,
    raw: Mapping[str, Any],
    raters: tuple[str, ...],
    scoring: Scoring | None,
) -> dict[str, Decimal]:
    """The item's own rater weights, else the template's; every rater of several of a scored
    item has one (weights combine scores; a comment written by several has none)."""
    check = build.check
    item_weights = dict(build.default_weights)
    if "rater_weights" in raw:
        item_weights = check.weights(raw["rater_weights"], f"{path}.rater_weights")
        for rater in item_weights:
            if rater not in raters:
                check.add(
                    f"{path}.rater_weights.{rater}",
                    f"`{rater}` does not rate this item",
                    f"`{rater}` 不是该项目的评价人",
                    "invalid",
                )
    if len(raters) > 1 and (scoring is None or scoring.scored):
        for rater in raters:
            if rater not in item_weights:
                check.add(
                    f"{path}.rater_weights",
                    f"no weight for rater `{rater}`",
                    f"缺少评价人 `{rater}` 的权重",
                    "weights_missing",
                )
    return item_weights


def _item_bounds(
    build: _Build, path: str, raw: Mapping[str, Any], scoring: Scoring | None
) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest value a rater may give."""
    check = build.check
    minimum = check.number(raw["min"], f"{path}.min") if "min" in raw else None
    if scoring and scoring.spec.counts_units:  # −2 incidents is an error
        if minimum is not None and minimum < 0:
            check.add(
                f"{path}.min",
                "a deduction item counts units, so min must not be below 0",
                "扣分项目按次数计，min 不能小于 0",
                "range",
            )
        minimum = max(minimum or ZERO, ZERO)
    maximum = check.number(raw["max"], f"{path}.max") if "max" in raw else None
    if minimum is not None and maximum is not None and minimum > maximum:
        check.add(f"{path}.max", "must not be below min", "不能小于 min", "range")
    return minimum, maximum


def _item_weights_and_cycles(build: _Build) -> None:
    """Scored items' weights sum to 100 per section; computed items form no circle."""
    check = build.check
    for s_index, (s_key, _name, _weight, keys) in enumerate(build.sections):
        total = build.section_item_weights.get(s_key, ZERO)
        if keys and s_key is not None and abs(total - 100) > WEIGHT_TOLERANCE:
            check.add(
                f"sections[{s_index}].items",
                f"weights of scored items add up to {shown(total)}, not 100",
                f"计分项目权重合计为 {shown(total)}，应为 100",
                "weights_sum",
            )
    cycle = find_cycle(dict(build.dependencies))
    if cycle:
        circle = " → ".join(cycle)
        check.add(
            f"{build.item_paths[cycle[0]]}.formula",
            f"formulas refer to each other in a circle: {circle}",
            f"公式之间循环引用：{circle}",
            "cycle",
        )


# -- adjustments and outputs -----------------------------------------------------------------


def _adjustments(build: _Build) -> None:
    names = build.value_types | {
        a["key"]: "number"
        for a in build.adjustments_raw
        if isinstance(a, Mapping) and isinstance(a.get("key"), str)
    }
    grade_names = {g for g, _ in build.grades}
    for a_index, raw in enumerate(build.adjustments_raw):
        if isinstance(raw, Mapping) and isinstance(raw.get("key"), str):
            _adjustment(build, f"adjustments[{a_index}]", raw, names, grade_names)


def _adjustment(
    build: _Build,
    path: str,
    raw: Mapping[str, Any],
    names: Mapping[str, str],
    grade_names: set[str],
) -> None:
    check = build.check
    kind = check.choice(raw.get("kind"), f"{path}.kind", KINDS) if "kind" in raw else None
    if "name" in raw:
        check.label(raw["name"], f"{path}.name")
    raters = check.raters(raw.get("raters", []), f"{path}.raters")
    maximum = check.number(raw["max"], f"{path}.max", above=0) if "max" in raw else None
    points = (
        build.formula(raw["formula"], f"{path}.formula", names, raw["key"])
        if "formula" in raw
        else None
    )
    condition = grade = None
    if kind == "veto":
        if "condition" not in raw:
            check.add(f"{path}.condition", "a veto needs a condition", "否决项需要条件", "required")
        else:
            condition = build.formula(raw["condition"], f"{path}.condition", names, raw["key"])
        grade = raw.get("grade")
        if grade not in grade_names:
            check.add(
                f"{path}.grade", f"unknown grade `{grade}`", f"未知等级 `{grade}`", "unknown_grade"
            )
        for extra in ("max", "formula"):
            if extra in raw:
                check.add(
                    f"{path}.{extra}",
                    "a veto has a condition and a grade instead",
                    "否决项使用条件和等级",
                    "invalid",
                )
    elif kind:
        for extra in ("condition", "grade"):
            if extra in raw:
                check.add(
                    f"{path}.{extra}", "only a veto has this", "只有否决项有此字段", "invalid"
                )
    required = raw.get("required", True)
    if kind:
        build.adjustments.append(
            Adjustment(
                raw["key"],
                kind,
                raw.get("name"),
                raters,
                maximum,
                points,
                condition,
                grade,
                required if isinstance(required, bool) else True,
            )
        )


def _outputs(build: _Build) -> None:
    """Outputs may refer to the figures of the result and to outputs above them."""
    check = build.check
    output_names: dict[str, str] = (
        build.value_types
        | build.targets
        | {
            a["key"]: "number"
            for a in build.adjustments_raw
            if isinstance(a, Mapping) and isinstance(a.get("key"), str)
        }
        | {f"{k}_score": "number" for k in build.value_types}
        | {f"{s[0]}_score": "number" for s in build.sections if s[0]}
        | {"base_total": "number", "total": "number", "grade": "text"}
    )
    for o_index, raw in enumerate(build.outputs_raw):
        path = f"outputs[{o_index}]"
        check.element(path, raw)
        if not check.obj(raw, path, OUTPUT_FIELDS, ("key", "formula")):
            continue
        key = check.key(raw.get("key"), f"{path}.key") if "key" in raw else None
        build.claim(key, f"{path}.key")
        if key and "formula" in raw:
            compiled = build.formula(raw["formula"], f"{path}.formula", output_names, key)
            if compiled is not None:
                build.outputs.append(Output(key, raw.get("name"), compiled))
                kind = compiled.result_type
                output_names = output_names | {
                    key: kind if kind in ("number", "text", "bool", "date") else "number"
                }


def _assemble(build: _Build) -> CompiledTemplate:
    """The compiled template from a definition that has no errors."""
    items = build.items
    order = [] if build.partial else evaluation_order(build.dependencies)
    order = [k for k in order if k in items]
    read: set[str] = set()
    for item in items.values():
        for compiled in (item.formula, item.visible_if, item.scoring.formula):
            if compiled is not None:
                read |= compiled.names
    for adjustment in build.adjustments:
        for compiled in (adjustment.formula, adjustment.condition):
            if compiled is not None:
                read |= compiled.names
    for output in build.outputs:
        read |= output.formula.names
    return CompiledTemplate(
        key=build.template_key or "",
        definition=build.definition,
        items=items,
        sections=tuple(Section(k, n, w, tuple(keys)) for k, n, w, keys in build.sections),
        adjustments=tuple(build.adjustments),
        grades=tuple(sorted(build.grades, key=lambda g: -g[1])),
        outputs=tuple(build.outputs),
        computed_order=tuple(order),
        max_total=build.max_total,
        value_names=frozenset(read & set(items)),
    )


def item_value_types(items: Any) -> dict[str, str]:
    """The type of each item's value as a formula sees it."""
    value_types: dict[str, str] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            continue
        kind = item.get("type")
        if kind == "choice":
            values = [c.get("value") for c in item.get("choices") or [] if isinstance(c, Mapping)]
            numeric = values and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values
            )
            value_types[item["key"]] = "number" if numeric else "text"
        elif item.get("formula") is not None:
            value_types[item["key"]] = "number"
        elif kind in VALUE_TYPES:
            value_types[item["key"]] = VALUE_TYPES[kind]
    return value_types


def formula_names(
    definition: Mapping[str, Any], context: str, key: str | None = None
) -> dict[str, str]:
    """The names a formula may use, with their types, for the live checker of the builder.

    `context` is where the formula stands: `item` (a computed item's formula, or its
    `visible_if`), `scoring` (an item's formula scoring), `adjustment` (points or a veto
    condition) or `output` (then `key` is the output, and outputs above it are available).
    """
    sections = [s for s in definition.get("sections") or [] if isinstance(s, Mapping)]
    items = [i for s in sections for i in s.get("items") or [] if isinstance(i, Mapping)]
    values = item_value_types(items)
    targets = {f"{k}_target": "number" for k, t in values.items() if t == "number"}
    adjustments = {
        a["key"]: "number"
        for a in definition.get("adjustments") or []
        if isinstance(a, Mapping) and isinstance(a.get("key"), str)
    }
    if context == "item":
        return {k: t for k, t in values.items() if k != key} | targets
    if context == "scoring":
        own = values.get(key or "", "number")
        return {k: t for k, t in values.items() if k != key} | {"actual": own, "target": "number"}
    if context == "adjustment":
        return values | adjustments
    names = (
        values
        | targets
        | adjustments
        | {f"{k}_score": "number" for k in values}
        | {f"{s['key']}_score": "number" for s in sections if isinstance(s.get("key"), str)}
        | {"base_total": "number", "total": "number", "grade": "text"}
    )
    for output in definition.get("outputs") or []:
        if not isinstance(output, Mapping) or output.get("key") == key:
            break
        if isinstance(output.get("key"), str):
            names[output["key"]] = "number"
    return names


def _scales(check: Checker, raw: Any) -> dict[str, dict[Any, Decimal]]:
    if not isinstance(raw, Mapping):
        check.add("scales", "must be an object of named scales", "应为命名量表对象", "type")
        return {}
    return {
        str(name): _levels(
            check,
            levels,
            f"scales.{name}",
            SCALE_LEVEL_FIELDS,
            ("must be a non-empty list of levels", "应为非空的等级列表"),
        )
        for name, levels in raw.items()
    }


def _choices(check: Checker, raw: Any, path: str) -> dict[Any, Decimal]:
    return _levels(
        check,
        raw,
        path,
        CHOICE_FIELDS,
        ("a choice item needs a non-empty list of choices", "选择项需要非空的选项列表"),
    )


def _levels(
    check: Checker, raw: Any, path: str, fields: set[str], empty: tuple[str, str]
) -> dict[Any, Decimal]:
    """Scale levels or choices: each a value (number or text), a label and a score."""
    if not isinstance(raw, list) or not raw:
        check.add(path, *empty, "required")
        return {}
    mapping: dict[Any, Decimal] = {}
    for index, level in enumerate(raw):
        level_path = f"{path}[{index}]"
        if not check.obj(level, level_path, fields, ("value", "label", "score")):
            continue
        value = level.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            check.add(f"{level_path}.value", "must be a number or text", "应为数字或文字", "type")
            continue
        if value in mapping:
            check.add(
                f"{level_path}.value",
                f"value {value!r} appears twice",
                f"值 {value!r} 重复",
                "duplicate",
            )
        if "label" in level:
            check.label(level["label"], f"{level_path}.label")
        score = (
            check.number(level.get("score"), f"{level_path}.score", minimum=0)
            if ("score" in level)
            else None
        )
        if score is not None:
            mapping[value] = score
    return mapping


def _grades(check: Checker, raw: Any) -> list[tuple[str, Decimal]]:
    if not isinstance(raw, list) or not raw:
        if raw is not None:
            check.add("grades", "must be a non-empty list", "应为非空列表", "type")
        return []
    grades: list[tuple[str, Decimal]] = []
    names: set[str] = set()
    mins: set[Decimal] = set()
    for index, grade in enumerate(raw):
        path = f"grades[{index}]"
        check.element(path, grade)
        if not check.obj(grade, path, GRADE_FIELDS, ("grade", "min")):
            continue
        name = grade.get("grade")
        if not isinstance(name, str) or not name.strip():
            check.add(
                f"{path}.grade",
                "must be a name such as S, A or B",
                "应为等级名称，如 S、A、B",
                "type",
            )
            continue
        if name in names:
            check.add(
                f"{path}.grade", f"grade {name} appears twice", f"等级 {name} 重复", "duplicate"
            )
        names.add(name)
        minimum = (
            check.number(grade.get("min"), f"{path}.min", minimum=0) if "min" in grade else None
        )
        if minimum is None:
            continue
        if minimum in mins:
            check.add(
                f"{path}.min",
                f"another grade also starts at {shown(minimum)}",
                f"另一个等级也从 {shown(minimum)} 开始",
                "duplicate",
            )
        mins.add(minimum)
        grades.append((name, minimum))
    if grades and min(m for _, m in grades) != 0:
        lowest = min(m for _, m in grades)
        check.add(
            "grades",
            f"the lowest grade must start at 0 (it starts at {shown(lowest)}), so "
            "every total gets a grade",
            f"最低等级必须从 0 开始（当前为 {shown(lowest)}），以保证每个总分都有等级",
            "grades_start",
        )
    return grades


def _scoring(check: Checker, raw: Any, path: str, context: ScoringContext) -> Scoring | None:
    """An item's scoring: the method, its plain-number parameters, then what the method's
    own declaration checks (`methods.METHODS`)."""
    if not isinstance(raw, Mapping):
        if raw is not None:
            check.add(path, "must be an object with a method", "应为包含 method 的对象", "type")
        return None
    method = check.choice(raw.get("method"), f"{path}.method", tuple(METHOD_SPECS))
    if method is None:
        return None
    spec = METHOD_SPECS[method]
    check.obj(raw, path, set(spec.fields), ("method",))
    values: dict[str, Any] = {"method": method}
    for name in NUMBER_PARAMETERS:
        if name in raw:
            number = check.number(
                raw[name], f"{path}.{name}", minimum=0 if name != "base" else None
            )
            if number is not None:
                values[name] = number
    if "cap" in values:
        values["has_cap"] = True
    spec.validate(check, raw, path, values, context)
    return Scoring(**values)
