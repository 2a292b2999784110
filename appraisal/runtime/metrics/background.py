"""The metrics' work on the job queue: HR's "recompute now" for one cycle (a tracked job with
a progress bar), the periodic sweep of every open cycle (every METRICS_SWEEP_MINUTES), and
the apply step of a large business-event import (`import_jobs`)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ...access import can_review_events, can_run_cycles
from ...db import get_in_org
from ...errors import ServiceError
from ...import_jobs import tracked_import
from ...jobs.registry import Progress, periodic, tracked
from ...models import Cycle, Job
from ...people.imports import UpsertReport
from ...states import JobStatus
from . import compute, event_imports

RECOMPUTE_CYCLE = "metrics.recompute_cycle"
SWEEP = "metrics.sweep"
IMPORT_EVENTS = "imports.events"


def _recomputed(result: dict[str, Any]) -> str:
    return _(
        "Recomputed %(appraisals)d appraisals: %(changed)d figures changed.",
        appraisals=result["appraisals"],
        changed=result["changed"],
    )


def _cycle_page(job: Job) -> str | None:
    return url_for("runtime.cycle", id=job.params["cycle_id"])


@tracked(
    RECOMPUTE_CYCLE,
    outcome=_recomputed,
    back=_cycle_page,
    allowed=lambda job, roles: can_run_cycles(roles),
)
def recompute_cycle(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Compute the cycle's bound figures again (HR pressed "recompute now")."""
    assert job.organization_id is not None
    cycle = get_in_org(session, Cycle, job.organization_id, job.params["cycle_id"])
    if cycle is None:
        raise ServiceError(_("This cycle no longer exists."))
    done = compute.refresh_cycle(session, cycle, progress)
    return {"appraisals": done.appraisals, "changed": done.changed}


@periodic(SWEEP, every="METRICS_SWEEP_MINUTES")
def sweep(session: Session, progress: Progress) -> dict[str, Any]:
    """Every open cycle of every organization: catches what moves without a record of its
    own (a customer assignment, an edited metric)."""
    done = compute.refresh_open_cycles(session, progress=progress)
    return {"appraisals": done.appraisals, "changed": done.changed}


EVENT_OUTCOMES = (("matched", "matched"), ("held", "held"), ("unchanged", "unchanged"))


def events_counts(report: UpsertReport) -> dict[str, int]:
    return {name: report.count(outcome) for name, outcome in EVENT_OUTCOMES}


def events_imported(counts: dict[str, int]) -> str:
    """The words after an applied event import."""
    return _(
        "Import done: %(matched)d counted, %(held)d waiting for a person, %(unchanged)d unchanged.",
        **counts,
    )


def _events_back(job: Job) -> str:
    """The events when it worked; the upload page (to send the corrected file) if not."""
    if job.status == JobStatus.DONE:
        return url_for("runtime.events")
    return url_for("runtime.events_import")


@tracked_import(
    IMPORT_EVENTS,
    outcome=events_imported,
    back=_events_back,
    columns=lambda job: dict(event_imports.field_labels(job.params["kind"])),
    allowed=lambda job, roles: can_review_events(roles),
)
def import_events(
    session: Session, job: Job, payload: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    """A large event file, all or nothing (progress: before and after; the events are
    checked and saved in one batch)."""
    assert job.organization_id is not None
    rows = payload["rows"]
    progress(0, len(rows))
    report = event_imports.import_events(
        session,
        job.organization_id,
        rows,
        kind=job.params["kind"],
        source=job.params["source"],
        person_kind=job.params["person_kind"],
        user_id=job.user_id,
        dry_run=False,
    )
    progress(len(rows), len(rows))
    return events_counts(report)
