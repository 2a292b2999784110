"""A person's own notification choices: which kinds reach them in the app and by e-mail,
quiet hours (the organization's local time) and the daily digest. The language is the
account's own, chosen on the account page."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import current_membership, is_member, require
from ..concurrency import NO_ROW_YET
from ..db import get_session
from ..forms import attempt, show_conflict
from ..runtime.web import Routes
from ..states import PERSONAL_CHANNELS
from . import preferences
from .catalogue import KINDS
from .preference_forms import channel_field, initial_form

routes = Routes()


@routes.route("/notifications/preferences", methods=["GET", "POST"])
@require(is_member)
def preferences_page():
    db = get_session()
    row = preferences.preference_of(db, current_user.id)
    form = initial_form(row)
    status = 200
    if form.validate_on_submit():
        outcome = attempt(
            lambda: preferences.save_preferences(
                db, current_user.id, form.choices(), form.expected_version()
            ),
            form,
        )
        if not outcome.refused:
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for(".preferences_page"))
        status = outcome.status
        if outcome.conflict:
            saved = preferences.preference_of(db, current_user.id)
            if saved is not None:
                show_conflict(form, saved)
            else:
                form.version.data = str(NO_ROW_YET)
    elif form.is_submitted():
        status = 422
    membership = current_membership()
    return render_template(
        "notifications/preferences.html",
        form=form,
        kinds=KINDS.values(),
        channels=PERSONAL_CHANNELS,
        field_name=channel_field,
        time_zone=membership.organization.time_zone if membership else "",
    ), status
