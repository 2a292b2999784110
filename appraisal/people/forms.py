from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..forms import NONE_CHOICE, SelectField, VersionedForm, choices, id_coerce
from ..labels import COLUMN, label_choices


class DepartmentForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)])
    parent_id = SelectField(_l("Parent department"), coerce=id_coerce, default=NONE_CHOICE)
    submit = SubmitField(_l("Save"))


class PositionForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    staff_kind = SelectField(
        _l("Staff kind"),
        choices=choices(label_choices("staff_kind", ("office", "field"))),
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Save"))


class EmployeeForm(VersionedForm):
    number = StringField(
        _l("Employee number"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"\S+\Z", message=_l("An employee number has no spaces.")),
        ],
    )
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    department_id = SelectField(_l("Department"), coerce=id_coerce, default=NONE_CHOICE)
    position_id = SelectField(_l("Position"), coerce=id_coerce, default=NONE_CHOICE)
    manager_id = SelectField(_l("Reports to"), coerce=id_coerce, default=NONE_CHOICE)
    hire_date = DateField(_l("Hire date"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=choices(label_choices("employee_status")),
        default="active",
    )
    user_id = SelectField(_l("Sign-in account"), coerce=id_coerce, default=NONE_CHOICE)
    submit = SubmitField(_l("Save"))


#: The import's fields, named as the export's columns are (one list of words for both).
FIELD_LABELS = {
    key: COLUMN[key]
    for key in (
        "number",
        "name",
        "email",
        "department",
        "position",
        "manager_number",
        "hire_date",
        "status",
    )
}
