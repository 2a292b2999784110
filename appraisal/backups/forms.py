"""The backups page's forms: a backup now (optionally with a passphrase), the schedule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional

from ..forms import SelectField
from ..models import BackupEvery

EVERY = [
    SelectChoice(BackupEvery.NEVER.value, _l("Not scheduled")),
    SelectChoice(BackupEvery.DAILY.value, _l("Every day")),
    SelectChoice(BackupEvery.WEEKLY.value, _l("Every week")),
]


class BackupForm(FlaskForm):
    passphrase = PasswordField(
        _l("Passphrase (optional)"),
        validators=[Optional(), Length(min=12, max=200, message=_l("At least 12 characters."))],
        description=_l(
            "Encrypts the backup. It is not kept anywhere: without it the backup cannot be read."
        ),
    )
    confirm = PasswordField(
        _l("Passphrase again"),
        validators=[EqualTo("passphrase", _l("The two passphrases differ."))],
    )
    submit = SubmitField(_l("Make a backup now"))


class ScheduleForm(FlaskForm):
    every = SelectField(_l("Scheduled backups"), choices=EVERY)
    keep = IntegerField(
        _l("Keep the newest"),
        validators=[
            InputRequired(_l("How many scheduled backups to keep.")),
            NumberRange(1, 365, _l("Between 1 and 365.")),
        ],
    )
    save = SubmitField(_l("Save the schedule"))
