"""Language choice: the user's preference, else the session's, else the browser's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import babel

ROLE_LABELS = {
    "admin": _l("HR admin"),
    "implementer": _l("Implementer"),
    "manager": _l("Manager"),
    "employee": _l("Employee"),
}
STAFF_KIND_LABELS = {"office": _l("Office staff"), "field": _l("Field staff")}
EMPLOYEE_STATUS_LABELS = {"active": _l("Active"), "left": _l("Left")}
RATER_LABELS = {
    "data": _l("Imported data"),
    "self": _l("Self"),
    "manager": _l("Manager"),
    "peer": _l("Peer"),
    "subordinate": _l("Subordinate"),
    "hr": _l("HR"),
    "targets": _l("Targets"),
}

STATE_LABELS = {
    "planning": _l("Planning"),
    "running": _l("Running"),
    "calibration": _l("Calibration"),
    "published": _l("Published"),
    "closed": _l("Closed"),
    "goal_setting": _l("Goal setting"),
    "self_review": _l("Self-review"),
    "manager_review": _l("Manager review"),
    "acknowledged": _l("Acknowledged"),
}


def state_label(key: str) -> str:
    """A cycle or appraisal state in the user's language."""
    return str(STATE_LABELS.get(key, key))


def rater_label(key: str) -> str:
    """`peer2` → "Peer 2"; a known rater in the user's language."""
    base = key.rstrip("0123456789")
    number = key[len(base) :]
    text = str(RATER_LABELS.get(base, base))
    return f"{text} {number}" if number else text


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("language") in languages:
        return session["language"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def label_text(value: object) -> str:
    """A definition label (`"text"` or `{"en": …, "zh": …}`) in the current language."""
    if isinstance(value, dict):
        language = str(get_locale() or "zh")
        return value.get(language) or value.get("zh") or value.get("en") or ""
    return "" if value is None else str(value)


PLACES = ("items", "adjustments", "outputs", "sections")


def input_label(names: Mapping[str, Any], where: str) -> str:
    """A missing input or a problem's place (`data.sales`, `items.sales.visible_if`) as a
    person reads it: "销售额 (导入数据)" / "Sales (Imported data)", never the raw key."""
    head, _dot, rest = where.partition(".")
    key = rest.split(".", 1)[0]
    if head in RATER_LABELS and key:
        return f"{label_text(names.get(key, key))} ({rater_label(head)})"
    if head in PLACES and key:
        return label_text(names.get(key, key))
    return where


def working(entry: dict) -> str:
    """The engine's explanation of a score (`how`) in the current language."""
    if str(get_locale() or "zh") == "zh" and entry.get("how_zh"):
        return entry["how_zh"]
    return entry.get("how", "")


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        get_locale=get_locale,
        label_text=label_text,
        working=working,
        rater_label=rater_label,
        input_label=input_label,
        state_label=state_label,
        role_label=lambda key: ROLE_LABELS.get(key, key),
        staff_kind_label=lambda key: STAFF_KIND_LABELS.get(key, key),
        employee_status_label=lambda key: EMPLOYEE_STATUS_LABELS.get(key, key),
    )
