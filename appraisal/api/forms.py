from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange


class TokenForm(FlaskForm):
    name = StringField(_l("What will use it"), validators=[DataRequired(), Length(max=80)])
    days = IntegerField(
        _l("Valid for (days)"),
        default=365,
        validators=[DataRequired(), NumberRange(min=1, max=730)],
    )
    submit = SubmitField(_l("Create token"))
