"""How far people kept to their agreed plans: of the tasks due in a period, how many were
completed by their due date. Read by the plan pages and by the metrics' plans source
(`{"plans": "on_time"}`), so both count the same tasks."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ...models import PlanItem, WorkPlan
from ...states import AGREED_PLANS

#: Above this many people the counts are read for the whole organization (one grouped
#: query either way), not through a list of ids.
FEW = 500


def on_time_counts(
    session: Session,
    org_id: int,
    starts_on: date,
    ends_on: date,
    employee_ids: Collection[int] | None = None,
) -> dict[int, tuple[int, int]]:
    """Per person: (tasks of their agreed plans due within the period, those completed on or
    before their due date). People with no task due are absent."""
    on_time = case(
        (and_(PlanItem.completed_on.is_not(None), PlanItem.completed_on <= PlanItem.due_on), 1),
        else_=0,
    )
    query = (
        select(WorkPlan.employee_id, func.count(), func.sum(on_time))
        .join(WorkPlan, WorkPlan.id == PlanItem.plan_id)
        .where(
            WorkPlan.organization_id == org_id,
            WorkPlan.state.in_([s.value for s in AGREED_PLANS]),
            PlanItem.due_on >= starts_on,
            PlanItem.due_on <= ends_on,
        )
        .group_by(WorkPlan.employee_id)
    )
    if employee_ids is not None and len(employee_ids) <= FEW:
        query = query.where(WorkPlan.employee_id.in_(sorted(employee_ids)))
    return {
        employee_id: (int(due), int(done or 0)) for employee_id, due, done in session.execute(query)
    }


def on_time_share(
    session: Session, org_id: int, employee_id: int, starts_on: date, ends_on: date
) -> Decimal | None:
    """ "Tasks completed on time %": of the tasks of the person's agreed plans due within
    the period, the share completed on or before their due date, ×100 rounded half up to 2
    places; blank when no task was due (a blank is never 0)."""
    due, done = on_time_counts(session, org_id, starts_on, ends_on, [employee_id]).get(
        employee_id, (0, 0)
    )
    if not due:
        return None
    return (Decimal(100) * done / due).quantize(Decimal("0.01"), ROUND_HALF_UP)
