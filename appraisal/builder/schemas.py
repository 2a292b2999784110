"""marshmallow schemas of the `appraisal-template/1` format: the structure of what crosses a
boundary (upload, API, packs). Unknown keys are refused with their path; the meaning (weights,
grades, formulas, cycles) is then checked by `appraisal.rules.validate`."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate

RATERS = ["data", "self", "manager", "peer", "subordinate", "hr"]


class Label(fields.Field):
    """A plain string (both languages) or {"en": …, "zh": …}."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": 'Text or {"en": "…", "zh": "…"} expected.'
    }

    def _deserialize(self, value: Any, attr, data, **kwargs) -> Any:
        if isinstance(value, str) and value.strip():
            return value
        if (
            isinstance(value, dict)
            and value
            and set(value) <= {"en", "zh"}
            and all(isinstance(v, str) for v in value.values())
        ):
            return value
        raise self.make_error("invalid")


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


class LevelSchema(Strict):
    value = Scalar(required=True)
    label = Label(required=True)
    score = _number(required=True)
    description = fields.String()


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
    bands = fields.List(fields.Nested(BandSchema))
    points = fields.List(fields.List(_number(), validate=validate.Length(equal=2)))
    base = _number()
    per_unit = _number()
    formula = fields.String(validate=validate.Length(max=2000))


class ItemSchema(Strict):
    key = fields.String(required=True)
    name = Label(required=True)
    description = fields.String()
    indicator = fields.String()
    type = fields.String(
        required=True,
        validate=validate.OneOf(["number", "rating", "choice", "bool", "text", "date"]),
    )
    unit = fields.String()
    raters = fields.List(fields.String(validate=validate.OneOf(RATERS)), required=True)
    weight = _number(required=True)
    scoring = fields.Nested(ScoringSchema, required=True)
    required = fields.Boolean()
    allow_na = fields.Boolean()
    min = _number()
    max = _number()
    choices = fields.List(fields.Nested(LevelSchema))
    scale = fields.String()
    visible_if = fields.String(validate=validate.Length(max=2000))
    target = _number()
    formula = fields.String(validate=validate.Length(max=2000))
    rater_weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RATERS)), values=_number()
    )


class SectionSchema(Strict):
    key = fields.String(required=True)
    name = Label(required=True)
    description = fields.String()
    weight = _number(required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)


class AdjustmentSchema(Strict):
    key = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["bonus", "deduction", "veto"]))
    name = Label(required=True)
    description = fields.String()
    raters = fields.List(fields.String(validate=validate.OneOf(RATERS)))
    formula = fields.String(validate=validate.Length(max=2000))
    max = _number()
    condition = fields.String(validate=validate.Length(max=2000))
    grade = fields.String()
    required = fields.Boolean()


class GradeSchema(Strict):
    grade = fields.String(required=True)
    min = _number(required=True)
    label = Label()
    description = fields.String()


class OutputSchema(Strict):
    key = fields.String(required=True)
    name = Label()
    formula = fields.String(required=True, validate=validate.Length(max=2000))
    description = fields.String()
    unit = fields.String()


class TemplateSchema(Strict):
    format = fields.String(required=True, validate=validate.Equal("appraisal-template/1"))
    key = fields.String(required=True)
    name = Label(required=True)
    description = fields.String()
    staff = fields.String(validate=validate.OneOf(["office", "field", "any"]))
    period = fields.String(validate=validate.OneOf(["month", "quarter", "half_year", "year"]))
    rater_weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RATERS)), values=_number()
    )
    scales = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(LevelSchema)))
    sections = fields.List(fields.Nested(SectionSchema), required=True)
    adjustments = fields.List(fields.Nested(AdjustmentSchema))
    grades = fields.List(fields.Nested(GradeSchema), required=True)
    outputs = fields.List(fields.Nested(OutputSchema))
    max_total = _number()
    version = fields.Integer()


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
    """Structural errors of a definition as (path, message); empty when the shape is right."""
    try:
        TemplateSchema().load(data)
    except ValidationError as error:
        return flatten_errors(error.messages)
    return []
