"""Language choice (pages: the user's preference, else the session's, else the browser's;
the JSON API: the client's `Accept-Language`, else the token holder's, else English) and the
one way services word messages: gettext through the catalogue, resolved when shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import LazyString, force_locale, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import labels
from .api.spec import PREFIX as API_PREFIX
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
    if request.path.startswith(API_PREFIX + "/"):
        return _api_locale(languages)
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("language") in languages:
        return session["language"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def _api_locale(languages: list[str]) -> str:
    """A script states its language with `Accept-Language`; without one, the token holder's
    saved language; else English, the language of API clients and their logs. Never the
    session cookie: a token, not a browser, is talking."""
    if request.headers.get("Accept-Language", "").strip():
        chosen = request.accept_languages.best_match(languages)
        if chosen:
            return chosen
    holder = g.get("api")
    language = holder.membership.user.language if holder is not None else None
    return language if language in languages else "en"


def in_language(en: str, zh: str) -> LazyString:
    """A message that comes in both languages (the pure `rules` engine's typed errors), shown
    in the reader's language like every catalogue message."""
    return LazyString(_pick, en, zh)


def _pick(en: str, zh: str) -> str:
    return zh if labels.current_language() == "zh" else en


#: marshmallow's own (English) messages, through the catalogue. Exact texts first, then the
#: formatted ones, whose numbers and choices are carried over.
_SCHEMA_TEXTS = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Invalid input.": _l("Invalid value."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input type.": _l("Invalid type."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid date and time."),
    "Not a valid mapping type.": _l("Not a valid object."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Special numeric values (nan or infinity) are not permitted.": _l(
        "Not a number (NaN or infinity)."
    ),
    "String does not match expected pattern.": _l("Not in the expected format."),
}
_SCHEMA_PATTERNS = [
    (
        re.compile(
            r"Must be greater than or equal to (?P<min>\S+) and less than or equal to "
            r"(?P<max>\S+)\."
        ),
        _l("Must be between %(min)s and %(max)s."),
    ),
    (
        re.compile(r"Must be greater than or equal to (?P<min>\S+)\."),
        _l("Must be at least %(min)s."),
    ),
    (re.compile(r"Must be less than or equal to (?P<max>\S+)\."), _l("Must be at most %(max)s.")),
    (
        re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\."),
        _l("Length must be between %(min)s and %(max)s."),
    ),
    (re.compile(r"Shorter than minimum length (?P<min>\d+)\."), _l("At least %(min)s long.")),
    (re.compile(r"Longer than maximum length (?P<max>\d+)\."), _l("At most %(max)s long.")),
    (re.compile(r"Must be one of: (?P<choices>.*)\."), _l("Must be one of: %(choices)s.")),
]


def schema_message(message: object) -> str:
    """A marshmallow message in the reader's language (ours are catalogue strings already;
    an unknown English one is kept as it is, and the API language test then catches it)."""
    text = str(message)
    known = _SCHEMA_TEXTS.get(text)
    if known is not None:
        return str(known)
    for pattern, words in _SCHEMA_PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return str(words) % found.groupdict()
    return text


def label_text(value: object) -> str:
    """A definition label (`"text"` or `{"en": …, "zh": …}`) in the current language."""
    if isinstance(value, dict):
        language = labels.current_language()
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
    if labels.current_language() == "zh" and entry.get("how_zh"):
        return entry["how_zh"]
    return entry.get("how", "")


def translations() -> NullTranslations:
    """The catalogue of the current locale, found once per request (or app context) and
    locale: a page's templates translate dozens of texts, and Flask-Babel finds the
    catalogue again for each (about 11 µs, a hundred times the lookup in it). Keyed by the
    locale itself, so `force_locale` and a refreshed locale find theirs."""
    if not has_app_context():
        return get_translations()
    locale = labels.reader_locale()
    found = g.get("_translations")
    if found is None or found[0] is not locale:
        found = g._translations = (locale, get_translations())
    return found[1]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # Templates translate through the catalogue found once per request (`translations`).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
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
