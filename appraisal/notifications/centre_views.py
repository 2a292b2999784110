"""The bell in every signed-in page's navigation and the centre behind it: the person's own
entries of the current organization, newest first; opening one marks it read and goes to
its task (a path on this site only); "mark all read"."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import current_membership, current_org_id, current_seat, is_member, require
from ..db import get_session
from ..forms import attempt
from ..labels import current_language
from ..runtime.web import Routes, page_arg
from ..security import is_safe_next
from . import centre

routes = Routes()


@routes.route("/notifications")
@require(is_member)
def centre_page():
    membership = current_membership()
    assert membership is not None
    page = centre.entries(
        get_session(),
        membership.organization_id,
        current_user.id,
        page_arg(),
        current_language(),
        name=current_user.name,
        organization=membership.organization.name,
    )
    return render_template("notifications/centre.html", page=page)


@routes.route("/notifications/<int:id>/open", methods=["POST"])
@require(is_member)
def open_entry(id: int):
    """Read the entry and go to its task; a link that is not a path on this site (stored
    from a bad event, or planted) is never followed: the centre comes back instead."""
    db = get_session()
    entry = centre.own_entry(db, current_org_id(), current_user.id, id)
    if entry is None:
        abort(404)
    link = entry.link
    attempt(lambda: centre.mark_read(entry))
    return redirect(link if is_safe_next(link) else url_for(".centre_page"))


@routes.route("/notifications/read-all", methods=["POST"])
@require(is_member)
def read_all():
    outcome = attempt(
        lambda: centre.mark_all_read(get_session(), current_org_id(), current_user.id)
    )
    if not outcome.refused:
        flash(_("Every notification is marked read."), "success")
    return redirect(url_for(".centre_page"))


def unread_notifications() -> int:
    """The bell's count for this page: what the sign-in counted (a reading request), else
    counted once, on first use by the layout."""
    if "unread_notifications" not in g:
        membership, seat = current_membership(), current_seat()
        if membership is None:
            g.unread_notifications = 0
        elif seat is not None and seat.unread is not None:
            g.unread_notifications = seat.unread
        else:
            g.unread_notifications = centre.unread_count(
                get_session(), membership.organization_id, membership.user_id
            )
    return g.unread_notifications


def bell_context() -> dict[str, Callable[[], int]]:
    """The count as a function the layout calls only for a signed-in member: a page
    fragment, an e-mail or an anonymous page renders without a query."""
    return {"unread_notifications": unread_notifications}


def init_app(app: Flask) -> None:
    """The bell's unread count in every page's navigation."""
    app.context_processor(bell_context)
