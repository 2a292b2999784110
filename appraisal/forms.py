"""Helpers shared by the HTML forms of every area."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from .concurrency import EditConflict
from .errors import ServiceError
from .i18n import label_text

NONE_CHOICE = 0


def show_service_error(form: FlaskForm, error: ServiceError, row: Any = None) -> int:
    """Put a service's refusal next to its field, or at the top when it names none; returns
    the status to answer. Someone else's save first (`EditConflict`) is a 409 showing what
    `row` now holds under each field."""
    if isinstance(error, EditConflict):
        flash(error.message, "warning")
        if row is not None:
            show_conflict(form, row)
        return 409
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(error.message, "danger")
    return 422


class VersionedForm(FlaskForm):
    """An edit form that posts the version of the row it showed (filled from `obj`), so a save
    from a page opened before someone else's is refused rather than silently reverting it."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        """What the page showed; None for a new row (or a post without one)."""
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


def show_conflict(form: FlaskForm, row: Any) -> None:
    """After a refused save: keep what was typed, show under each field what is saved now,
    and take the row's current version, so saving again overwrites it knowingly."""
    for field in form:
        if field.name in ("csrf_token", "submit", "version") or not hasattr(row, field.name):
            continue
        saved = f"{gettext('Saved meanwhile:')} {_shown(field, getattr(row, field.name))}"
        field.description = f"{field.description} · {saved}" if field.description else saved
    if "version" in form:
        form["version"].data = str(row.version)


def _shown(field: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    for choice in getattr(field, "choices", None) or []:
        key, label = (
            (choice.value, choice.label) if isinstance(choice, SelectChoice) else choice[:2]
        )
        if str(key) == str(value):
            return str(label)
    return str(value)


def wanted(name: str, current: bool) -> bool:
    """The state a toggle button asked for (posted as 1 or 0), so a second click from a page
    opened before the first one does not flip the row back; a post without it flips."""
    value = request.form.get(name, type=int)
    return not current if value is None else bool(value)


def choices(pairs: Iterable[tuple[Any, Any]], none_label: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, optionally led by an empty choice."""
    options = [SelectChoice(NONE_CHOICE, none_label)] if none_label is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


def optional_id(value: int | None) -> int | None:
    return value or None


class ColumnMappingForm(FlaskForm):
    """One select per field of ours (`map_<name>`), offering a file's columns."""

    names: tuple[str, ...] = ()

    @classmethod
    def build(cls, fields: list[tuple[str, Any]], header: list[str]) -> ColumnMappingForm:
        class Mapping(cls):
            names = tuple(name for name, _label in fields)

        options = choices([(column, column) for column in header], none_label="—")
        for name, label in fields:
            text = label_text(label) if isinstance(label, dict) else label
            setattr(
                Mapping, f"map_{name}", SelectField(text, choices=options, validate_choice=False)
            )
        return Mapping()

    def fill(self, mapping: dict[str, str]) -> None:
        for name in self.names:
            self[f"map_{name}"].data = mapping.get(name, "")

    def mapping(self) -> dict[str, str]:
        return {
            name: value
            for name in self.names
            if (value := self[f"map_{name}"].data) and value != str(NONE_CHOICE)
        }

    def show(self, problems: dict[str, Any]) -> None:
        for name, message in problems.items():
            self[f"map_{name}"].errors = [label_text(message)]


#: The encodings of `uploads.ENCODINGS`, as the user reads them.
ENCODING_CHOICES = [
    ("utf-8", "UTF-8"),
    ("gbk", "GBK / GB18030"),
    ("latin-1", _l("Western European (Windows-1252 / Latin-1)")),
    ("utf-16", "UTF-16"),
]


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt", "xlsx"], _l("Use a .csv or .xlsx file.")),
        ],
    )
    encoding = SelectField(
        _l("Text encoding (CSV)"),
        choices=choices([("auto", _l("Detect")), *ENCODING_CHOICES]),
        default="auto",
    )
    submit = SubmitField(_l("Upload"))


class EncodingForm(FlaskForm):
    """On the mapping step of a CSV import: read the file again in another encoding."""

    encoding = SelectField(_l("Text encoding"), choices=choices(ENCODING_CHOICES))
    read_again = SubmitField(_l("Read the file again"))
