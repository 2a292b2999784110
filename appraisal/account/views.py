"""The account page (own password, invitations) and the public one-time reset page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import switch_to
from ..auth import sessions
from ..auth.throttle import SignInPolicy
from ..db import get_session
from ..forms import attempt
from . import services
from .forms import ChangePasswordForm, SetPasswordForm

bp = Blueprint("account", __name__, url_prefix="/account", template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    db = get_session()
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        policy = SignInPolicy.from_config(current_app.config)
        # committed on its own: the charge stands whatever the check says (see `throttle`)
        charged = attempt(
            lambda: services.charge_password_check(
                db, current_user, policy, form.new_password.data
            ),
            form,
        )
        if charged.refused:
            status = charged.status
        elif charged.value:
            form.current_password.errors = [
                _(
                    "Too many wrong passwords; try again in %(seconds)s seconds.",
                    seconds=charged.value,
                )
            ]
            status = 429
        else:
            outcome = attempt(
                lambda: services.change_own_password(
                    db, current_user, form.current_password.data, form.new_password.data, policy
                ),
                form,
            )
            if not outcome.refused:
                session[sessions.COOKIE_KEY] = outcome.value
                flash(_("Your password is changed; your other sign-ins have ended."), "success")
                return redirect(url_for(".index"))
    if status == 200 and form.is_submitted() and form.errors:
        status = 422
    invitations = services.pending_invitations(db, current_user.id)
    return render_template("account/index.html", form=form, invitations=invitations), status


def _invitation(id_: int):
    invitation = services.my_invitation(get_session(), current_user.id, id_)
    if invitation is None:
        abort(404)
    return invitation


@bp.post("/invitations/<int:id>/accept")
@login_required
def accept(id: int):
    db = get_session()
    membership = services.accept_invitation(db, _invitation(id))
    name = membership.organization.name
    db.commit()
    switch_to(membership.organization_id)
    flash(_("You joined %(name)s: switched to it.", name=name), "success")
    return redirect(url_for("main.index"))


@bp.post("/invitations/<int:id>/decline")
@login_required
def decline(id: int):
    db = get_session()
    services.decline_invitation(db, _invitation(id))
    db.commit()
    flash(_("Invitation declined."), "info")
    return redirect(url_for(".index"))


@bp.route("/reset/<secret>", methods=["GET", "POST"])
def reset(secret: str):
    """Public: whoever holds the one-time link sets the account's password."""
    db = get_session()
    if services.find_reset(db, secret) is None:
        return _no_store(render_template("account/reset_invalid.html"), 404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.redeem_reset(db, secret, form.password.data), form)
        if not outcome.refused:
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() and form.errors else 200
    return _no_store(render_template("account/reset.html", form=form), status)


def _no_store(body: str, status: int):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response
