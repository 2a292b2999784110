"""The request boundary: what no view should ever see is refused here, once for every route
(issue 12), before CSRF, access checks or any view reads the request:

- control characters in path parts (404), query parameters and form fields (400, naming
  the field, in the user's language; the API's error envelope under /api);
- JSON bodies larger than `API_MAX_JSON_BYTES` (or a view's own `max_json_bytes`): 413;
- JSON nested deeper than `inputs.MAX_JSON_DEPTH`, or with a control character in a string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from .inputs import (
    MAX_JSON_DEPTH,
    JsonRefused,
    bad_text,
    check_json_depth,
    check_json_strings,
    describe,
)

F = TypeVar("F", bound=Callable[..., Any])


def max_json_bytes(limit: int) -> Callable[[F], F]:
    """Give one view a smaller JSON body limit than `API_MAX_JSON_BYTES` (templates)."""

    def mark(view: F) -> F:
        view.max_json_bytes = limit  # type: ignore[attr-defined]
        return view

    return mark


class InputRefused(BadRequest):
    """A 400 naming what was refused: the API's envelope shows `description` and `details`,
    pages show `page_message`; each in the reader's language."""

    def __init__(self, description: Any, page_message: Any, code: str, details: list) -> None:
        super().__init__(description)
        self.page_message, self.api_code, self.details = page_message, code, details


def _refuse_text(where: str, name: str, char: str) -> InputRefused:
    path = f"{where}.{name}" if where else name
    return InputRefused(
        _l("The request contains a control character; nothing was done."),
        _l(
            "The field “%(field)s” contains an invisible control character (%(char)s), perhaps "
            "copied from another program. Remove it and try again; nothing was saved.",
            field=name,
            char=describe(char),
        ),
        "invalid",
        [
            {
                "path": path,
                "message": _l("control characters are not allowed (%(char)s)", char=describe(char)),
            }
        ],
    )


def _check_json_body() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_json_bytes", None) or current_app.config["API_MAX_JSON_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(
            _l("The body may be at most %(limit)s bytes.", limit=f"{limit:,}")
        )
    request.max_content_length = limit
    text = request.get_data(as_text=True)
    try:
        check_json_depth(text)
    except JsonRefused:
        raise InputRefused(
            _l("JSON may be nested at most %(limit)d levels deep.", limit=MAX_JSON_DEPTH),
            _l("The data is nested too deeply."),
            "bad_request",
            [],
        ) from None
    data = request.get_json(silent=True)  # cached for the view; malformed JSON is its business
    try:
        check_json_strings(text, data)
    except JsonRefused as refused:
        raise InputRefused(
            _l("The body contains a control character; nothing was done."),
            _l("The data contains an invisible control character; nothing was saved."),
            "invalid",
            [
                {
                    "path": refused.path,
                    "message": _l(
                        "Text may not contain control characters (%(char)s found).",
                        char=describe(refused.char),
                    ),
                }
            ],
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
