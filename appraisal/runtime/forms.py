"""HTML forms of the runtime: schemes, cycles, invitations, reopening, and the review and
target forms generated from a template version for one role."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import VersionedForm, choices
from ..i18n import label_text
from ..labels import label_choices
from .render import Field

MAX_TEXT = 4000


class SchemeForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    template_version_id = SelectField(_l("Template version"), coerce=int)
    staff_kind = SelectField(_l("Staff kind"), choices=choices(label_choices("staff_kind")))
    period = SelectField(_l("Period"), choices=choices(label_choices("period")), default="quarter")
    department_ids = SelectMultipleField(_l("Departments (none: all)"), coerce=int)
    position_ids = SelectMultipleField(_l("Positions (none: all)"), coerce=int)
    skip_self_review_without_sign_in = BooleanField(
        _l("Skip the self-review for people without a sign-in"),
        description=_l("Otherwise HR or their manager writes it on their behalf."),
    )
    submit = SubmitField(_l("Save"))


class CycleForm(FlaskForm):
    scheme_id = SelectField(_l("Scheme"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    starts_on = DateField(_l("Period starts"), validators=[DataRequired()])
    ends_on = DateField(_l("Period ends"), validators=[DataRequired()])
    goals_due = DateField(_l("Goals due"), validators=[Optional()])
    self_review_due = DateField(_l("Self-reviews due"), validators=[Optional()])
    manager_review_due = DateField(_l("Manager reviews due"), validators=[Optional()])
    anonymity_threshold = IntegerField(
        _l("Peer responses needed before the employee sees them"),
        default=3,
        validators=[DataRequired(), NumberRange(min=1, max=20)],
    )
    submit = SubmitField(_l("Create and preview"))


class InviteForm(FlaskForm):
    rater = SelectField(_l("As"), choices=choices(label_choices("rater", ("peer", "subordinate"))))
    user_id = SelectField(_l("Person"), coerce=int)
    submit = SubmitField(_l("Invite"))


class ReopenForm(FlaskForm):
    to = SelectField(_l("Back to step"))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Reopen"))


def _input(f: Field) -> Any:
    label = label_text(f.label) + (f" ({f.unit})" if f.unit else "")
    if f.options or f.kind == "bool":
        options = (
            [(str(v), f"{v} · {label_text(text)}") for v, text in f.options]
            if f.options
            else [("true", _l("yes")), ("false", _l("no"))]
        )
        if f.allow_na:
            options.append(("n/a", _l("not applicable")))
        return SelectField(label, choices=choices([("", "—"), *options]), validate_choice=False)
    if f.kind == "text":
        return TextAreaField(label, validators=[Length(max=MAX_TEXT)])
    kw = {"inputmode": "decimal"} if f.kind == "number" else {}
    if f.kind == "date":
        kw = {"type": "date"}
    return StringField(label, render_kw=kw)


def review_form(
    fields: list[Field], values: dict[str, Any] | None = None, **kwargs: Any
) -> FlaskForm:
    """A form with exactly the given inputs, named `rater.key`, filled from saved `values`
    unless the request carries its own."""

    class ReviewForm(FlaskForm):
        version = HiddenField()

    for f in fields:
        setattr(ReviewForm, f.name, _input(f))
    data = {f.name: _shown(values.get(f.key)) for f in fields if values and f.key in values}
    return ReviewForm(data=data, **kwargs)


def _shown(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def attach_errors(form: FlaskForm, errors: dict[str, Any]) -> list[str]:
    """Put per-field messages next to their fields; returns those that name no field."""
    rest = []
    for name, message in errors.items():
        text = label_text(message)
        if name in form:
            form[name].errors = [*form[name].errors, text]
        else:
            rest.append(text)
    return rest
