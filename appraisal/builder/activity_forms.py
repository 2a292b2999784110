"""The builder's forms for activity types: each input is a part of the `activity/1`
definition (`activity_draft` turns them into it); the rules check the meaning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import DecimalField, SelectField, VersionedForm, choices
from ..labels import label_choices
from ..rules import ACTIVITY_KINDS, FIELD_TYPES, LOCATION_PURPOSES, MAX_SOURCE
from .forms import CheckboxesField

KIND_CHOICES = choices(label_choices("activity_kind", ACTIVITY_KINDS))
TYPE_CHOICES = choices(label_choices("field_type", FIELD_TYPES))
PURPOSE_CHOICES = choices(label_choices("location_purpose", LOCATION_PURPOSES))
REQUIRED_CHOICES = choices(label_choices("required_mode"))
STAFF_CHOICES = choices(label_choices("staff_kind", ("office", "field")))


class NewActivityTypeForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("a–z, 0–9, _ or -, unique in the organization"),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default="other")
    submit = SubmitField(_l("Create"))


class ActivitySettingsForm(VersionedForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    description_zh = TextAreaField(
        _l("Description (Chinese)"), validators=[Optional(), Length(max=1000)]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), Length(max=1000)]
    )
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    review = BooleanField(_l("A manager reviews each record"))
    staff = CheckboxesField(
        _l("Staff kinds"),
        choices=STAFF_CHOICES,
        description=_l("None ticked: everyone may record it."),
    )
    positions = CheckboxesField(_l("Positions"), choices=[], validate_choice=False)
    departments = CheckboxesField(
        _l("Departments"),
        choices=[],
        validate_choice=False,
        description=_l("A department includes every department under it."),
    )
    submit = SubmitField(_l("Save settings"))


class ActivityFieldForm(VersionedForm):
    key = StringField(
        _l("Key"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("a–z, 0–9, _ or -; conditions of later fields use it"),
    )
    label_zh = StringField(_l("Label (Chinese)"), validators=[DataRequired(), Length(max=200)])
    label_en = StringField(_l("Label (English)"), validators=[Optional(), Length(max=200)])
    type = SelectField(_l("Type"), choices=TYPE_CHOICES)
    help_zh = StringField(_l("Help text (Chinese)"), validators=[Optional(), Length(max=500)])
    help_en = StringField(_l("Help text (English)"), validators=[Optional(), Length(max=500)])
    required = SelectField(_l("Required"), choices=REQUIRED_CHOICES, default="never")
    required_if = StringField(
        _l("Required when"),
        validators=[Optional(), Length(max=MAX_SOURCE)],
        description=_l("A condition on the fields above, e.g. purpose == 'collect'"),
    )
    visible_if = StringField(
        _l("Shown only when"),
        validators=[Optional(), Length(max=MAX_SOURCE)],
        description=_l("A condition on the fields above; empty: always shown"),
    )
    options = TextAreaField(
        _l("Options (choice fields)"),
        validators=[Optional(), Length(max=5000)],
        description=_l("One per line: a key, then the label, e.g. “demo 产品演示 / Demo”."),
    )
    min = DecimalField(_l("Minimum (numbers, money)"), places=None, validators=[Optional()])
    max = DecimalField(_l("Maximum (numbers, money)"), places=None, validators=[Optional()])
    max_photos = IntegerField(
        _l("At most this many photos"), validators=[Optional(), NumberRange(min=1, max=10)]
    )
    keep_location = BooleanField(_l("Keep the location stored in the photo"))
    purpose = SelectField(_l("Location purpose"), choices=PURPOSE_CHOICES, default="visit")
    submit = SubmitField(_l("Save field"))


class ActivityImportForm(FlaskForm):
    file = FileField(_l("Activity form file (JSON)"), validators=[FileRequired()])
    as_copy = BooleanField(_l("Import as a copy when the key exists"))
    submit = SubmitField(_l("Import"))
