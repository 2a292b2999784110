"""The home page, health check and error pages."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template, request
from flask_login import login_required
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from .db import get_session

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    return render_template("index.html")


@bp.route("/healthz")
def health():
    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}


API_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
}


def _error_page(code: int):
    """An HTML page, or for the JSON API the API's error body."""

    def handler(error):
        if request.path.startswith("/api/"):
            body = {
                "error": {
                    "code": getattr(error, "api_code", API_ERROR_CODES[code]),
                    "message": getattr(error, "description", "") or "",
                    "details": getattr(error, "details", []),
                }
            }
            return jsonify(body), code
        message = getattr(error, "page_message", None)
        return render_template("error.html", code=code, message=message), code

    return handler


def reject_keys(mapping: dict, *keys: str) -> dict:
    """Query arguments without some keys, for building pager links."""
    return {k: v for k, v in mapping.items() if k not in keys}


def figure(value: object) -> str:
    """A score or figure as people write it: 112 rather than 112.0, — for a blank."""
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL


class RowId(IntegerConverter):
    """`<int:…>` in every route: ids beyond what the database holds are simply not found
    (rather than an overflow in the driver)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(reject_keys)
    app.add_template_filter(figure)
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page(code))
