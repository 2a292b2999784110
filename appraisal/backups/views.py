"""The backups page (`/backups`): make one now, set the schedule, download one. For
instance administrators only (`services.can_back_up`): anyone else signed in gets a 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, abort, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from ..db import get_session
from ..jobs.queue import submit
from . import jobs, services
from .forms import BackupForm, ScheduleForm

bp = Blueprint("backups", __name__, template_folder="templates")


def instance_admin_required(view: Callable) -> Callable:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not services.can_back_up(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _page(backup_form: BackupForm, schedule_form: ScheduleForm, status: int = 200):
    session = get_session()
    plan = services.schedule(session)
    return (
        render_template(
            "backups/index.html",
            backups=services.listed(jobs.directory()),
            plan=plan,
            jobs=jobs.recent(session),
            backup_form=backup_form,
            schedule_form=schedule_form,
        ),
        status,
    )


@bp.route("/backups")
@instance_admin_required
def index():
    plan = services.schedule(get_session())
    get_session().commit()
    return _page(BackupForm(), ScheduleForm(every=plan.every, keep=plan.keep))


@bp.route("/backups", methods=["POST"])
@instance_admin_required
def create():
    form = BackupForm()
    if not form.validate_on_submit():
        plan = services.schedule(get_session())
        return _page(form, ScheduleForm(every=plan.every, keep=plan.keep), 422)
    params = {}
    if form.passphrase.data:
        params["passphrase_ref"] = jobs.keep_passphrase(form.passphrase.data)
    job = submit(get_session(), jobs.KIND, None, current_user.id, params)
    return redirect(url_for("jobs.job_page", id=job.id))


@bp.route("/backups/schedule", methods=["POST"])
@instance_admin_required
def save_schedule():
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _page(BackupForm(), form, 422)
    session = get_session()
    services.set_schedule(session, current_user, form.every.data, form.keep.data)
    session.commit()
    return redirect(url_for("backups.index"))


@bp.route("/backups/<name>")
@instance_admin_required
def download(name: str):
    try:
        path = services.path_of(jobs.directory(), name)
    except FileNotFoundError:
        abort(404)
    response = send_file(
        path, mimetype="application/octet-stream", as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _may_back_up() -> dict[str, bool]:
        """Whether the Set-up menu offers Backups (instance administrators only)."""
        user = current_user if current_user.is_authenticated else None
        return {"can_back_up": services.can_back_up(user)}
