"""What waits for whom: each user's tasks with deadlines, and a manager's team progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from ...db import in_list
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
from ...states import OPEN_CYCLES, AppealStatus, AppraisalState, ReviewStatus
from .. import workflow
from ..compiled import version_templates
from ..render import fills
from ..reviews.access import (
    GROUPS,
    Viewer,
    managed_by,
    signs_in_clause,
    standing,
)
from ..reviews.inputs import count_missing_targets, missing_targets
from ..reviews.invitations import progress_of


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


@dataclass(frozen=True)
class _Facts:
    """What deciding an appraisal's tasks reads of it: from an appraisal in hand
    (`own_tasks`) or from one row of plain columns (`_open_facts`), so counting a manager's
    tasks on every home page loads no appraisal."""

    appraisal_id: int
    state: str
    manager_id: int | None
    employee_active: bool
    targets_missing: bool
    cycle: Cycle
    open_raters: tuple[str, ...] = ()  # the viewer's own group reviews not yet submitted


def _own_steps(facts: _Facts) -> list[tuple[str, date | None]]:
    """The employee's own steps ("My tasks", "My performance"), with their deadlines."""
    cycle, state = facts.cycle, facts.state
    if not facts.employee_active or cycle.state not in OPEN_CYCLES:
        return []
    if state == AppraisalState.GOAL_SETTING and not facts.targets_missing:
        return [("confirm_goals", cycle.goals_due)]
    if state == AppraisalState.SELF_REVIEW:
        return [("self_review", cycle.self_review_due)]
    if state == AppraisalState.PUBLISHED:
        return [("read_result", None)]
    return []


def _steps(
    facts: _Facts, rels: frozenset[str], viewer: Viewer
) -> list[tuple[str, date | None, str | None]]:
    """What waits for the viewer on one appraisal: (kind, deadline, rater)."""
    cycle, state = facts.cycle, facts.state
    if not facts.employee_active:
        return []
    found: list[tuple[str, date | None, str | None]] = []
    if "employee" in rels:
        found += [(kind, due, None) for kind, due in _own_steps(facts)]
    direct = facts.manager_id == viewer.employee_id or (viewer.is_hr and facts.manager_id is None)
    if "manager" in rels and direct:  # managers further up follow on the team page
        goals_set = state == AppraisalState.GOAL_SETTING
        if "proxy" in rels and goals_set and not facts.targets_missing:
            found.append(("proxy_goals", cycle.goals_due, None))
        if "proxy" in rels and state == AppraisalState.SELF_REVIEW:
            found.append(("proxy_self_review", cycle.self_review_due, None))
        if goals_set and facts.targets_missing:
            found.append(("set_targets", cycle.goals_due, None))
        if state == AppraisalState.MANAGER_REVIEW:
            found.append(("manager_review", cycle.manager_review_due, None))
    if "reviewer" in rels and state in workflow.REVIEWING:
        found += [("peer_review", cycle.manager_review_due, rater) for rater in facts.open_raters]
    return found


def _open_facts(session: Session, viewer: Viewer) -> list[tuple[_Facts, frozenset[str]]]:
    """Each appraisal in a running cycle that concerns the viewer as employee, direct
    manager (HR: of the manager-less) or peer reviewer, with how the viewer stands to it,
    read as plain columns in a fixed number of statements."""
    parameters = {"user_id": viewer.user_id, "org_id": viewer.org_id}
    reviewing: dict[int, list[str]] = {}
    for appraisal_id, rater, status in session.execute(_group_reviews(), parameters):
        raters = reviewing.setdefault(appraisal_id, [])
        if status != ReviewStatus.SUBMITTED:
            raters.append(rater)
    as_employee = viewer.employee_id is not None
    if not (reviewing or as_employee or viewer.is_hr):
        return []
    parameters |= {"reviewing": sorted(reviewing), "employee_id": viewer.employee_id}
    statement = _facts_rows(bool(reviewing), as_employee, viewer.is_hr)
    rows = session.execute(statement, parameters).all()
    cycles = cycles_by_id(session, {row.cycle_id for row in rows})
    templates = version_templates(session, {row.template_version_id for row in rows})
    found = []
    for row in rows:
        rels = standing(
            viewer,
            employee_id=row.employee_id,
            department_id=row.department_id,
            manager_id=row.manager_id,
            reviewer=row.id in reviewing,
            signs_in=lambda row=row: bool(row.signs_in),
        )
        facts = _Facts(
            row.id,
            row.state,
            row.manager_id,
            row.status == "active",
            count_missing_targets(templates[row.template_version_id], row.targets) > 0,
            cycles[row.cycle_id],
            tuple(reviewing.get(row.id, ())),
        )
        found.append((facts, rels))
    return found


@cache
def _group_reviews() -> Select:
    """The viewer's peer and subordinate reviews in running cycles (user_id, org_id); built
    once per process, as every statement of a fast page (`_team_ids`)."""
    return (
        select(Review.appraisal_id, Review.rater, Review.status)
        .join(Appraisal, Appraisal.id == Review.appraisal_id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(
            Review.reviewer_id == bindparam("user_id", type_=Integer),
            Review.rater.in_(tuple(GROUPS)),
            Appraisal.organization_id == bindparam("org_id", type_=Integer),
            Cycle.state.in_(OPEN_CYCLES),
        )
    )


@cache
def _facts_rows(by_review: bool, as_employee: bool, as_hr: bool) -> Select:
    """The appraisals in running cycles the viewer reviews (reviewing: their ids), is the
    employee or direct manager of (employee_id), or as HR, the manager-less (org_id)."""
    employee_id = bindparam("employee_id", type_=Integer)
    conditions = []
    if by_review:
        conditions.append(in_list(Appraisal.id, "reviewing"))
    if as_employee:
        conditions += [
            Appraisal.employee_id == employee_id,
            managed_by(employee_id),  # tasks are the direct manager's (`_steps`)
        ]
    if as_hr:
        conditions.append(Appraisal.manager_id.is_(None))
    return (
        select(
            Appraisal.id,
            Appraisal.state,
            Appraisal.employee_id,
            Appraisal.manager_id,
            Appraisal.targets,
            Appraisal.template_version_id,
            Appraisal.cycle_id,
            Employee.department_id,
            Employee.status,
            signs_in_clause().label("signs_in"),
        )
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(
            Appraisal.organization_id == bindparam("org_id", type_=Integer),
            Cycle.state.in_(OPEN_CYCLES),
            or_(*conditions),
        )
        .order_by(Cycle.starts_on, Appraisal.id)
    )


def cycles_by_id(session: Session, ids: Iterable[int]) -> dict[int, Cycle]:
    """The cycles of these ids, by id: the few a list of plain rows refers to."""
    return {c.id: c for c in session.scalars(_cycles_of_ids(), {"ids": sorted(set(ids))})}


@cache
def _cycles_of_ids() -> Select[tuple[Cycle]]:
    return select(Cycle).where(in_list(Cycle.id, "ids"))


def _decided(session: Session, viewer: Viewer) -> list[tuple[_Facts, str, date | None, str | None]]:
    return [
        (facts, kind, due, rater)
        for facts, rels in _open_facts(session, viewer)
        for kind, due, rater in _steps(facts, rels, viewer)
    ]


def _by_due(task: Task) -> tuple[bool, date]:
    return (task.due is None, task.due or date.max)


def my_tasks(session: Session, viewer: Viewer) -> list[Task]:
    """What waits for the viewer, soonest deadline first, with the appraisals to link to
    (their employee and cycle loaded)."""
    today = session.get(Organization, viewer.org_id).today()
    decided = _decided(session, viewer)
    appraisals = {
        a.id: a
        for a in session.scalars(
            select(Appraisal)
            .where(Appraisal.id.in_({facts.appraisal_id for facts, *_ in decided}))
            .options(selectinload(Appraisal.employee), selectinload(Appraisal.cycle))
        )
    }
    tasks = [
        Task(kind, appraisals[facts.appraisal_id], due, rater, today=today)
        for facts, kind, due, rater in decided
    ]
    return sorted(tasks, key=_by_due)


def task_counts(session: Session, viewer: Viewer) -> tuple[int, int]:
    """How many tasks wait for the viewer and how many of them are overdue (the home page),
    decided as `my_tasks` decides them, without loading the appraisals."""
    today = session.get(Organization, viewer.org_id).today()
    dues = [due for _facts, _kind, due, _rater in _decided(session, viewer)]
    return len(dues), sum(1 for due in dues if due is not None and due < today)


def own_tasks(appraisal: Appraisal, today: date) -> list[Task]:
    """The employee's own steps on their appraisal ("My tasks", "My performance")."""
    facts = _Facts(
        appraisal.id,
        appraisal.state,
        appraisal.manager_id,
        appraisal.employee.status == "active",
        bool(missing_targets(appraisal)),
        appraisal.cycle,
    )
    return [Task(kind, appraisal, due, today=today) for kind, due in _own_steps(facts)]


@dataclass(frozen=True)
class TeamRow:
    """One appraisal on "My team", read as plain columns (no appraisal is loaded)."""

    appraisal_id: int
    name: str  # the employee's
    state: str
    total: Decimal | None
    grade: str | None  # the final one (`Appraisal.final_grade`)
    cycle: Cycle
    targets_missing: int
    self_submitted: bool | None  # None: the template has no self part
    peers: tuple[int, int]
    manager_submitted: bool


#: Rows of a page of "My team".
TEAM_ROWS = 50


def team_progress(session: Session, viewer: Viewer, page: int) -> Page[TeamRow]:
    """A page of the progress of each appraisal the viewer manages in open cycles: the
    database chooses and orders their ids in one statement (`paginate_ids`), and the page's
    rows and reviews are read as plain columns, so a top manager who sees their chain
    pages through the company instead of loading it."""
    as_manager = viewer.employee_id is not None
    if not (as_manager or viewer.is_hr):
        return Page([], 1, TEAM_ROWS, 0)
    parameters = {"org_id": viewer.org_id, "employee_id": viewer.employee_id}
    ids = _team_ids(as_manager, as_manager and bool(viewer.reports), viewer.is_hr)
    found = paginate_ids(session, ids, page, TEAM_ROWS, parameters)
    rows = {row.id: row for row in session.execute(_team_rows(), {"ids": found.items})}
    reviews: dict[int, list[tuple[str, str, bool]]] = {id_: [] for id_ in rows}
    for appraisal_id, slot, rater, status in session.execute(_team_reviews(), {"ids": found.items}):
        reviews[appraisal_id].append((slot, rater, status == ReviewStatus.SUBMITTED))
    cycles = cycles_by_id(session, {row.cycle_id for row in rows.values()})
    templates = version_templates(session, {r.template_version_id for r in rows.values()})
    shown = []
    for row in (rows[id_] for id_ in found.items):
        template = templates[row.template_version_id]
        submitted = {slot: done for slot, _rater, done in reviews[row.id]}
        shown.append(
            TeamRow(
                row.id,
                row.name,
                row.state,
                row.total,
                Appraisal.final_grade_of(row.grade, row.override_grade),
                cycles[row.cycle_id],
                count_missing_targets(template, row.targets),
                submitted.get("self", False) if fills(template, "self") else None,
                progress_of((rater, done) for _slot, rater, done in reviews[row.id])["peer"],
                submitted.get("manager", False),
            )
        )
    return Page(shown, found.page, found.per_page, found.total)


@cache
def _team_ids(as_manager: bool, sees_chain: bool, as_hr: bool) -> Select[tuple[int]]:
    """The ids of the appraisals a viewer manages in open cycles, in the page's order, as
    `relations` has it: their reports (and chain); HR, the manager-less. One statement per
    shape, built once per process: building one and its cache key costs as much as a
    fast page's query (issue 20). Parameters: org_id, employee_id."""
    org_id = bindparam("org_id", type_=Integer)
    employee_id = bindparam("employee_id", type_=Integer)
    managed = []
    if as_manager:
        managed.append(managed_by(employee_id, sees_chain, org_id))
    if as_hr:
        not_own = Appraisal.employee_id != employee_id if as_manager else true()
        managed.append(and_(Appraisal.manager_id.is_(None), not_own))
    return (
        select(Appraisal.id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.organization_id == org_id, Cycle.state.in_(OPEN_CYCLES), or_(*managed))
        .order_by(Cycle.starts_on, Cycle.id, Employee.name, Appraisal.id)
    )


@cache
def _team_rows() -> Select:
    """A page of My team's rows as plain columns (parameter: ids)."""
    return (
        select(
            Appraisal.id,
            Employee.name,
            Appraisal.state,
            Appraisal.total,
            Appraisal.grade,
            Appraisal.override_grade,
            Appraisal.targets,
            Appraisal.template_version_id,
            Appraisal.cycle_id,
        )
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(in_list(Appraisal.id, "ids"))
    )


@cache
def _team_reviews() -> Select:
    """The reviews of a page of My team (parameter: ids)."""
    return select(Review.appraisal_id, Review.slot, Review.rater, Review.status).where(
        in_list(Review.appraisal_id, "ids")
    )


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
    cycles = cycles_by_id(session, {row[0] for row in counts})
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
