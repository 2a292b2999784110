"""The request boundary: what no view should ever see is refused here, once for every route.

- Control characters (C0, and lone UTF-16 surrogates from JSON `\\ud800` escapes) in query
  parameters, form fields, JSON strings and path parts. PostgreSQL refuses NUL in text (a 500
  before), XLSX cannot hold most of them, and nobody types them; tab and line breaks stay
  allowed in form fields and JSON strings, where multi-line text is legitimate.
- JSON nested deeper than `MAX_JSON_DEPTH`, counted *before* parsing: Python's parser
  recurses and fails with RecursionError (a 500) near 1,000 levels.
- JSON bodies larger than `API_MAX_JSON_BYTES`, or than a view's own `max_json_bytes`.

The checks themselves are pure functions, also used for JSON files (template uploads, the
command line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

MAX_JSON_DEPTH = 64

_LINE_CONTROL = re.compile(r"[\x00-\x1f\ud800-\udfff]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")  # tab, LF, CR allowed
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# Raw control characters are already invalid JSON; only escapes can smuggle them in.
_JSON_ESCAPE = re.compile(r"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2})")

F = TypeVar("F", bound=Callable[..., Any])


def bad_text(text: str, *, multiline: bool = True) -> str | None:
    """The first character `text` may not hold, or None. `multiline` allows tab and line
    breaks (text areas, descriptions); single-line values (query parameters, keys) refuse
    every control character."""
    found = (_TEXT_CONTROL if multiline else _LINE_CONTROL).search(text)
    return found.group() if found else None


def describe(char: str) -> str:
    """`U+0000` for a refused character: it cannot be shown as itself."""
    return f"U+{ord(char):04X}"


class JsonRefused(ValueError):
    """JSON that is well formed but refused: too deep, or a string with a control character
    (`path` says which, `char` which character)."""

    def __init__(self, message: str, path: str = "", char: str = "") -> None:
        super().__init__(message)
        self.message, self.path, self.char = message, path, char


def json_depth(text: str) -> int:
    """How deeply `text` nests arrays and objects, counted without parsing (no recursion)."""
    brackets = _JSON_BRACKET.findall(_JSON_STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    if json_depth(text) > limit:
        raise JsonRefused(f"JSON may be nested at most {limit} levels deep.")


def _strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every key and string in parsed JSON with its path (`employees[0].name`)."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, key
            yield from _strings(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, f"{path}[{index}]")


def check_json_strings(text: str, data: Any) -> None:
    """Refuse the first JSON string (or key) holding a control character other than tab and
    line breaks; `text` is the raw JSON, so the walk only happens when an escape is in it."""
    if not _JSON_ESCAPE.search(text):
        return
    for path, value in _strings(data):
        char = bad_text(value)
        if char:
            raise JsonRefused(
                f"Text may not contain control characters ({describe(char)} found).", path, char
            )


def load_json(text: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` that refuses deep nesting before parsing and control characters after
    (JsonRefused); malformed JSON raises json.JSONDecodeError as usual."""
    check_json_depth(text, limit)
    data = json.loads(text)
    check_json_strings(text, data)
    return data


# -- the request hook -------------------------------------------------------------------------


def max_json_bytes(limit: int) -> Callable[[F], F]:
    """Give one view a smaller JSON body limit than `API_MAX_JSON_BYTES` (templates)."""

    def mark(view: F) -> F:
        view.max_json_bytes = limit  # type: ignore[attr-defined]
        return view

    return mark


class InputRefused(BadRequest):
    """A 400 naming what was refused: the API's envelope shows `description` and `details`
    (English, like the rest of the API); pages show `page_message` in the user's language."""

    def __init__(self, description: str, page_message: Any, code: str, details: list) -> None:
        super().__init__(description)
        self.page_message, self.api_code, self.details = page_message, code, details


def _refuse_text(where: str, name: str, char: str) -> InputRefused:
    path = f"{where}.{name}" if where else name
    return InputRefused(
        "The request contains a control character; nothing was done.",
        _l(
            "The field “%(field)s” contains an invisible control character (%(char)s), perhaps "
            "copied from another program. Remove it and try again; nothing was saved.",
            field=name,
            char=describe(char),
        ),
        "invalid",
        [{"path": path, "message": f"control characters are not allowed ({describe(char)})"}],
    )


def _check_json_body() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_json_bytes", None) or current_app.config["API_MAX_JSON_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The body may be at most {limit:,} bytes.")
    request.max_content_length = limit
    text = request.get_data(as_text=True)
    try:
        check_json_depth(text)
    except JsonRefused as refused:
        raise InputRefused(
            refused.message, _l("The data is nested too deeply."), "bad_request", []
        ) from None
    data = request.get_json(silent=True)  # cached for the view; malformed JSON is its business
    try:
        check_json_strings(text, data)
    except JsonRefused as refused:
        raise InputRefused(
            "The body contains a control character; nothing was done.",
            _l("The data contains an invisible control character; nothing was saved."),
            "invalid",
            [{"path": refused.path, "message": refused.message}],
        ) from None


def check_request() -> None:
    """Refuse control characters in the path, the query, form fields and JSON bodies."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and bad_text(value, multiline=False):
            abort(404)
    for name, value in request.args.items(multi=True):
        char = bad_text(name, multiline=False) or bad_text(value, multiline=False)
        if char:
            raise _refuse_text("query", name, char)
    if request.is_json:
        _check_json_body()
    elif request.method in ("POST", "PUT", "PATCH", "DELETE"):
        for name, value in request.form.items(multi=True):
            char = bad_text(name, multiline=False) or bad_text(value)
            if char:
                raise _refuse_text("", name, char)


def init_app(app: Flask) -> None:
    app.before_request(check_request)
