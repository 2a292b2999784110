"""Language choice: the user's preference, else the session's, else the browser's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import force_locale, get_locale
from flask_login import current_user

from . import labels
from .extensions import babel


def state_label(key: str) -> str:
    """A cycle or appraisal state in the user's language."""
    return labels.label(key, "state")


def rater_label(key: str) -> str:
    """`peer2` → "Peer 2"; a known rater in the user's language."""
    base = key.rstrip("0123456789")
    number = key[len(base) :]
    text = labels.label(base, "rater")
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


def in_each_language(text: Any) -> dict[str, str]:
    """A catalogue message as a template label in every language the app speaks (for
    template content the builder writes, such as a written-feedback item's name)."""
    found = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            found[language] = str(text)
    return found


PLACES = ("items", "adjustments", "outputs", "sections")


def input_label(names: Mapping[str, Any], where: str) -> str:
    """A missing input or a problem's place (`data.sales`, `items.sales.visible_if`) as a
    person reads it: "销售额 (导入数据)" / "Sales (Imported data)", never the raw key."""
    head, _dot, rest = where.partition(".")
    key = rest.split(".", 1)[0]
    if head in labels.RATER and key:
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
        role_label=lambda key: labels.label(key, "role"),
        staff_kind_label=lambda key: labels.label(key, "staff_kind"),
        employee_status_label=lambda key: labels.label(key, "employee_status"),
        label_choices=labels.label_choices,
    )
    app.jinja_env.filters["label"] = labels.label
