"""The home page, health check and error pages."""

from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict
from werkzeug.routing import IntegerConverter

from .account.services import pending_invitations
from .db import get_session

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    invitations = pending_invitations(get_session(), current_user.id)
    return render_template("index.html", invitations=invitations)


@bp.route("/healthz")
def health():
    get_session().execute(text("SELECT 1"))
    return {"status": "ok"}


API_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
}


def _error_page(code: int):
    """An HTML page, or for the JSON API the API's error body."""

    def handler(error):
        if code == 500 and "db_session" in g:
            # The failed request may have left the session unusable; the page's own
            # queries (the signed-in user, the menu) need a clean one.
            g.db_session.rollback()
        if request.path.startswith("/api/"):
            message = getattr(error, "description", "") or ""
            body = {"error": {"code": API_ERROR_CODES[code], "message": message, "details": []}}
            return jsonify(body), code
        return render_template("error.html", code=code), code

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
    for code in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(code, _error_page(code))
    app.register_error_handler(StaleDataError, _lost_update)


def _lost_update(error: StaleDataError):
    """The safety net behind `concurrency.lost_updates`: a concurrent save of the same row
    noticed where no page expected it is a 409, never a 500."""
    get_session().rollback()
    return _error_page(409)(Conflict())
