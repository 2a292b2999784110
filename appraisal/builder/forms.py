from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import choices

RATER_CHOICES = choices(
    [
        ("data", _l("Imported data")),
        ("self", _l("Self")),
        ("manager", _l("Manager")),
        ("peer", _l("Peers")),
        ("subordinate", _l("Subordinates")),
        ("hr", _l("HR")),
    ]
)
CATEGORY_CHOICES = choices(
    [
        ("result", _l("Result")),
        ("process", _l("Process")),
        ("behaviour", _l("Behaviour")),
        ("competency", _l("Competency")),
    ]
)
STAFF_CHOICES = choices(
    [("any", _l("Any staff")), ("office", _l("Office staff")), ("field", _l("Field staff"))]
)
METHOD_CHOICES = choices(
    [
        ("ratio", _l("Ratio to target")),
        ("reverse_ratio", _l("Reverse ratio (lower is better)")),
        ("bands", _l("Bands")),
        ("linear", _l("Linear points")),
        ("deduction", _l("Deduction")),
        ("rating", _l("Rating scale")),
        ("none", _l("Not scored")),
    ]
)
TYPE_CHOICES = choices(
    [
        ("number", _l("Number")),
        ("rating", _l("Rating")),
        ("choice", _l("Choice")),
        ("bool", _l("Yes/no")),
        ("text", _l("Text")),
        ("date", _l("Date")),
    ]
)
PERIOD_CHOICES = choices(
    [
        ("month", _l("Month")),
        ("quarter", _l("Quarter")),
        ("half_year", _l("Half year")),
        ("year", _l("Year")),
    ]
)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IndicatorForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("a–z, 0–9, _ or -; formulas use it as a name"),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    category = SelectField(_l("Category"), choices=CATEGORY_CHOICES)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    direction = SelectField(
        _l("Direction"),
        choices=choices([("higher", _l("Higher is better")), ("lower", _l("Lower is better"))]),
    )
    item_type = SelectField(_l("Input type"), choices=TYPE_CHOICES)
    method = SelectField(_l("Default scoring"), choices=METHOD_CHOICES)
    on = SelectField(
        _l("Bands or points apply to"),
        choices=choices(
            [("actual", _l("Actual value")), ("achievement", _l("Achievement % of target"))]
        ),
    )
    cap = DecimalField(_l("Cap"), validators=[Optional(), NumberRange(min=0)])
    floor = DecimalField(_l("Floor"), validators=[Optional(), NumberRange(min=0)])
    base = DecimalField(_l("Base (deduction)"), validators=[Optional()])
    per_unit = DecimalField(
        _l("Points per unit (deduction)"), validators=[Optional(), NumberRange(min=0)]
    )
    table = TextAreaField(
        _l("Bands or points"),
        validators=[Length(max=2000)],
        description=_l("One per line: a minimum (or x) and its score, e.g. “95 100”."),
    )
    raters = CheckboxesField(_l("Default raters"), choices=RATER_CHOICES, default=["data"])
    staff_kind = SelectField(_l("Staff kind"), choices=STAFF_CHOICES)
    submit = SubmitField(_l("Save"))


class NewTemplateForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("a–z, 0–9, _ or -, unique in the organization"),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    staff = SelectField(_l("Staff kind"), choices=STAFF_CHOICES)
    period = SelectField(_l("Period"), choices=PERIOD_CHOICES, default="quarter")
    submit = SubmitField(_l("Create"))


class ImportForm(FlaskForm):
    file = FileField(_l("Template file (JSON)"), validators=[FileRequired()])
    as_copy = BooleanField(_l("Import as a copy when the key exists"))
    submit = SubmitField(_l("Import"))
