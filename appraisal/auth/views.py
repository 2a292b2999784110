from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..access import switch_to
from ..db import get_session, row_id
from ..security import is_safe_next
from . import sessions
from .devices import known_devices, remember_device
from .forms import LoginForm
from .services import SignIn, authenticate, charge_attempt, sign_out
from .throttle import SignInPolicy

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    status, headers = 200, {}
    if form.validate_on_submit():
        db = get_session()
        devices = known_devices(request)
        attempt = charge_attempt(
            db,
            form.email.data,
            request.remote_addr or "",
            devices=devices,
            policy=SignInPolicy.from_config(current_app.config),
        )
        db.commit()  # before the slow password check, so parallel guesses see this one
        result = authenticate(db, attempt, form.password.data)
        db.commit()
        if result.outcome is SignIn.OK:
            session.clear()
            secret = sessions.start_session(db, result.user.id)
            db.commit()
            login_user(result.user)
            session[sessions.COOKIE_KEY] = secret
            target = form.next.data
            response = redirect(target if is_safe_next(target) else url_for("main.index"))
            remember_device(response, result.user.id, devices)
            return response
        if result.outcome is SignIn.THROTTLED:
            wait = format_timedelta(result.retry_after_seconds, granularity="minute")
            flash(_("Too many failed sign-ins. Try again in %(wait)s.", wait=wait), "danger")
            headers["Retry-After"] = str(result.retry_after_seconds)
            status = 429
        else:
            flash(_("Wrong email or password."), "danger")
            status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
@login_required
def logout():
    language = session.get("language")
    db = get_session()
    sign_out(db, current_user.id, session.get(sessions.COOKIE_KEY))
    db.commit()
    logout_user()
    session.clear()
    if language:
        session["language"] = language
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/organization")
@login_required
def switch_organization():
    wanted = request.form.get("organization_id", type=row_id)
    for membership in g.memberships:
        if membership.organization_id == wanted:
            switch_to(wanted)
            flash(_("Switched to %(name)s.", name=membership.organization.name), "info")
            return redirect(url_for("main.index"))
    abort(404)


@bp.post("/language")
def set_language():
    language = request.form.get("language")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["language"] = language
    if current_user.is_authenticated:
        current_user.language = language
        get_session().commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))
