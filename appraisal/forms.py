"""Helpers shared by the HTML forms of every area."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import DecimalField as _DecimalField
from wtforms import HiddenField, IntegerField, SubmitField, widgets
from wtforms import SelectField as _SelectField
from wtforms import SelectMultipleField as _SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from .concurrency import EditConflict, lost_updates
from .db import MAX_ID, get_session
from .errors import ServiceError
from .i18n import label_text
from .rules import to_decimal

NONE_CHOICE = 0

T = TypeVar("T")

REFUSED = 422  # a refusal the user can act on (bad input, a step not allowed now)
CONFLICT = 409  # someone else saved first (`EditConflict`)


@dataclass
class Outcome(Generic[T]):
    """What `attempt` came back with: the change's return value, or the refusal."""

    value: T | None = None
    error: ServiceError | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None

    @property
    def conflict(self) -> bool:
        return isinstance(self.error, EditConflict)

    @property
    def status(self) -> int:
        """The status to answer the page with: 200, 409 or 422."""
        if self.error is None:
            return 200
        return CONFLICT if self.conflict else REFUSED


def attempt(
    change: Callable[[], T],
    form: FlaskForm | None = None,
    row: Any = None,
    *,
    commit: bool = True,
    about: str | None = None,
    at: str | None = None,
    retry_at_flush: bool = False,
) -> Outcome[T]:
    """The one way an HTML view runs a change the user asked for.

    The change runs and is flushed (`lost_updates`: a concurrent save found at flush time
    is an `EditConflict` too), then committed unless `commit` is False (a dry run, or a view
    with more to do before its commit). When a service refuses (any `ServiceError`) the
    session is rolled back, so nothing is half-saved, and the refusal is shown: next to its
    field of `form` when it names one (with what was typed kept, since the form is rendered
    again from the request), else next to field `at` if given, otherwise flashed (prefixed
    with `about`, e.g. a person's name); someone else's save first also shows what `row`
    holds now under each field. The view answers `outcome.status`. With `retry_at_flush`, a
    conflict noticed only at flush time runs the change once more (for changes that compare
    every value they write)."""
    db = get_session()
    tries = 2 if retry_at_flush else 1
    for attempt_number in range(1, tries + 1):
        try:
            with lost_updates(db):
                value = change()
        except ServiceError as error:
            db.rollback()
            if attempt_number < tries and isinstance(error, EditConflict) and error.at_flush:
                continue
            show_service_error(form, error, row, about, at)
            return Outcome(error=error)
        if commit:
            db.commit()
        return Outcome(value)
    raise AssertionError("unreachable")  # pragma: no cover


def show_service_error(
    form: FlaskForm | None,
    error: ServiceError,
    row: Any = None,
    about: str | None = None,
    at: str | None = None,
) -> int:
    """Put a service's refusal next to its field (per-field messages in `error.errors` next
    to theirs), or at the top when it names none; returns the status to answer. Someone
    else's save first (`EditConflict`) is a 409 showing what `row` now holds under each
    field."""
    message = f"{about}: {error.message}" if about else error.message
    if isinstance(error, EditConflict):
        flash(message, "warning")
        if form is not None and row is not None:
            show_conflict(form, row)
        return CONFLICT
    per_field = getattr(error, "errors", None)
    if form is not None and isinstance(per_field, dict):
        for text in attach_errors(form, per_field):
            flash(text, "danger")
    field = error.field if form is not None and error.field in form else at
    if form is not None and field:
        form[field].errors = [*form[field].errors, error.message]
    else:
        flash(message, "danger")
    return REFUSED


def flash_form_errors(form: FlaskForm) -> None:
    """For a page that draws its inputs itself: each invalid field's message at the top,
    after the field's label (the page keeps what was typed)."""
    for name, messages in form.errors.items():
        label = form[name].label.text if name in form else name
        for message in messages:
            flash(f"{label}: {message}" if label else str(message), "danger")


def attach_errors(form: FlaskForm, errors: dict[str, Any]) -> list[str]:
    """Put per-field messages next to their fields; returns those that name no field."""
    rest = []
    for name, message in errors.items():
        text = label_text(message)
        if name in form:
            form[name].errors = [*form[name].errors, text]
        else:
            rest.append(text)
    return rest


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


def query_filters(form: FlaskForm) -> dict[str, Any]:
    """A filter form read from the query string: each field's value, or None where it is not
    valid (a date that is not a date, a code we do not know); the error stays on the field
    for the page to show, and the filter is not applied. Free text is cut to 200 characters."""
    form.validate()
    found: dict[str, Any] = {}
    for field in form:
        value = None if field.errors else field.data
        found[field.name] = value[:200] if isinstance(value, str) else value
    return found


def wanted(name: str, current: bool) -> bool:
    """The state a toggle button asked for (posted as 1 or 0), so a second click from a page
    opened before the first one does not flip the row back; a post without it flips."""
    value = request.form.get(name, type=int)
    return not current if value is None else bool(value)


def choices(pairs: Iterable[tuple[Any, Any]], none_label: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, optionally led by an empty choice."""
    options = [SelectChoice(NONE_CHOICE, none_label)] if none_label is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


# -- numbers a driver or a comparison would choke on are refused at their field, never a 500.


class Select(widgets.Select):
    """WTForms' select, a plain option drawn directly: the general attribute writer it
    calls for each option (sorting, escaping and formatting each attribute) made a 50-person
    picker a tenth of the appraisal page's time (0.55 ms; 0.17 ms so). The markup is the
    same."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if choice.render_kw or kwargs:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')  # noqa: S704 - escaped


class SelectField(_SelectField):
    """Every form's select (`Select`)."""

    widget = Select()


class SelectMultipleField(_SelectMultipleField):
    """Every form's multiple select (`Select`)."""

    widget = Select(multiple=True)


class DecimalField(_DecimalField):
    """WTForms' DecimalField refusing what is not a finite number a float holds ("NaN",
    "sNaN", "Infinity", "1e400"): a signalling NaN raises in every comparison and in
    `NumberRange`, and the definitions keep numbers as JSON floats. Forms use this one
    (tests/web/test_form_numbers.py keeps it so)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and to_decimal(self.data) is None:
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


def id_coerce(value: Any) -> int:
    """`coerce=` for a select of row ids: a whole number the database can hold (0 is the
    empty choice); anything else is "not a valid choice", never an overflow in the driver."""
    number = int(value)
    if not 0 <= number <= MAX_ID:
        raise ValueError(value)
    return number


def optional_id_coerce(value: Any) -> int | None:
    """`coerce=` for a select of row ids whose empty choice is None (posted as "" or
    "None"): otherwise as `id_coerce`."""
    return None if value in (None, "", "None") else id_coerce(value)


class IdField(IntegerField):
    """A row id posted by a page: a number outside what the database holds is not a
    valid value (the service then refuses at the field as for any unknown id)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not 0 < self.data <= MAX_ID:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


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


# -- one-line forms drawn by hand on a page: each post is read through one of these, so a
# value of the wrong kind is refused rather than dropped.


class PostedForm(FlaskForm):
    """A form whose page draws its inputs itself (errors are flashed, `typed` keeps them)."""


def version_field() -> Any:
    """The version of the row the page showed; a post without one states no expectation."""
    return IntegerField(_l("Version"), validators=[Optional()])


class VersionPost(PostedForm):
    """A button's post that carries only the version of the row the page showed."""

    version = version_field()
