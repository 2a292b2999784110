"""The employee import's apply step on the job queue, for large files (`import_jobs`)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from ..access import can_manage_people
from ..import_jobs import tracked_import, upsert_counts, upserted_words
from ..jobs.registry import Progress
from ..models import Job
from ..states import JobStatus
from . import imports
from .forms import FIELD_LABELS

IMPORT_EMPLOYEES = "imports.employees"


def _back(job: Job) -> str:
    """The employees when it worked; the upload page (to send the corrected file) if not."""
    if job.status == JobStatus.DONE:
        return url_for("people.employees")
    return url_for("people.employees_import")


@tracked_import(
    IMPORT_EMPLOYEES,
    outcome=upserted_words,
    back=_back,
    columns=lambda job: FIELD_LABELS,
    allowed=lambda job, roles: can_manage_people(roles),
)
def import_employees(
    session: Session, job: Job, payload: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    assert job.organization_id is not None
    report = imports.upsert_employees(
        session, job.organization_id, payload["rows"], job.user_id, first_row=2, progress=progress
    )
    return upsert_counts(report)
