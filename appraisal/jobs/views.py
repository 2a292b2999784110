"""A job's page (a progress bar that `static/job.js` updates), the JSON it polls, and the
file a finished job wrote (an export). The person who started the job and the HR admins of
its organization see them; anyone else, and every other organization, gets a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import tables
from ..access import current_membership, current_roles, is_member, reach_of, require
from ..db import get_session
from ..labels import label
from ..models import Job
from ..scopes import POWER, Reach
from ..states import UNFINISHED_JOBS, JobStatus
from ..storage import Missing, Unavailable, get_storage
from . import registry, services
from .queue import progress_of

bp = Blueprint("jobs", __name__, template_folder="templates")


def _job_or_404(id_: int) -> Job:
    session = get_session()
    membership = current_membership()
    job = services.visible_job(
        session,
        membership.organization_id if membership else None,
        current_user.id,
        current_roles(),
        id_,
        instance_admin=bool(current_user.instance_admin and current_user.active),
    )
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
        "download": url_for("jobs.job_file", id=job.id) if _readable_file(job) else None,
    }


def _file_of(job: Job) -> tuple[str, str] | None:
    """The storage key and file name of what a finished job wrote, if it wrote a file."""
    result = job.result or {}
    if job.status != JobStatus.DONE or not isinstance(result.get("file_key"), str):
        return None
    return result["file_key"], str(result.get("filename") or "file")


def _readable_file(job: Job) -> tuple[str, str] | None:
    """The job's file if the reader may download it now (the page offers no other)."""
    found = _file_of(job)
    kind = registry.TRACKED.get(job.kind)
    return found if found is not None and kind is not None and _may_read(job, kind) else None


def _may_read(job: Job, kind: registry.Tracked) -> bool:
    """A file is the reader's only while their roles now allow the work that wrote it (an
    owner whose role was taken away since no longer downloads the results they exported),
    and, for a file written inside a scoped reach (`result["reach"]`: a partner's results
    of their departments), while the reader's reach of that power still includes it (a
    partner moved to another plant no longer downloads the old plant's file)."""
    if kind.allowed is not None and not kind.allowed(job, current_roles()):
        return False
    written = (job.result or {}).get("reach")
    if not isinstance(written, dict):
        return True
    power = written.get("power")
    return power in POWER and reach_of(power).includes(Reach.from_record(written))


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


@bp.route("/jobs/<int:id>/file")
@require(is_member)
def job_file(id: int):
    """The file the job wrote; gone once the job is pruned (JOBS_KEEP_DAYS)."""
    found = _readable_file(_job_or_404(id))
    if found is None:
        abort(404)
    key, filename = found
    try:
        data = get_storage().get(key)
    except Missing:
        abort(404)
    except Unavailable:
        current_app.logger.exception("The file of job %s could not be read", id)
        return _("The file cannot be read now; try again later."), 503
    extension = filename.rsplit(".", 1)[-1]
    response = Response(data, mimetype=tables.MIMETYPES.get(extension, "application/octet-stream"))
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
