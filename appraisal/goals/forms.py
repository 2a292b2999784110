"""HTML forms of the goal cascade."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..forms import (
    DecimalField,
    PostedForm,
    SelectField,
    SelectMultipleField,
    VersionedForm,
    choices,
    id_coerce,
    version_field,
)


class GoalForm(VersionedForm):
    key = StringField(
        _l("Item key"),
        validators=[
            DataRequired(),
            Length(max=60),
            Regexp(r"[a-z0-9_]+\Z", message=_l("Use a–z, 0–9 and _.")),
        ],
        description=_l("The template item whose per-person target the leaves fill, e.g. sales."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    weight = DecimalField(
        _l("Weight"), places=2, default=0, validators=[NumberRange(min=0, max=100)]
    )
    starts_on = DateField(_l("Period starts"), validators=[DataRequired()])
    ends_on = DateField(_l("Period ends"), validators=[DataRequired()])
    target = StringField(_l("Company target"), validators=[DataRequired(), Length(max=30)])
    submit = SubmitField(_l("Save"))


class SplitForm(PostedForm):
    """The split page's own inputs; the parts' cells are drawn as a grid and read by name."""

    method = SelectField(
        _l("Split"),
        choices=choices(
            [
                ("equal", _l("Equally")),
                ("basis", _l("In proportion to the basis column")),
                ("last_actual", _l("In proportion to last period's actual")),
                ("last_year", _l("In proportion to the same period last year's actual")),
                ("forecast", _l("In proportion to the imported forecast")),
            ]
        ),
        default="equal",
    )
    version = version_field()


class PartForm(PostedForm):
    """A new part. The pickers list a capped, searched few; whether the chosen ids are
    allowed (the manager's region) is the service's check, not a choice list's."""

    department_id = SelectField(_l("Department or region"), coerce=id_coerce, validate_choice=False)
    lead_id = SelectField(_l("Manager who splits it"), coerce=id_coerce, validate_choice=False)
    employee_id = SelectField(_l("Or a person"), coerce=id_coerce, validate_choice=False)
    add = SubmitField(_l("Add"))


class ForecastForm(PostedForm):
    file = FileField(
        _l("Forecast file (CSV or Excel)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt", "xlsx"], _l("Use a .csv or .xlsx file.")),
        ],
    )
    upload = SubmitField(_l("Import the forecast"))


class FillForm(PostedForm):
    cycle_id = SelectField(_l("Cycle"), coerce=id_coerce)
    goal_ids = SelectMultipleField(
        _l("Goals"), coerce=id_coerce, validators=[DataRequired(_l("Choose at least one goal."))]
    )
    submit = SubmitField(_l("Fill the targets"))


def part_choices(form: PartForm, departments, employees, none_label: str) -> None:
    form.department_id.choices = choices(departments, none_label)
    form.lead_id.choices = choices(employees, none_label)
    form.employee_id.choices = choices(employees, none_label)
