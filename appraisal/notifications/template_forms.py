"""The forms of HR's notification pages: a kind's words in one language (previewed, then
saved) and the delivery log's filters. What the words may hold is `setup.check_words`'s to
say (one place for the page and any other door), so the fields only carry text."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ..forms import SelectField, VersionedForm
from ..labels import label_choices


class TemplateForm(VersionedForm):
    subject = StringField(_l("Subject"))
    body = TextAreaField(_l("Message"), render_kw={"rows": 6})
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))


class LogFilterForm(FlaskForm):
    """The log's filters, read from the query string (a GET: no CSRF token)."""

    class Meta:
        csrf = False

    person = StringField(_l("Person or robot"))
    channel = SelectField(_l("Channel"), default="")
    status = SelectField(_l("Status"), default="")
    kind = SelectField(_l("Kind"), default="")
    since = DateField(_l("First day"), validators=[Optional()])
    until = DateField(_l("Last day"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _l("All"))]
        self.channel.choices = every + label_choices("channel")
        self.status.choices = every + label_choices("delivery_status")
        self.kind.choices = every + label_choices("notification_kind")
