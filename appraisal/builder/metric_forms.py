"""The metric editor's form, and the two-way translation between its inputs and the
`metric/1` definition. The form only carries what was typed; `rules.validate_metric` says
what is wrong, at JSON paths that `problem_input` turns back into the form's inputs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import SelectField, VersionedForm, choices, id_coerce
from ..labels import label_choices, yes_no
from ..rules import (
    AGGREGATIONS,
    MAX_CONDITIONS,
    MAX_SOURCE,
    METRIC_FORMAT,
    OPERATORS,
    PERCENT_AGGREGATIONS,
)
from .activity_draft import label, label_parts
from .metric_services import source_from_value, source_value

AGGREGATION_CHOICES = choices(label_choices("metric_aggregation", AGGREGATIONS))
OPERATOR_CHOICES = choices(label_choices("metric_operator", OPERATORS))
DURATION_CHOICES = choices([("minutes", _l("minutes")), ("hours", _l("hours"))])
#: Aggregations that read one field of each record.
READS_FIELD = ("distinct", "sum", "avg", "min", "max")
BLANK_ROWS = 3
TRUE_WORDS = {"yes", "true", "1", "是", "y"}
FALSE_WORDS = {"no", "false", "0", "否", "n"}
LIST_SEPARATOR = re.compile(r"[,，、]")


class ConditionForm(Form):
    """One row of a filter: field, comparison, value (blank field: the row is unused)."""

    field = SelectField(_l("Field"), choices=[], validate_choice=False)
    op = SelectField(_l("Comparison"), choices=OPERATOR_CHOICES, validate_choice=False)
    value = StringField(
        _l("Value"),
        validators=[Optional(), Length(max=500)],
        description=_l("Several values: separate them with commas."),
    )


def _rows() -> Any:
    return FieldList(
        FormField(ConditionForm), min_entries=BLANK_ROWS, max_entries=MAX_CONDITIONS + BLANK_ROWS
    )


class MetricForm(VersionedForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("a–z, 0–9, _ or -; it cannot change later (schemes and ratios use it)"),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    unit = StringField(
        _l("Unit"), validators=[Optional(), Length(max=20)], description=_l("e.g. visits, %, CNY")
    )
    source = SelectField(_l("What it reads"), choices=[], validate_choice=False)
    aggregation = SelectField(
        _l("How it counts"), choices=AGGREGATION_CHOICES, default="count", validate_choice=False
    )
    field = SelectField(_l("Field"), choices=[], validate_choice=False)
    from_field = SelectField(_l("From (time field)"), choices=[], validate_choice=False)
    to_field = SelectField(_l("To (time field)"), choices=[], validate_choice=False)
    duration_in = SelectField(
        _l("Duration in"), choices=DURATION_CHOICES, default="minutes", validate_choice=False
    )
    numerator = SelectField(_l("Numerator"), choices=[], validate_choice=False)
    denominator = SelectField(_l("Denominator"), choices=[], validate_choice=False)
    percent = BooleanField(_l("Show as a percentage (× 100)"), default=True)
    places = IntegerField(
        _l("Decimal places"), default=2, validators=[Optional()], description=_l("0 to 4")
    )
    date = SelectField(
        _l("The day that places a record in a period"), choices=[], validate_choice=False
    )
    approved_only = BooleanField(_l("Approved records only"))
    filters = _rows()
    where = StringField(
        _l("Or a formula"),
        validators=[Optional(), Length(max=MAX_SOURCE)],
        description=_l(
            "Optional: a condition on the fields, e.g. amount > 1000 and outcome == 'won'"
        ),
    )
    conditions = _rows()
    condition_where = StringField(
        _l("Or a formula"),
        validators=[Optional(), Length(max=MAX_SOURCE)],
        description=_l("Optional: a condition a record must meet to count in the share"),
    )
    submit = SubmitField(_l("Save metric"))
    refresh = SubmitField(_l("Show this source's fields"))
    add_filter = SubmitField(_l("Add a condition"))
    add_condition = SubmitField(_l("Add a condition"))


class PreviewForm(FlaskForm):
    """The preview's question, asked with GET: whose value, over which days."""

    class Meta:
        csrf = False

    employee = SelectField(_l("Employee"), coerce=id_coerce, choices=[], validate_choice=False)
    start = DateField(_l("First day"), validators=[DataRequired()])
    end = DateField(_l("Last day"), validators=[DataRequired()])
    submit = SubmitField(_l("Compute"))


# -- inputs → definition ---------------------------------------------------------------------


@dataclass
class Drafted:
    """A definition made from the form, and which form row each condition came from."""

    definition: dict[str, Any]
    rows: dict[str, list[int]] = field(default_factory=dict)  # "filter" → [entry index, ...]


def definition_from_form(form: MetricForm, types: Mapping[str, str]) -> Drafted:
    """The definition the inputs describe; inputs the chosen aggregation does not use are
    left out (they may be shown without JS), values are typed by their field's type."""
    aggregation = form.aggregation.data
    definition: dict[str, Any] = {
        "format": METRIC_FORMAT,
        "key": (form.key.data or "").strip(),
        "name": label(form.name_zh.data, form.name_en.data),
        "aggregation": aggregation,
    }
    if (form.unit.data or "").strip():
        definition["unit"] = form.unit.data.strip()
    if form.places.data is not None:
        definition["places"] = form.places.data
    drafted = Drafted(definition)
    if aggregation in PERCENT_AGGREGATIONS:
        definition["percent"] = bool(form.percent.data)
    if aggregation == "ratio":
        definition["numerator"] = form.numerator.data or ""
        definition["denominator"] = form.denominator.data or ""
        return drafted
    source = source_from_value(form.source.data)
    definition["source"] = source if source is not None else (form.source.data or "")
    if aggregation in READS_FIELD:
        definition["field"] = form.field.data or ""
    if aggregation == "duration_avg":
        definition["from"] = form.from_field.data or ""
        definition["to"] = form.to_field.data or ""
        definition["in"] = form.duration_in.data
    definition["filter"], drafted.rows["filter"] = _conditions(form.filters, types)
    if (form.where.data or "").strip():
        definition["where"] = form.where.data.strip()
    if aggregation == "share":
        definition["condition"], drafted.rows["condition"] = _conditions(form.conditions, types)
        if (form.condition_where.data or "").strip():
            definition["condition_where"] = form.condition_where.data.strip()
    if form.date.data and form.date.data != "occurred":
        definition["date"] = form.date.data
    if form.approved_only.data and isinstance(source, dict) and "activity" in source:
        definition["approved_only"] = True
    return drafted


def _conditions(rows: FieldList, types: Mapping[str, str]) -> tuple[list[dict], list[int]]:
    found, used = [], []
    for index, entry in enumerate(rows.entries):
        name = entry.form.field.data or ""
        if not name:
            continue
        op = entry.form.op.data or ""
        condition: dict[str, Any] = {"field": name, "op": op}
        if op not in ("empty", "not_empty"):
            condition["value"] = _typed_value(types.get(name, ""), op, entry.form.value.data or "")
        found.append(condition)
        used.append(index)
    return found, used


def _typed_value(field_type: str, op: str, text: str) -> Any:
    """What was typed as the definition keeps it: yes/no as true/false, customers and whole
    numbers as numbers, a list for "is one of"; anything else as the text, which the rules
    then check (and refuse at its row when it is not of the field's type)."""
    if op in ("in", "not_in"):
        parts = [p.strip() for p in LIST_SEPARATOR.split(text) if p.strip()]
        return [_one(field_type, p) for p in parts]
    return _one(field_type, text.strip())


def _one(field_type: str, text: str) -> Any:
    if field_type == "yes_no":
        if text.casefold() in TRUE_WORDS:
            return True
        if text.casefold() in FALSE_WORDS:
            return False
    if field_type in ("customer", "number", "money") and re.fullmatch(r"-?\d{1,15}", text):
        return int(text)
    return text


# -- definition → inputs ---------------------------------------------------------------------


def inputs_from_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The form's inputs for a saved definition, with blank rows to add conditions in."""
    name_zh, name_en = label_parts(definition.get("name"))
    aggregation = definition.get("aggregation", "count")
    return {
        "key": definition.get("key", ""),
        "name_zh": name_zh,
        "name_en": name_en,
        "unit": definition.get("unit", ""),
        "source": source_value(definition.get("source")),
        "aggregation": aggregation,
        "field": definition.get("field", ""),
        "from_field": definition.get("from", ""),
        "to_field": definition.get("to", ""),
        "duration_in": definition.get("in", "minutes"),
        "numerator": definition.get("numerator", ""),
        "denominator": definition.get("denominator", ""),
        "percent": definition.get("percent", aggregation in PERCENT_AGGREGATIONS),
        "places": definition.get("places", 2),
        "date": definition.get("date", "occurred"),
        "approved_only": bool(definition.get("approved_only")),
        "filters": with_blank_rows([_row(c) for c in definition.get("filter") or []]),
        "where": definition.get("where", ""),
        "conditions": with_blank_rows([_row(c) for c in definition.get("condition") or []]),
        "condition_where": definition.get("condition_where", ""),
    }


def with_blank_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blank = {"field": "", "op": "eq", "value": ""}
    return rows + [dict(blank) for _ in range(max(1, BLANK_ROWS - len(rows)))]


def _row(condition: Mapping[str, Any]) -> dict[str, Any]:
    value = condition.get("value")
    values = value if isinstance(value, list) else [value]
    shown = ", ".join(yes_no(v) if isinstance(v, bool) else str(v) for v in values if v is not None)
    return {"field": condition.get("field", ""), "op": condition.get("op", "eq"), "value": shown}


# -- problems → inputs -----------------------------------------------------------------------

#: A definition path (its first part) → the input that shows its problem.
INPUT_OF = {
    "key": "key",
    "name": "name_zh",
    "unit": "unit",
    "source": "source",
    "aggregation": "aggregation",
    "field": "field",
    "from": "from_field",
    "to": "to_field",
    "in": "duration_in",
    "numerator": "numerator",
    "denominator": "denominator",
    "percent": "percent",
    "places": "places",
    "date": "date",
    "approved_only": "approved_only",
    "where": "where",
    "condition_where": "condition_where",
}
ROW_PATH = re.compile(r"^(filter|condition)(?:\[(\d+)\](?:\.(field|op|value))?)?")
ROWS_OF = {"filter": "filters", "condition": "conditions"}


def problem_input(form: MetricForm, drafted: Drafted, path: str) -> Any:
    """The form input (a WTForms field) a problem at `path` belongs to, or None."""
    found = ROW_PATH.match(path)
    if found:
        kind, index, part = found.groups()
        rows = form[ROWS_OF[kind]]
        used = drafted.rows.get(kind, [])
        if index is not None and int(index) < len(used):
            return rows.entries[used[int(index)]].form[part or "field"]
        return rows.entries[0].form["field"] if rows.entries else None
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    name = INPUT_OF.get(head)
    return form[name] if name else None
