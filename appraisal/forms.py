"""Helpers shared by the HTML forms of every area."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from .errors import ServiceError

NONE_CHOICE = 0


def show_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal next to its field, or at the top when it names none."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(error.message, "danger")


def optional_id(value: int | None) -> int | None:
    return value or None
