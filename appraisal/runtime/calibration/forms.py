"""HTML forms of the calibration page: quotas, overrides and publication, each post read
through one so a value of the wrong kind is refused rather than dropped."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from ...forms import IdField, PostedForm, version_field


class QuotasForm(PostedForm):
    quotas = TextAreaField(_l("Forced distribution quotas, one a line"), default="")
    two_level = BooleanField(
        _l("Two levels: department heads propose grades in their departments, then HR decides")
    )
    version = version_field()


class OverrideForm(PostedForm):
    grade = StringField(_l("Grade"), default="")
    reason = TextAreaField(_l("Reason"), default="")
    version = version_field()


class PublishForm(PostedForm):
    department_id = IdField(_l("Department"), validators=[Optional()])
