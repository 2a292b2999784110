"""Forms of the record pages: the review (approve / return with a comment), the correction
of a returned record, and the consent answer."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from ...forms import VersionedForm
from ...rules import CompiledActivity
from .review import COMMENT_LIMIT, FROM_THE_FIELD, REVIEW_ACTIONS


class ReviewForm(VersionedForm):
    action = HiddenField(validators=[AnyOf(REVIEW_ACTIONS)])
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=COMMENT_LIMIT)],
        description=_l("Required to return: say what to correct."),
    )
    back = HiddenField()  # where to go afterwards: the team's day or the record


class EditForm(VersionedForm):
    """The version of the record; the values are the form's own inputs (`posted_values`)."""


class ConsentForm(FlaskForm):
    purpose = HiddenField(validators=[DataRequired(), AnyOf(("check_in", "visit"))])
    answer = RadioField(
        _l("Your answer"),
        choices=[SelectChoice("yes", _l("I agree")), SelectChoice("no", _l("I do not agree"))],
        validators=[DataRequired()],
    )


class ConsentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or number"), validators=[Optional(), Length(max=120)])


def posted_values(activity: CompiledActivity, formdata: Any) -> dict[str, Any]:
    """The values a correction posted, one input per field named by its key (several for a
    multi-choice), as `rules.check_activity_values` reads them."""
    values: dict[str, Any] = {}
    for field in activity.fields:
        if field.type in FROM_THE_FIELD:
            continue
        if field.type == "multi_choice":
            values[field.key] = formdata.getlist(field.key)
        elif field.key in formdata:
            values[field.key] = formdata.get(field.key)
    return values
