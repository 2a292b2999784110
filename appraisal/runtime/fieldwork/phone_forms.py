"""The record form, built from a compiled activity type: one WTForms field per form field,
named by its key, from one conversion table (what each field type posts and how it is read
back into the values `rules.check_activity_values` reads). The page draws the inputs
itself (`runtime/_field_input.html`), so each sits in its `data-field` wrapper.

Checking the values is the rules' job alone: the fields here only carry what was typed,
so a form post and a sync from the outbox are judged by the same code.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.fields.core import Field

from ...forms import SelectMultipleField
from ...i18n import label_text
from ...rules import ActivityField, CompiledActivity
from .records import UUID


class RecordForm(FlaskForm):
    """`record_uuid` (posted as `record.uuid`, which no field key can be): made when the form
    is first shown, so posting it twice (a double tap, Back and post again) stores one
    record. The form's own fields are attributes `f<index>` named by their keys, so a key
    such as `data` or `meta` never shadows a form attribute."""

    record_uuid = HiddenField(name="record.uuid")

    def input(self, key: str) -> Field:
        return self._by_key[key]


class ManyValues(SelectMultipleField):
    """Every value posted under the name, unchecked (the rules check them)."""

    def pre_validate(self, form: Any) -> None:
        return None


def _one(field: ActivityField) -> Field:
    return StringField(field.key, name=field.key, default="")


def _long(field: ActivityField) -> Field:
    return TextAreaField(field.key, name=field.key, default="")


def _many(field: ActivityField) -> Field:
    return ManyValues(field.key, name=field.key, choices=[], default=[], validate_choice=False)


def _as_is(value: Any) -> Any:
    return value


def _photos(values: Any) -> Any:
    """Photos are uploaded by the app before the record; a page posted without it sends
    the chosen files' names instead, which are not photo ids: say so at the field."""
    return [v for v in values or [] if v]


def _position(text: Any) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # the rules say it is not a position


@dataclass(frozen=True)
class Converter:
    field: Callable[[ActivityField], Field]
    read: Callable[[Any], Any] = _as_is


#: Field type → the input that carries it and how its posted data becomes a value.
CONVERTERS: dict[str, Converter] = {
    "text": Converter(_one),
    "long_text": Converter(_long),
    "number": Converter(_one),
    "money": Converter(_one),
    "date": Converter(_one),
    "datetime": Converter(_one),
    "choice": Converter(_one),
    "multi_choice": Converter(_many),
    "yes_no": Converter(_one),
    "customer": Converter(_one),
    "photos": Converter(_many, _photos),
    "location": Converter(_one, _position),
}

#: How a number is typed on a phone: the keyboard each input asks for.
INPUT_MODES = {"number": "decimal", "money": "decimal"}
NO_SCRIPT_PHOTOS = _l(
    "Photos are sent by the app: open this page with JavaScript on, or record without photos."
)


def record_form(activity: CompiledActivity, **kwargs: Any) -> RecordForm:
    """A form for `activity`, bound to the request's post (or to `kwargs` for a new one)."""
    attrs = {f"f{i}": CONVERTERS[f.type].field(f) for i, f in enumerate(activity.fields)}
    form_class = type("ActivityRecordForm", (RecordForm,), attrs)
    form = form_class(**kwargs)
    form._by_key = {form[f"f{i}"].name: form[f"f{i}"] for i in range(len(activity.fields))}
    if not form.record_uuid.data:
        form.record_uuid.data = str(uuid_module.uuid4())
    return form


def posted_values(form: RecordForm, activity: CompiledActivity) -> dict[str, Any]:
    """The values as `rules.check_activity_values` reads them."""
    return {f.key: CONVERTERS[f.type].read(form.input(f.key).data) for f in activity.fields}


def attach(form: RecordForm, errors: dict[str, Any]) -> list[str]:
    """Put per-field messages next to their inputs; returns those that name no field."""
    rest = []
    for key, message in errors.items():
        text = label_text(message)
        if key in form._by_key:
            field = form.input(key)
            field.errors = [*field.errors, text]
        else:
            rest.append(text)
    return rest


def photo_names_posted(form: RecordForm, activity: CompiledActivity) -> dict[str, Any]:
    """The photos fields posted with file names rather than uploaded photo ids (a page
    without JavaScript): their message, by field."""
    found = {}
    for item in activity.fields:
        posted = [v for v in form.input(item.key).data or [] if v]
        if item.type == "photos" and any(not UUID.fullmatch(str(v).lower()) for v in posted):
            found[item.key] = NO_SCRIPT_PHOTOS
    return found
