"""The HTML form of HR's override of a computed figure."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from ...forms import PostedForm, version_field


class OverrideForm(PostedForm):
    """A new value (blank: use the computed one again) and why; the service checks both."""

    value = StringField(_l("Value to use instead (blank: the computed value)"), default="")
    reason = TextAreaField(_l("Reason"), default="")
    version = version_field()
