"""The metrics' work on the job queue: HR's "recompute now" for one cycle (a tracked job with
a progress bar) and the periodic sweep of every open cycle (every METRICS_SWEEP_MINUTES)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ...db import get_in_org
from ...errors import ServiceError
from ...jobs.registry import Progress, periodic, tracked
from ...models import Cycle, Job
from . import compute

RECOMPUTE_CYCLE = "metrics.recompute_cycle"
SWEEP = "metrics.sweep"


def _recomputed(result: dict[str, Any]) -> str:
    return _(
        "Recomputed %(appraisals)d appraisals: %(changed)d figures changed.",
        appraisals=result["appraisals"],
        changed=result["changed"],
    )


def _cycle_page(job: Job) -> str | None:
    return url_for("runtime.cycle", id=job.params["cycle_id"])


@tracked(RECOMPUTE_CYCLE, outcome=_recomputed, back=_cycle_page)
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
