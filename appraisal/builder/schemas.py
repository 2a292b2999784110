"""marshmallow schemas of the `appraisal-template/1` format: the structure of what crosses a
boundary (upload, API, packs). Unknown keys are refused with their path; the meaning (weights,
grades, formulas, cycles) is then checked by `appraisal.rules.validate`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from ..rules import KEY, MAX_SOURCE

RATERS = ["data", "self", "manager", "peer", "subordinate", "hr"]


@dataclass(frozen=True)
class TemplateLimits:
    """How large a template may be, whatever door it comes through (API, upload, command
    line, pack, designer): generous for real schemes (the packs' templates have ≤ 8 items
    and ~9 KB), small enough that importing, the designer and try-it stay well within a
    request's time for the largest allowed one (see `make bench`)."""

    json_bytes: int = 1024 * 1024  # the whole definition as JSON
    sections: int = 20
    items: int = 100  # in all sections together
    adjustments: int = 30
    outputs: int = 30
    scales: int = 10
    levels: int = 20  # levels of a scale, choices of an item
    bands: int = 30  # bands or linear points of one scoring
    grades: int = 10
    label: int = 200  # characters of a name or label (each language)
    text: int = 2000  # characters of a description
    word: int = 60  # characters of a unit, grade or other short text
    formula: int = MAX_SOURCE


LIMITS = TemplateLimits()


class Message(str):
    """A structural message that also has a Chinese text (marshmallow's own are English)."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Message:
        message = super().__new__(cls, en)
        message.zh = zh
        return message


class LimitMessage(Message):
    """A limit of `LIMITS` exceeded: the designer refuses such an edit outright."""


def _most(count: int, en: str, zh: str):
    """A validator refusing more than `count` entries (`en`/`zh` name what is counted)."""

    def check(value: Any) -> None:
        if len(value) > count:
            raise ValidationError(
                LimitMessage(
                    f"at most {count} {en} (found {len(value)})",
                    f"最多 {count} 个{zh}（现有 {len(value)} 个）",
                )
            )

    return check


def _chars(count: int):
    def check(value: str) -> None:
        if len(value) > count:
            raise ValidationError(
                LimitMessage(f"at most {count} characters", f"最多 {count} 个字符")
            )

    return check


def _key(value: str) -> None:
    """`KEY.fullmatch`, not `match`: `$` would let a trailing newline through."""
    if not KEY.fullmatch(value):
        raise ValidationError(
            Message(
                "must be 1–60 characters a–z, 0–9, _ or -",
                "应为 1–60 个字符，只含 a–z、0–9、_ 或 -",
            )
        )


def _text(count: int = LIMITS.text, **kwargs) -> fields.String:
    return fields.String(validate=_chars(count), **kwargs)


def _word(**kwargs) -> fields.String:
    return _text(LIMITS.word, **kwargs)


def _formula(**kwargs) -> fields.String:
    return _text(LIMITS.formula, **kwargs)


def _key_field(**kwargs) -> fields.String:
    return fields.String(validate=_key, **kwargs)


class Label(fields.Field):
    """A plain string (both languages) or {"en": …, "zh": …}."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": 'Text or {"en": "…", "zh": "…"} expected.'
    }

    def _deserialize(self, value: Any, attr, data, **kwargs) -> Any:
        if isinstance(value, str) and value.strip():
            texts = [value]
        elif (
            isinstance(value, dict)
            and value
            and set(value) <= {"en", "zh"}
            and all(isinstance(v, str) for v in value.values())
        ):
            texts = list(value.values())
        else:
            raise self.make_error("invalid")
        for text in texts:
            _chars(LIMITS.label)(text)
        return value


class Scalar(fields.Field):
    """A number or a text value (scale levels, choices)."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "A number or text expected."}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.make_error("invalid")
        return value


def _number(**kwargs) -> fields.Float:
    return fields.Float(allow_nan=False, **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


def _raters(**kwargs) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(RATERS)),
        validate=_most(len(RATERS), "raters", "评价人"),
        **kwargs,
    )


class LevelSchema(Strict):
    value = Scalar(required=True)
    label = Label(required=True)
    score = _number(required=True)
    description = _text()


class BandSchema(Strict):
    min = _number(required=True)
    score = _number(required=True)


class ScoringSchema(Strict):
    method = fields.String(
        required=True,
        validate=validate.OneOf(
            ["ratio", "reverse_ratio", "bands", "linear", "deduction", "rating", "formula", "none"]
        ),
    )
    cap = _number()
    floor = _number()
    on = fields.String(validate=validate.OneOf(["actual", "achievement"]))
    bands = fields.List(fields.Nested(BandSchema), validate=_most(LIMITS.bands, "bands", "分档"))
    points = fields.List(
        fields.List(_number(), validate=validate.Length(equal=2)),
        validate=_most(LIMITS.bands, "points", "折点"),
    )
    base = _number()
    per_unit = _number()
    formula = _formula()


class ItemSchema(Strict):
    key = _key_field(required=True)
    name = Label(required=True)
    description = _text()
    indicator = _key_field()
    type = fields.String(
        required=True,
        validate=validate.OneOf(["number", "rating", "choice", "bool", "text", "date"]),
    )
    unit = _word()
    raters = _raters(required=True)
    weight = _number(required=True)
    scoring = fields.Nested(ScoringSchema, required=True)
    required = fields.Boolean()
    allow_na = fields.Boolean()
    min = _number()
    max = _number()
    choices = fields.List(
        fields.Nested(LevelSchema), validate=_most(LIMITS.levels, "choices", "选项")
    )
    scale = _key_field()
    visible_if = _formula()
    target = _number()
    formula = _formula()
    rater_weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RATERS)), values=_number()
    )


class SectionSchema(Strict):
    key = _key_field(required=True)
    name = Label(required=True)
    description = _text()
    weight = _number(required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)  # counted by TemplateSchema


class AdjustmentSchema(Strict):
    key = _key_field(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["bonus", "deduction", "veto"]))
    name = Label(required=True)
    description = _text()
    raters = _raters()
    formula = _formula()
    max = _number()
    condition = _formula()
    grade = _word()
    required = fields.Boolean()


class GradeSchema(Strict):
    grade = _word(required=True)
    min = _number(required=True)
    label = Label()
    description = _text()


class OutputSchema(Strict):
    key = _key_field(required=True)
    name = Label()
    formula = _formula(required=True)
    description = _text()
    unit = _word()


class TemplateSchema(Strict):
    """The whole definition. Its size and its counts are bounded by `LIMITS`, so the engine
    never sees more than it can check and score quickly."""

    format = fields.String(required=True, validate=validate.Equal("appraisal-template/1"))
    key = _key_field(required=True)
    name = Label(required=True)
    description = _text()
    staff = fields.String(validate=validate.OneOf(["office", "field", "any"]))
    period = fields.String(validate=validate.OneOf(["month", "quarter", "half_year", "year"]))
    rater_weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RATERS)), values=_number()
    )
    scales = fields.Dict(
        keys=_key_field(),
        values=fields.List(
            fields.Nested(LevelSchema), validate=_most(LIMITS.levels, "levels", "等级")
        ),
        validate=_most(LIMITS.scales, "scales", "量表"),
    )
    sections = fields.List(
        fields.Nested(SectionSchema),
        required=True,
        validate=_most(LIMITS.sections, "sections", "考核维度"),
    )
    adjustments = fields.List(
        fields.Nested(AdjustmentSchema),
        validate=_most(LIMITS.adjustments, "bonus, deduction and veto items", "加减分及否决项"),
    )
    grades = fields.List(
        fields.Nested(GradeSchema),
        required=True,
        validate=_most(LIMITS.grades, "grades", "等级"),
    )
    outputs = fields.List(
        fields.Nested(OutputSchema), validate=_most(LIMITS.outputs, "outputs", "输出项")
    )
    max_total = _number()
    version = fields.Integer()

    @pre_load
    def _bounded(self, data: Any, **kwargs) -> Any:
        """Refuse what is too large before marshmallow walks it, and count the items of all
        sections together (each section's own list is bounded by its field)."""
        size = len(json.dumps(data, ensure_ascii=False, default=str).encode())
        if size > LIMITS.json_bytes:
            raise ValidationError(
                LimitMessage(
                    f"the definition is {size:,} bytes; at most {LIMITS.json_bytes:,}",
                    f"定义有 {size:,} 字节，最多 {LIMITS.json_bytes:,} 字节",
                )
            )
        sections = data.get("sections") if isinstance(data, dict) else None
        if isinstance(sections, list):
            items = [
                item
                for section in sections
                if isinstance(section, dict) and isinstance(section.get("items"), list)
                for item in section["items"]
            ]
            try:
                _most(LIMITS.items, "items in a template", "考核项")(items)
            except ValidationError as error:
                raise ValidationError(error.messages, "sections") from None
        return data


def flatten_errors(messages: Any, path: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict as (JSON path, message) pairs."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path, message) for message in messages]
    pairs: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path
            else:
                child = f"{path}.{key}" if path else str(key)
            pairs.extend(flatten_errors(value, child))
    elif isinstance(messages, list):
        for value in messages:
            pairs.extend(flatten_errors(value, path))
    return pairs


def check_structure(data: Any) -> list[tuple[str, str]]:
    """Structural errors of a definition as (path, message); empty when the shape is right.
    A message may be a `Message` (with `.zh`) or a `LimitMessage`."""
    try:
        TemplateSchema().load(data)
    except ValidationError as error:
        return flatten_errors(error.messages)
    return []


def limit_problems(data: Any) -> list[tuple[str, str]]:
    """Only the `LIMITS` a definition exceeds (a draft may have other problems for now)."""
    return [(path, m) for path, m in check_structure(data) if isinstance(m, LimitMessage)]
