"""The home page, health check and error pages."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from flask_login import current_user, login_required
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict
from werkzeug.routing import IntegerConverter

from .access import current_membership
from .account.services import pending_invitations
from .db import MAX_ID, get_engine, get_session, rollback_session
from .health import check_database, why_unwritable
from .models import as_utc
from .runtime.cycles import home
from .runtime.web import current_viewer

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """The home page shows what needs doing (counts with links), not a menu of pages."""
    db = get_session()
    invitations = pending_invitations(db, current_user.id)
    todo = None
    if current_membership() is not None:
        todo = home.summary(db, current_viewer())
    return render_template("index.html", invitations=invitations, todo=todo)


@bp.route("/healthz")
def health():
    """For load balancers and monitoring: 503 naming the failing check when the database does
    not answer or cannot take writes (reads may still work: the pages say so to users)."""
    checks = check_database(get_engine())
    failing = [name for name, outcome in checks.items() if outcome not in ("ok", "not_checked")]
    if failing:
        return {"status": "unavailable", "failing": failing, "checks": checks}, 503
    return {"status": "ok", "checks": checks}


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
#: What the API says for an HTTP error raised without words of ours (werkzeug's own
#: descriptions are English only).
API_ERROR_MESSAGES = {
    400: _l("The request is not valid."),
    403: _l("You may not do this."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not take this method."),
    409: _l("Someone else changed this meanwhile; nothing was saved."),
    413: _l("The request is too large."),
    429: _l("Too many requests; try again later."),
    500: _l("Something went wrong on the server; nothing was saved."),
}

UNWRITABLE = _l(
    "The database can't accept changes right now, so nothing was saved. Reading still works; "
    "try again later, and tell your administrator if this goes on."
)


def _error_response(
    code: int,
    api_code: str,
    message: object = "",
    page_message: str | None = None,
    details: list | None = None,
):
    """An HTML page, or for the JSON API the API's error body (in the reader's language)."""
    if request.path.startswith("/api/"):
        details = [{"path": d["path"], "message": str(d["message"])} for d in details or []]
        body = {"error": {"code": api_code, "message": str(message), "details": details}}
        return jsonify(body), code
    return render_template("error.html", code=code, message=page_message), code


def _error_page(code: int):
    def handler(error):
        if code == 500:
            # The failed request may have left the session unusable; the page's own
            # queries (the signed-in user, the menu) need a clean one.
            rollback_session()
        cause = getattr(error, "original_exception", None)
        if code == 500 and isinstance(cause, DBAPIError) and why_unwritable(cause):
            return _database_refused(cause)  # raised outside the view (after_request, …)
        return _error_response(
            code,
            getattr(error, "api_code", API_ERROR_CODES[code]),
            _own_words(error) or API_ERROR_MESSAGES[code],
            getattr(error, "page_message", None),
            getattr(error, "details", []),
        )

    return handler


def _own_words(error: Exception) -> object:
    """The description an error was raised with, not werkzeug's English default for its code."""
    description = getattr(error, "description", None)
    return description if description != getattr(type(error), "description", None) else None


def _database_refused(error: DBAPIError):
    """One answer for every write the database refuses (read-only, full, locked): 503 with a
    message in the user's language, the cause logged; other database errors stay 500s."""
    reason = why_unwritable(error)
    if reason is None:
        raise error
    rollback_session()  # nothing half-saved, and the page can still read
    current_app.logger.warning(
        "The database refused a write (%s): %s",
        reason.value,
        error.orig,
        extra={"fields": {"reason": reason.value, "cause": str(error.orig)}},
    )
    return _error_response(503, f"database_{reason.value}", UNWRITABLE, UNWRITABLE)


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


def clock(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored moment (UTC) as the reader's clock shows it, in the app's time zone
    (`BABEL_DEFAULT_TIMEZONE`, Asia/Shanghai unless configured)."""
    if value is None:
        return ""
    return to_user_timezone(as_utc(value)).strftime(fmt)


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
    app.add_template_filter(clock)
    for code in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(code, _error_page(code))
    app.register_error_handler(DBAPIError, _database_refused)
    app.register_error_handler(StaleDataError, _lost_update)


def _lost_update(error: StaleDataError):
    """The safety net behind `concurrency.lost_updates`: a concurrent save of the same row
    noticed where no page expected it is a 409, never a 500."""
    rollback_session()
    return _error_page(409)(Conflict())
