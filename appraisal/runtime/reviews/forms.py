"""HTML forms of an appraisal's pages: invitations, reopening, workflow actions, and the
review and target forms generated from a template version for one role."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...forms import PostedForm, SelectField, choices, id_coerce, version_field
from ...i18n import label_text
from ...labels import label_choices
from ..render import MAX_TEXT, Field


class InviteForm(FlaskForm):
    rater = SelectField(_l("As"), choices=choices(label_choices("rater", ("peer", "subordinate"))))
    user_id = SelectField(_l("Person"), coerce=id_coerce)
    submit = SubmitField(_l("Invite"))


class ReopenForm(FlaskForm):
    to = SelectField(_l("Back to step"), default="")
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=1000)]
    )
    submit = SubmitField(_l("Reopen"))


class ActionForm(PostedForm):
    action = StringField(default="")
    version = version_field()


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
