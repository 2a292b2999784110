"""A cycle's long work on the job queue: a large figures file's apply step (`import_jobs`),
and the files of a large cycle (payroll results, written feedback, the figures sheet),
which a job writes to the storage for the job's page to offer (to the person who asked and
the organization's HR admins only, as every job page)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ... import tables
from ...access import can_enter_figures, can_read_results, can_run_cycles
from ...db import get_in_org
from ...errors import ServiceError
from ...import_jobs import tracked_import
from ...jobs.registry import Progress, tracked
from ...jobs.services import owner_roles
from ...models import Cycle, Job
from ...scopes import EVERYWHERE, Reach, grants_of, reach
from ...states import JobStatus
from ...storage import Unavailable, get_storage, new_key
from ..reviews import feedback
from ..reviews.access import viewer_for
from . import cycles as cycle_services
from . import exports, figures

IMPORT_FIGURES = "imports.figures"
EXPORT_CYCLE = "exports.cycle"
#: A cycle of more appraisals than this has its files written by a job.
LARGE_EXPORT_APPRAISALS = 2_000


def _cycle(session: Session, job: Job) -> Cycle:
    """The job's cycle, of the job's organization only (whatever its params say). Whether
    the owner may still do the work the queue checks (`allowed`) before the job runs."""
    assert job.organization_id is not None
    cycle = get_in_org(session, Cycle, job.organization_id, job.params["cycle_id"])
    if cycle is None:
        raise ServiceError(_("This cycle no longer exists."))
    return cycle


# -- the figures import --------------------------------------------------------------------


def figures_imported(result: dict[str, Any]) -> str:
    return _("Figures imported: %(count)d values changed.", count=result["changed"])


def _figures_back(job: Job) -> str:
    """The cycle's figures when it worked; the upload page (for the corrected file) if not."""
    if job.status == JobStatus.DONE:
        return url_for("runtime.cycle_figures", id=job.params["cycle_id"])
    return url_for("runtime.figures_import", id=job.params["cycle_id"])


def save_figures(session: Session, cycle: Cycle, data, targets, viewer) -> int:
    """The file's targets (HR's) and figures, all or nothing; how many changed. Targets
    first: a figure is checked as it will count, with the target the same file sets."""
    changed = figures.set_targets(session, cycle, targets, viewer) if targets else 0
    if data:
        changed += figures.set_figures(session, cycle, data, viewer.user_id)
    return changed


@tracked_import(
    IMPORT_FIGURES,
    outcome=figures_imported,
    back=_figures_back,
    allowed=lambda job, roles: can_enter_figures(roles),
)
def import_figures(
    session: Session, job: Job, payload: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    cycle = _cycle(session, job)
    assert job.organization_id is not None and job.user_id is not None
    roles = owner_roles(session, job)
    viewer = viewer_for(session, job.organization_id, job.user_id, roles)
    data, targets = figures.entries_from_file(
        payload["header"], payload["rows"], payload["mapping"]
    )
    if targets and not can_run_cycles(roles):
        raise ServiceError(_("You may no longer do this."))
    total = len(data) + len(targets)
    progress(0, total)
    changed = save_figures(session, cycle, data, targets, viewer)
    progress(total, total)
    return {"values": total, "changed": changed}


# -- a large cycle's files -----------------------------------------------------------------


@dataclass(frozen=True)
class CycleTable:
    """One of a cycle's files: who may have it, and how it is made."""

    name: str
    allowed: Callable[[Iterable[str]], bool]
    #: (session, cycle, the reader's roles, where they read) -> header and rows
    build: Callable[[Session, Cycle, frozenset[str], Reach], tuple[list[str], list[list[Any]]]]
    #: Narrowed to where the reader reads results (`reach_of("read_results")`): the job's
    #: file then records that reach, and only a reader whose reach includes it downloads it.
    scoped: bool = True

    def filename(self, cycle: Cycle) -> str:
        return f"cycle-{cycle.id}-{self.name}"

    def rows_in(self, where: Reach) -> Reach:
        """Whose appraisals the file holds for a reader of `where`: counted so, a scoped
        reader's page and job state their departments' size, never the whole cycle's."""
        return where if self.scoped else EVERYWHERE


CYCLE_TABLES = {
    table.name: table
    for table in (
        CycleTable("results", can_read_results, exports.results_table_for),
        CycleTable(
            "feedback", can_read_results, lambda s, c, _roles, w: feedback.feedback_table(s, c, w)
        ),
        CycleTable(
            "figures",
            can_enter_figures,
            lambda s, c, roles, _w: figures.file_sheet(s, c, with_targets=can_run_cycles(roles)),
            scoped=False,
        ),
    )
}


def appraisal_count(session: Session, cycle: Cycle, where: Reach = EVERYWHERE) -> int:
    """The cycle's appraisals (of employees in `where`)."""
    return sum(cycle_services.state_counts(session, cycle, where).values())


def is_large_export(session: Session, cycle: Cycle, where: Reach = EVERYWHERE) -> bool:
    return appraisal_count(session, cycle, where) > LARGE_EXPORT_APPRAISALS


def exported(result: dict[str, Any]) -> str:
    return _("The file is ready: %(rows)d rows.", rows=result["rows"])


def _cycle_page(job: Job) -> str:
    return url_for("runtime.cycle", id=job.params["cycle_id"])


def may_export(job: Job, roles: Iterable[str]) -> bool:
    """Whoever holds `roles` may have (and read) the job's file: its table's rule."""
    table = CYCLE_TABLES.get(str((job.params or {}).get("table")))
    return table is not None and table.allowed(roles)


@tracked(EXPORT_CYCLE, outcome=exported, back=_cycle_page, allowed=may_export)
def export_cycle(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Write one of a cycle's files (`params`: cycle_id, table, fmt) to the storage, in the
    owner's language, for the job's page to offer."""
    table = CYCLE_TABLES[job.params["table"]]
    fmt = job.params["fmt"]
    cycle = _cycle(session, job)
    roles = owner_roles(session, job)
    where = reach(
        session,
        job.organization_id,
        grants_of(session, job.organization_id, job.user_id),
        "read_results",
        roles,
    )
    total = appraisal_count(session, cycle, table.rows_in(where))
    progress(0, total)
    header, rows = table.build(session, cycle, roles, where)
    data = tables.export(fmt, header, rows, table.name)
    key = new_key("jobs", "exports", suffix=f".{fmt}")
    try:
        get_storage().put(key, data, tables.MIMETYPES[fmt])
    except Unavailable:
        raise ServiceError(_("The file could not be stored; try again later.")) from None
    progress(total, total)
    written = {"file_key": key, "filename": f"{table.filename(cycle)}.{fmt}", "rows": len(rows)}
    if table.scoped:
        written["reach"] = {"power": "read_results", **where.as_record()}
    return written
