"""What needs doing, for the home page: the viewer's tasks and, for HR, the cycles in
progress and the appeals waiting for an answer. Counts plus a few rows, so the queries stay
bounded however large the organization."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ...models import Appeal, Appraisal, Cycle
from ...states import IN_PROGRESS_CYCLES, AppealStatus
from ..reviews.access import Viewer
from .tasks import task_counts

SHOWN = 5  # rows listed under each count; the count itself is exact


@dataclass(frozen=True)
class Summary:
    tasks: int
    overdue: int
    cycles: list[Cycle] = field(default_factory=list)  # in progress, newest first, ≤ SHOWN
    cycle_count: int = 0
    appeals: list[Appeal] = field(default_factory=list)  # oldest first, ≤ SHOWN
    appeal_count: int = 0


def summary(session: Session, viewer: Viewer) -> Summary:
    """The viewer's open tasks; with HR's role also cycles in progress and open appeals."""
    tasks, overdue = task_counts(session, viewer)
    if not viewer.is_hr:
        return Summary(tasks, overdue)
    in_progress = (Cycle.organization_id == viewer.org_id, Cycle.state.in_(IN_PROGRESS_CYCLES))
    waiting = (Appeal.organization_id == viewer.org_id, Appeal.status == AppealStatus.OPEN)
    return Summary(
        tasks,
        overdue,
        list(
            session.scalars(
                select(Cycle)
                .where(*in_progress)
                .order_by(Cycle.starts_on.desc(), Cycle.id.desc())
                .limit(SHOWN)
            )
        ),
        session.scalar(select(func.count()).select_from(Cycle).where(*in_progress)) or 0,
        list(
            session.scalars(
                select(Appeal)
                .where(*waiting)
                .options(selectinload(Appeal.appraisal).selectinload(Appraisal.employee))
                .order_by(Appeal.created_at, Appeal.id)
                .limit(SHOWN)
            )
        ),
        session.scalar(select(func.count()).select_from(Appeal).where(*waiting)) or 0,
    )
