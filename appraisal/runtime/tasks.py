"""What waits for whom: each user's tasks with deadlines, and a manager's team progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import Appraisal, Cycle, CycleState, Review
from .render import role_fields
from .reviews import GROUPS, Viewer, group_progress, missing_targets, relations

OPEN_CYCLES = (
    CycleState.RUNNING.value,
    CycleState.CALIBRATION.value,
    CycleState.PUBLISHED.value,
)


@dataclass(frozen=True)
class Task:
    kind: (
        str  # confirm_goals | self_review | set_targets | manager_review | peer_review | hr_review
    )
    appraisal: Appraisal
    due: date | None
    rater: str | None = None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < date.today()


def _open_appraisals(session: Session, viewer: Viewer) -> list[Appraisal]:
    """Appraisals in running cycles that concern the viewer as employee, manager or reviewer."""
    conditions = [
        Appraisal.id.in_(
            select(Review.appraisal_id).where(
                Review.reviewer_id == viewer.user_id, Review.rater.in_(tuple(GROUPS))
            )
        )
    ]
    if viewer.employee_id is not None:
        conditions += [
            Appraisal.employee_id == viewer.employee_id,
            Appraisal.manager_id == viewer.employee_id,
        ]
    if viewer.reports:
        conditions.append(Appraisal.manager_id.in_(viewer.reports))
    if viewer.is_hr:
        conditions.append(Appraisal.manager_id.is_(None))
    return list(
        session.scalars(
            select(Appraisal)
            .join(Cycle, Cycle.id == Appraisal.cycle_id)
            .where(
                Appraisal.organization_id == viewer.org_id,
                Cycle.state.in_(OPEN_CYCLES),
                or_(*conditions),
            )
            .options(
                selectinload(Appraisal.employee),
                selectinload(Appraisal.cycle),
                selectinload(Appraisal.template_version),
                selectinload(Appraisal.reviews),
            )
            .order_by(Cycle.starts_on, Appraisal.id)
        )
    )


def my_tasks(session: Session, viewer: Viewer) -> list[Task]:
    tasks: list[Task] = []
    for appraisal in _open_appraisals(session, viewer):
        rels = relations(appraisal, viewer)
        cycle = appraisal.cycle
        state = appraisal.state
        if appraisal.employee.status != "active":
            continue
        if "employee" in rels:
            if state == "goal_setting" and not missing_targets(appraisal):
                tasks.append(Task("confirm_goals", appraisal, cycle.goals_due))
            if state == "self_review":
                tasks.append(Task("self_review", appraisal, cycle.self_review_due))
            if state == "published":
                tasks.append(Task("read_result", appraisal, None))
        direct = appraisal.manager_id == viewer.employee_id or (
            viewer.is_hr and appraisal.manager_id is None
        )
        if "manager" in rels and direct:  # managers further up follow on the team page
            if state == "goal_setting" and missing_targets(appraisal):
                tasks.append(Task("set_targets", appraisal, cycle.goals_due))
            if state == "manager_review":
                tasks.append(Task("manager_review", appraisal, cycle.manager_review_due))
        if "reviewer" in rels and state in ("goal_setting", "self_review", "manager_review"):
            tasks.extend(
                Task("peer_review", appraisal, cycle.manager_review_due, review.rater)
                for review in appraisal.reviews
                if review.reviewer_id == viewer.user_id
                and review.rater in GROUPS
                and not review.submitted
            )
    tasks.sort(key=lambda t: (t.due is None, t.due or date.max))
    return tasks


@dataclass(frozen=True)
class TeamRow:
    appraisal: Appraisal
    targets_missing: int
    self_submitted: bool | None  # None: the template has no self part
    peers: tuple[int, int]
    manager_submitted: bool


def team_progress(session: Session, viewer: Viewer) -> list[TeamRow]:
    """Progress of each appraisal the viewer manages in open cycles."""
    rows = []
    for appraisal in _open_appraisals(session, viewer):
        if "manager" not in relations(appraisal, viewer):
            continue
        by_slot = {r.slot: r for r in appraisal.reviews}
        has_self = bool(role_fields(appraisal.definition, "self"))
        rows.append(
            TeamRow(
                appraisal,
                len(missing_targets(appraisal)),
                (by_slot["self"].submitted if "self" in by_slot else False) if has_self else None,
                group_progress(appraisal)["peer"],
                bool(by_slot.get("manager") and by_slot["manager"].submitted),
            )
        )
    return rows
