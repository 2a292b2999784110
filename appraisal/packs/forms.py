"""The form of the new-organization wizard."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class NewOrganizationForm(FlaskForm):
    pack = RadioField(_l("Industry pack"), validators=[DataRequired()])
    name = StringField(_l("Organization name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name (for sign-ins and links)"), validators=[DataRequired(), Length(max=40)]
    )
    with_demo = BooleanField(_l("Add the pack's demo people and a cycle in progress"))
    submit = SubmitField(_l("Create the organization"))
