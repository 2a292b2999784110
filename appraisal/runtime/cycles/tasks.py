"""What waits for whom: each user's tasks with deadlines, and a manager's team progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from ...models import (
    Appeal,
    Appraisal,
    Cycle,
    CycleState,
    Employee,
    Organization,
    Review,
)
from ...paging import Page, paginate_ids
from ...scopes import EVERYWHERE, Reach
from ...states import OPEN_CYCLES, AppealStatus, AppraisalState
from .. import workflow
from ..compiled import appraisal_template
from ..render import fills
from ..reviews.access import EMPLOYEE_WHO_SIGNS_IN, GROUPS, Viewer, managed_by, relations
from ..reviews.inputs import missing_targets
from ..reviews.invitations import group_progress


@dataclass(frozen=True)
class Task:
    kind: (
        str  # confirm_goals | self_review | set_targets | manager_review | peer_review | hr_review
    )
    appraisal: Appraisal
    due: date | None
    rater: str | None = None
    today: date = field(kw_only=True)  # the organization's (`Organization.today`)

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < self.today


#: What a task or team row reads of an appraisal: who signs in (`relations`), the cycle's
#: dates and scheme, the template and the reviews.
WHAT_TASKS_READ = (
    EMPLOYEE_WHO_SIGNS_IN,
    selectinload(Appraisal.cycle).joinedload(Cycle.scheme),
    selectinload(Appraisal.template_version),
    selectinload(Appraisal.reviews),
)


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
            managed_by(viewer.employee_id),  # tasks are the direct manager's (see `my_tasks`)
        ]
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
            .options(*WHAT_TASKS_READ)
            .order_by(Cycle.starts_on, Appraisal.id)
        )
    )


def my_tasks(session: Session, viewer: Viewer) -> list[Task]:
    today = session.get(Organization, viewer.org_id).today()
    tasks: list[Task] = []
    for appraisal in _open_appraisals(session, viewer):
        rels = relations(appraisal, viewer)
        cycle = appraisal.cycle
        state = appraisal.state
        if appraisal.employee.status != "active":
            continue
        if "employee" in rels:
            tasks.extend(own_tasks(appraisal, today))
        direct = appraisal.manager_id == viewer.employee_id or (
            viewer.is_hr and appraisal.manager_id is None
        )
        if "manager" in rels and direct:  # managers further up follow on the team page
            if (
                "proxy" in rels
                and state == AppraisalState.GOAL_SETTING
                and not missing_targets(appraisal)
            ):
                tasks.append(Task("proxy_goals", appraisal, cycle.goals_due, today=today))
            if "proxy" in rels and state == AppraisalState.SELF_REVIEW:
                tasks.append(
                    Task("proxy_self_review", appraisal, cycle.self_review_due, today=today)
                )
            if state == AppraisalState.GOAL_SETTING and missing_targets(appraisal):
                tasks.append(Task("set_targets", appraisal, cycle.goals_due, today=today))
            if state == AppraisalState.MANAGER_REVIEW:
                tasks.append(
                    Task("manager_review", appraisal, cycle.manager_review_due, today=today)
                )
        if "reviewer" in rels and state in workflow.REVIEWING:
            tasks.extend(
                Task("peer_review", appraisal, cycle.manager_review_due, review.rater, today=today)
                for review in appraisal.reviews
                if review.reviewer_id == viewer.user_id
                and review.rater in GROUPS
                and not review.submitted
            )
    tasks.sort(key=lambda t: (t.due is None, t.due or date.max))
    return tasks


def own_tasks(appraisal: Appraisal, today: date) -> list[Task]:
    """The employee's own steps on their appraisal ("My tasks", "My performance")."""
    cycle, state = appraisal.cycle, appraisal.state
    if appraisal.employee.status != "active" or cycle.state not in OPEN_CYCLES:
        return []
    tasks = []
    if state == AppraisalState.GOAL_SETTING and not missing_targets(appraisal):
        tasks.append(Task("confirm_goals", appraisal, cycle.goals_due, today=today))
    if state == AppraisalState.SELF_REVIEW:
        tasks.append(Task("self_review", appraisal, cycle.self_review_due, today=today))
    if state == AppraisalState.PUBLISHED:
        tasks.append(Task("read_result", appraisal, None, today=today))
    return tasks


@dataclass(frozen=True)
class TeamRow:
    appraisal: Appraisal
    targets_missing: int
    self_submitted: bool | None  # None: the template has no self part
    peers: tuple[int, int]
    manager_submitted: bool


#: Rows of a page of "My team".
TEAM_ROWS = 50


def team_progress(session: Session, viewer: Viewer, page: int) -> Page[TeamRow]:
    """A page of the progress of each appraisal the viewer manages in open cycles: the
    database chooses and orders their ids in one statement (`paginate_ids`), and only the
    page's appraisals are loaded, so a top manager who sees their chain pages through the
    company instead of loading it."""
    managed = []  # as `relations` has it: their reports (and chain); HR, the manager-less
    if viewer.employee_id is not None:
        managed.append(managed_by(viewer.employee_id, viewer.reports, viewer.org_id))
    if viewer.is_hr:
        not_own = Appraisal.employee_id != viewer.employee_id if viewer.employee_id else true()
        managed.append(and_(Appraisal.manager_id.is_(None), not_own))
    if not managed:
        return Page([], 1, TEAM_ROWS, 0)
    ids = (
        select(Appraisal.id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(
            Appraisal.organization_id == viewer.org_id,
            Cycle.state.in_(OPEN_CYCLES),
            or_(*managed),
        )
        .order_by(Cycle.starts_on, Cycle.id, Employee.name, Appraisal.id)
    )
    found = paginate_ids(session, ids, page, TEAM_ROWS)
    loaded = {
        a.id: a
        for a in session.scalars(
            select(Appraisal).where(Appraisal.id.in_(found.items)).options(*WHAT_TASKS_READ)
        )
    }
    rows = []
    for appraisal in (loaded[id_] for id_ in found.items):
        by_slot = {r.slot: r for r in appraisal.reviews}
        has_self = fills(appraisal_template(appraisal), "self")
        rows.append(
            TeamRow(
                appraisal,
                len(missing_targets(appraisal)),
                (by_slot["self"].submitted if "self" in by_slot else False) if has_self else None,
                group_progress(appraisal)["peer"],
                bool(by_slot.get("manager") and by_slot["manager"].submitted),
            )
        )
    return Page(rows, found.page, found.per_page, found.total)


# The cycle's deadline for each step an appraisal can be overdue in.
STEP_DUE = {
    AppraisalState.GOAL_SETTING: "goals_due",
    AppraisalState.SELF_REVIEW: "self_review_due",
    AppraisalState.MANAGER_REVIEW: "manager_review_due",
}


def due_for(cycle: Cycle, state: str) -> date | None:
    """The cycle's deadline for the step an appraisal is in (None: no deadline)."""
    column = STEP_DUE.get(state)
    return getattr(cycle, column) if column else None


def overdue_in_step(today: date) -> ColumnElement[bool]:
    """SQL (over `Appraisal` joined to its `Cycle`): in a step past the cycle's deadline
    for it, as `due_for` and `Task.overdue` decide one by one."""
    return or_(
        *(
            and_(Appraisal.state == state, getattr(Cycle, column) < today)
            for state, column in STEP_DUE.items()
        )
    )


#: SQL over `Appraisal`: the manager has submitted, the result still lacks figures or HR's
#: values (`reviews.LATE_RATERS`), so calibration waits for it.
WAITING_FOR_FIGURES = and_(
    Appraisal.state == AppraisalState.CALIBRATION, Appraisal.complete.is_(False)
)


@dataclass(frozen=True)
class CycleTask:
    """Something HR follows per cycle, counted: `overdue` (in `state` past its deadline) or
    `waiting_for_figures` (submitted, result still incomplete)."""

    kind: str
    cycle: Cycle
    count: int
    state: str | None = None


@dataclass(frozen=True)
class HrTasks:
    appeals: list[Appeal]
    cycles: list[CycleTask]


def hr_tasks(session: Session, viewer: Viewer, today: date | None = None) -> HrTasks:
    """HR's own queue: open appeals one by one, and per cycle how many appraisals are overdue
    in a step or waiting for figures. A fixed number of queries, whatever the headcount."""
    if not viewer.is_hr:
        return HrTasks([], [])
    today = today or session.get(Organization, viewer.org_id).today()
    appeals = list(
        session.scalars(
            select(Appeal)
            .join(Appraisal, Appraisal.id == Appeal.appraisal_id)
            .where(Appeal.organization_id == viewer.org_id, Appeal.status == AppealStatus.OPEN)
            .options(
                selectinload(Appeal.appraisal).selectinload(Appraisal.employee),
                selectinload(Appeal.appraisal).selectinload(Appraisal.cycle),
            )
            .order_by(Appeal.created_at)
        )
    )
    overdue = overdue_in_step(today)
    waiting = WAITING_FOR_FIGURES
    counts = session.execute(
        select(Appraisal.cycle_id, Appraisal.state, func.count())
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(
            Cycle.organization_id == viewer.org_id,
            Cycle.state.in_((CycleState.RUNNING.value, CycleState.CALIBRATION.value)),
            Employee.status == "active",
            or_(overdue, waiting),
        )
        .group_by(Appraisal.cycle_id, Appraisal.state)
    ).all()
    cycles = {
        c.id: c for c in session.scalars(select(Cycle).where(Cycle.id.in_({r[0] for r in counts})))
    }
    found = [
        CycleTask(
            "waiting_for_figures" if state == AppraisalState.CALIBRATION else "overdue",
            cycles[cycle_id],
            count,
            state,
        )
        for cycle_id, state, count in counts
    ]
    found.sort(key=lambda t: (t.cycle.starts_on, t.cycle.id, t.kind))
    return HrTasks(appeals, found)


def cycle_appeals(session: Session, cycle: Cycle, reach: Reach = EVERYWHERE) -> list[Appeal]:
    """Every appeal in the cycle (of employees in `reach`), open ones first, for the cycle
    page."""
    return list(
        session.scalars(
            select(Appeal)
            .join(Appraisal, Appraisal.id == Appeal.appraisal_id)
            .join(Employee, Employee.id == Appraisal.employee_id)
            .where(Appraisal.cycle_id == cycle.id, reach.clause(Employee.department_id))
            .options(selectinload(Appeal.appraisal).selectinload(Appraisal.employee))
            .order_by((Appeal.status == AppealStatus.OPEN).desc(), Appeal.created_at.desc())
        )
    )
