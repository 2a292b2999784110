"""The home page, health check and error pages."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import login_required
from sqlalchemy import text

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


def _error_page(code: int):
    def handler(_error):
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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(reject_keys)
    app.add_template_filter(figure)
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page(code))
