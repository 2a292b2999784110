"""Forms of the business-event pages: the held-people mapping, the import's upload and its
column mapping (source and how the person column refers to people)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ...forms import ColumnMappingForm, SelectField, UploadForm, choices
from ...i18n import label_text
from ...rules import EVENT_KINDS
from . import events

#: What a file's person column may hold (`events.PERSON_KINDS`), in words.
PERSON_KIND_LABELS = {
    "employee_number": _l("Employee number"),
    "email": _l("E-mail"),
    "user_id": _l("That system's user id"),
}
PERSON_KINDS = [(kind, PERSON_KIND_LABELS[kind]) for kind in events.PERSON_KINDS]
SOURCE_HELP = _l("The system the file comes from, e.g. crm: letters a–z, digits, - _ .")


def kind_choices() -> list[tuple[str, str]]:
    return [(key, label_text(kind.name)) for key, kind in EVENT_KINDS.items()]


class MapPersonForm(FlaskForm):
    """Who a held reference is, by employee number (typed, or picked from the search)."""

    source = HiddenField()
    ref = HiddenField()
    employee_number = StringField(
        _l("Employee number"),
        validators=[DataRequired(_l("Type the employee number.")), Length(max=40)],
    )
    submit = SubmitField(_l("Map and count the events"))


class EventUploadForm(UploadForm):
    kind = SelectField(_l("Kind of event"), choices=[])
    source = StringField(
        _l("Source system"),
        validators=[DataRequired(_l("Name the source system.")), Length(max=40)],
        description=SOURCE_HELP,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(kind_choices())


class EventMappingForm(ColumnMappingForm):
    """The column mapping, plus the source and what the person column holds."""

    source = StringField(
        _l("Source system"),
        validators=[DataRequired(_l("Name the source system.")), Length(max=40)],
        description=SOURCE_HELP,
    )
    person_kind = SelectField(_l("The person column holds"), choices=choices(PERSON_KINDS))
