"""A job's page (a progress bar that `static/job.js` updates) and the JSON it polls. The
person who started the job and the HR admins of its organization see it; anyone else,
and every other organization, gets a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, render_template
from flask_login import current_user

from ..access import current_org_id, current_roles, is_member, require
from ..db import get_session
from ..labels import label
from ..models import Job
from ..states import UNFINISHED_JOBS
from . import registry, services
from .queue import progress_of

bp = Blueprint("jobs", __name__, template_folder="templates")


def _job_or_404(id_: int) -> Job:
    session = get_session()
    job = services.visible_job(session, current_org_id(), current_user.id, current_roles(), id_)
    if job is None:
        abort(404)
    return job


def _state(job: Job) -> dict[str, Any]:
    """What the page shows, and the JSON says, about a job now."""
    done, total = progress_of(job)
    kind = registry.TRACKED.get(job.kind)
    finished = job.status not in UNFINISHED_JOBS
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "status_words": label(job.status, "job_status"),
        "done": done,
        "total": total,
        "finished": finished,
        "message": job.message,
        "outcome": kind.outcome(job.result) if kind and job.result is not None else None,
        "back": kind.back(job) if kind and finished else None,
    }


@bp.route("/jobs/<int:id>")
@require(is_member)
def job_page(id: int):
    """A job's progress, then its outcome and the way back."""
    job = _job_or_404(id)
    return render_template("jobs/job.html", job=job, shown=_state(job))


@bp.route("/jobs/<int:id>.json")
@require(is_member)
def job_json(id: int):
    """What the page polls while the job is queued or running."""
    return _state(_job_or_404(id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
