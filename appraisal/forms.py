"""Helpers shared by the HTML forms of every area."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from .errors import ServiceError

NONE_CHOICE = 0


def show_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal next to its field, or at the top when it names none."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(error.message, "danger")


def choices(pairs: Iterable[tuple[Any, Any]], none_label: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs, optionally led by an empty choice."""
    options = [SelectChoice(NONE_CHOICE, none_label)] if none_label is not None else []
    return options + [SelectChoice(value, label) for value, label in pairs]


def optional_id(value: int | None) -> int | None:
    return value or None
