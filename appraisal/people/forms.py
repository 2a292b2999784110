from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..forms import NONE_CHOICE, choices
from ..i18n import label_text


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)])
    parent_id = SelectField(_l("Parent department"), coerce=int, default=NONE_CHOICE)
    submit = SubmitField(_l("Save"))


class PositionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    staff_kind = SelectField(
        _l("Staff kind"),
        choices=choices([("office", _l("Office staff")), ("field", _l("Field staff"))]),
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Save"))


class EmployeeForm(FlaskForm):
    number = StringField(
        _l("Employee number"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^\S+$", message=_l("An employee number has no spaces.")),
        ],
    )
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    department_id = SelectField(_l("Department"), coerce=int, default=NONE_CHOICE)
    position_id = SelectField(_l("Position"), coerce=int, default=NONE_CHOICE)
    manager_id = SelectField(_l("Reports to"), coerce=int, default=NONE_CHOICE)
    hire_date = DateField(_l("Hire date"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=choices([("active", _l("Active")), ("left", _l("Left"))]),
        default="active",
    )
    user_id = SelectField(_l("Sign-in account"), coerce=int, default=NONE_CHOICE)
    submit = SubmitField(_l("Save"))


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt", "xlsx"], _l("Use a .csv or .xlsx file.")),
        ],
    )
    encoding = SelectField(
        _l("Text encoding (CSV)"),
        choices=choices([("auto", _l("Detect")), ("utf-8", "UTF-8"), ("gbk", "GBK / GB18030")]),
        default="auto",
    )
    submit = SubmitField(_l("Upload"))


FIELD_LABELS = {
    "number": _l("Employee number"),
    "name": _l("Full name"),
    "email": _l("Email"),
    "department": _l("Department"),
    "position": _l("Position"),
    "manager_number": _l("Manager's employee number"),
    "hire_date": _l("Hire date"),
    "status": _l("Status"),
}


class ColumnMappingForm(FlaskForm):
    """One select per field of ours, offering the file's columns."""

    @classmethod
    def for_header(cls, header: list[str]) -> ColumnMappingForm:
        class Mapping(cls):
            pass

        options = choices([(column, column) for column in header], none_label="—")
        for name, label in FIELD_LABELS.items():
            setattr(
                Mapping, f"map_{name}", SelectField(label, choices=options, validate_choice=False)
            )
        return Mapping()

    def fill(self, mapping: dict[str, str]) -> None:
        for name in FIELD_LABELS:
            self[f"map_{name}"].data = mapping.get(name, "")

    def mapping(self) -> dict[str, str]:
        return {
            name: value
            for name in FIELD_LABELS
            if (value := self[f"map_{name}"].data) and value != str(NONE_CHOICE)
        }

    def show(self, problems: dict[str, dict[str, str]]) -> None:
        for name, message in problems.items():
            self[f"map_{name}"].errors = [label_text(message)]
