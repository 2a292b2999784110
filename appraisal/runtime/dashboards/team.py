"""The manager's team dashboard: each report's live total and attainment per item, who is
behind on which step, field activity against plan, result vs process, and sub-teams side
by side.

Whose team: a manager's own (their direct reports' appraisals, or everyone below them
where the organization lets managers see their chain: `access.managed_by`, the SQL twin of
the appraisal page's own test, so every drill-down opens). HR picks any manager, a
department (with those below it) or, by default, the whole organization.

Cost: counts over the whole team (steps, field records, sub-team averages of the stored
live total) are grouped queries; the engine scores at most `SCORED_LIMIT` people (by name),
loaded with a fixed number of queries whatever the team's size. The heatmap shows them
`PER_PAGE` rows a page; beyond the limit the page says so and asks for a narrower team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select, true
from sqlalchemy.orm import Session

from ...charts import Chart, Dashboard, Point, Series
from ...db import get_in_org
from ...i18n import label_text
from ...models import (
    ActivityRecord,
    Appraisal,
    Cycle,
    CycleState,
    Department,
    Employee,
    Organization,
    Review,
)
from ...paging import Page, paginate_list
from ...people.services import with_subdepartments
from ...rules import Result
from ...states import AppraisalState, RecordStatus, ReviewStatus
from .. import workflow
from ..compiled import appraisal_template
from ..cycles.figures import cycle_appraisals_query
from ..cycles.tasks import STEP_DUE, WAITING_FOR_FIGURES, due_for, overdue_in_step
from ..fieldwork.team import department_choices
from ..metrics.definitions import scheme_bindings
from ..reviews.access import GROUPS, Viewer, among, chain_below, final_result, managed_by
from .attainment import (
    PROCESS,
    RESULT,
    attainment,
    exact,
    group_attainment,
    kinds_of,
    scored_items,
    stored_number,
    to_cent,
)

PER_PAGE = 50  # heatmap rows a page
SCORED_LIMIT = 500  # people the engine scores for one page view
BEHIND_LIMIT = 100  # rows of the "who is behind" list
MOVING = (CycleState.RUNNING, CycleState.CALIBRATION)  # the default cycle: still moving

#: The steps a team can be behind on, in the workflow's order (goals, self, manager: the
#: states `tasks.STEP_DUE` gives deadlines to; then peers and figures).
STEPS = {
    "goals": _l("Goals to set or confirm"),
    "self": _l("Self-reviews to write"),
    "manager": _l("Manager reviews to write"),
    "peers": _l("Peer reviews not answered"),
    "figures": _l("Waiting for figures"),
}
STEP_OF_STATE = dict(zip(STEP_DUE, ("goals", "self", "manager"), strict=True))


class NotFound(Exception):
    """A manager, department or cycle the viewer may not look at (the view answers 404)."""


@dataclass(frozen=True)
class Filters:
    cycle_id: int | None = None
    manager_id: int | None = None
    department_id: int | None = None
    page: int = 1


@dataclass(frozen=True)
class Behind:
    """One appraisal behind on one step: who, which step, since when; peers are a count."""

    appraisal_id: int
    name: str
    step: str
    due: date | None
    waiting: int = 0  # peers: invitations not answered


@dataclass(frozen=True)
class Unplotted:
    appraisal_id: int
    name: str
    lacks: str  # process | result | both


@dataclass
class TeamDashboard:
    filters: Filters
    cycles: list[Cycle]
    cycle: Cycle | None
    manager: Employee | None
    department: Department | None
    managers: list[tuple[int, str]]  # whose team the viewer may pick
    departments: list[tuple[int, str]]  # HR only
    people: int = 0  # in the team, this cycle
    scored: int = 0  # of them, scored by the engine (at most SCORED_LIMIT)
    paging: Page[Appraisal] = field(default_factory=lambda: Page([], 1, PER_PAGE, 0))
    charts: Dashboard = field(default_factory=Dashboard)
    heatmaps: list[Chart] = field(default_factory=list)
    behind: list[Behind] = field(default_factory=list)
    behind_total: int = 0
    unplotted: list[Unplotted] = field(default_factory=list)


def team_dashboard(
    session: Session,
    viewer: Viewer,
    filters: Filters,
    link: Callable[[int], str],
    team_link: Callable[[int, int], str] | None = None,
    today: date | None = None,
) -> TeamDashboard:
    """The dashboard for the team `filters` names, or `NotFound`. `link(appraisal_id)` is the
    appraisal page a cell opens; `team_link(manager_id, cycle_id)` the dashboard of a sub-team."""
    today = today or session.get(Organization, viewer.org_id).today()
    manager, department, scope = _scope(session, viewer, filters)
    cycles = _cycles(session, viewer, scope)
    cycle = _pick_cycle(cycles, filters.cycle_id)
    board = TeamDashboard(
        filters=filters,
        cycles=cycles,
        cycle=cycle,
        manager=manager,
        department=department,
        managers=_manager_choices(session, viewer),
        departments=department_choices(session, viewer.org_id) if viewer.is_hr else [],
    )
    if cycle is None:
        return board
    team = _in_cycle(viewer, cycle, scope)
    board.people = session.scalar(select(func.count()).select_from(team.subquery())) or 0
    appraisals = list(
        session.scalars(
            cycle_appraisals_query(cycle)
            .where(Appraisal.id.in_(team))
            .order_by(None)
            .order_by(Employee.name, Employee.id)
            .limit(SCORED_LIMIT)
        )
    )
    board.scored = len(appraisals)
    results = {a.id: final_result(a) for a in appraisals}
    computed = frozenset(bindings := scheme_bindings(session, cycle.scheme_id))
    board.paging = paginate_list(appraisals, filters.page, PER_PAGE)
    shown = board.paging.items
    board.heatmaps = _heatmaps(shown, results, link)
    for chart in board.heatmaps:
        board.charts.add(chart)
    board.charts.add(_steps(session, team, today))
    board.behind, board.behind_total = _behind(session, team, today)
    activity = _activity(session, viewer, cycle, team, shown, results, bindings)
    if activity is not None:
        board.charts.add(activity)
    quadrant, board.unplotted = _quadrant(appraisals, results, computed, link)
    board.charts.add(quadrant)
    if viewer.is_hr or manager is None or _has_sub_teams(session, team):
        board.charts.add(
            _teams(
                session,
                team,
                appraisals,
                results,
                board.people == board.scored,
                (lambda m: team_link(m, cycle.id)) if team_link else None,
            )
        )
    return board


# -- whose team ------------------------------------------------------------------------------


def _scope(session: Session, viewer: Viewer, filters: Filters):
    """(manager, department, condition over `Appraisal` joined to `Employee`)."""
    if filters.department_id is not None:
        if not viewer.is_hr:
            raise NotFound
        department = get_in_org(session, Department, viewer.org_id, filters.department_id)
        if department is None:
            raise NotFound
        below = with_subdepartments(session, viewer.org_id, [department.id])
        return None, department, Employee.department_id.in_(below)
    manager_id = filters.manager_id
    if manager_id is None and viewer.is_hr:
        return None, None, true()
    if manager_id is None:
        manager_id = viewer.employee_id
    if manager_id is None:
        raise NotFound
    allowed = viewer.is_hr or manager_id == viewer.employee_id or manager_id in viewer.reports
    manager = get_in_org(session, Employee, viewer.org_id, manager_id) if allowed else None
    if manager is None:
        raise NotFound
    below = (
        viewer.reports
        if manager.id == viewer.employee_id
        else chain_below(session, viewer.org_id, manager.id)
    )
    return manager, None, managed_by(manager.id, below, viewer.org_id)


def _team(viewer: Viewer, scope) -> Select:
    """The team's appraisals (ids) in any cycle: active employees only, as tasks count, and
    never the viewer's own. An HR admin is not HR on their own appraisal: a live row of it
    would show them their peers' average before publication, and the next answer moving it
    would give away that one rating (`visible_inputs`). Their own is on "My performance"."""
    query = (
        select(Appraisal.id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.organization_id == viewer.org_id, Employee.status == "active", scope)
    )
    if viewer.employee_id is not None:
        query = query.where(Appraisal.employee_id != viewer.employee_id)
    return query


def _in_cycle(viewer: Viewer, cycle: Cycle, scope) -> Select:
    return _team(viewer, scope).where(Appraisal.cycle_id == cycle.id)


def _cycles(session: Session, viewer: Viewer, scope) -> list[Cycle]:
    """Cycles in which the team has appraisals, newest first."""
    ids = _team(viewer, scope).with_only_columns(Appraisal.cycle_id).distinct()
    return list(
        session.scalars(
            select(Cycle)
            .where(Cycle.organization_id == viewer.org_id, Cycle.id.in_(ids))
            .order_by(Cycle.starts_on.desc(), Cycle.id.desc())
        )
    )


def _pick_cycle(cycles: list[Cycle], cycle_id: int | None) -> Cycle | None:
    """The cycle asked for (one of the team's, else `NotFound`); by default the latest one
    still moving (running or in calibration), else the latest."""
    if cycle_id is not None:
        found = next((c for c in cycles if c.id == cycle_id), None)
        if found is None:
            raise NotFound
        return found
    return next((c for c in cycles if c.state in MOVING), cycles[0] if cycles else None)


def _manager_choices(session: Session, viewer: Viewer) -> list[tuple[int, str]]:
    """Whose team the viewer may open: HR anyone who manages someone; a manager who sees
    their chain, themselves and the managers below them; anyone else nothing to choose."""
    bosses = select(Employee.manager_id).where(
        Employee.organization_id == viewer.org_id, Employee.status == "active"
    )
    query = select(Employee.id, Employee.name).where(
        Employee.organization_id == viewer.org_id, Employee.id.in_(bosses)
    )
    if not viewer.is_hr:
        if not viewer.reports or viewer.employee_id is None:
            return []
        query = query.where(
            or_(Employee.id == viewer.employee_id, among(Employee.id, viewer.reports))
        )
    return [(row.id, row.name) for row in session.execute(query.order_by(Employee.name))]


# -- the heatmap -------------------------------------------------------------------------------


def _heatmaps(
    appraisals: list[Appraisal], results: dict[int, Result], link: Callable[[int], str]
) -> list[Chart]:
    """One heatmap per template version (their items differ): a row per person, the live
    total then each scored item's attainment; every cell opens the person's appraisal."""
    by_version: dict[int, list[Appraisal]] = {}
    for appraisal in appraisals:
        by_version.setdefault(appraisal.template_version_id, []).append(appraisal)
    charts = []
    for version_id, group in by_version.items():
        template = appraisal_template(group[0])
        items = scored_items(template)
        name = label_text(template.definition.get("name")) or template.key
        series = []
        for appraisal in group:
            result = results[appraisal.id]
            values = [exact(result.total)]
            values += [attainment(result.items.get(item.key)) for item in items]
            series.append(
                Series(
                    appraisal.employee.name,
                    values,
                    drill=[link(appraisal.id)] * len(values),
                )
            )
        charts.append(
            Chart(
                key=f"heatmap-{version_id}",
                kind="heatmap",
                title=str(
                    _l("%(template)s: live total and attainment per item (%%)", template=name)
                ),
                labels=[str(_l("Live total")), *(label_text(item.name) for item in items)],
                series=series,
                empty=str(_l("Nobody in this team has an appraisal in this cycle.")),
            )
        )
    return charts


# -- who is behind -----------------------------------------------------------------------------


def _steps(session: Session, team: Select, today: date) -> Chart:
    """Per step, how many appraisals are in it past its deadline and how many not yet;
    peers count unanswered invitations. Two grouped queries over the whole team."""
    overdue = case((overdue_in_step(today), 1), else_=0)
    late, open_ = dict.fromkeys(STEPS, 0), dict.fromkeys(STEPS, 0)
    for state, waiting, count, past in session.execute(
        select(Appraisal.state, WAITING_FOR_FIGURES, func.count(), func.sum(overdue))
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(Appraisal.id.in_(team))
        .group_by(Appraisal.state, WAITING_FOR_FIGURES)
    ):
        step = "figures" if waiting else STEP_OF_STATE.get(state)
        if step is not None:
            late[step] += past or 0
            open_[step] += count - (past or 0)
    peers_late = case((Cycle.manager_review_due < today, 1), else_=0)
    count, past = session.execute(
        _unanswered(team).with_only_columns(func.count(), func.sum(peers_late))
    ).one()
    late["peers"], open_["peers"] = past or 0, (count or 0) - (past or 0)
    return Chart(
        key="steps",
        kind="stacked",
        title=str(_l("Who is behind on which step")),
        labels=[str(label) for label in STEPS.values()],
        series=[
            Series(str(_l("Overdue")), [late[s] for s in STEPS]),
            Series(str(_l("Not yet due")), [open_[s] for s in STEPS]),
        ],
        empty=str(_l("Nothing waits in this cycle.")),
    )


def _unanswered(team: Select) -> Select:
    """Peer and subordinate invitations not answered while the appraisal still takes
    reviews (peers are due with the manager's review, as in "My tasks")."""
    return (
        select(Review.id)
        .join(Appraisal, Appraisal.id == Review.appraisal_id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(
            Appraisal.id.in_(team),
            Review.rater.in_(tuple(GROUPS)),
            Review.status != ReviewStatus.SUBMITTED.value,
            Appraisal.state.in_(tuple(workflow.REVIEWING)),
        )
    )


def _behind(session: Session, team: Select, today: date) -> tuple[list[Behind], int]:
    """The people behind: past a step's deadline, waiting for figures, or with peers who
    have not answered past the manager's deadline; overdue first, at most `BEHIND_LIMIT`."""
    peers = (
        _unanswered(team)
        .with_only_columns(Review.appraisal_id, func.count().label("waiting"))
        .where(Cycle.manager_review_due < today)
        .group_by(Review.appraisal_id)
        .subquery()
    )
    query = (
        select(Appraisal, Employee.name, Cycle, peers.c.waiting)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .outerjoin(peers, peers.c.appraisal_id == Appraisal.id)
        .where(
            Appraisal.id.in_(team),
            overdue_in_step(today) | WAITING_FOR_FIGURES | peers.c.waiting.is_not(None),
        )
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = []
    for appraisal, name, cycle, waiting in session.execute(
        query.order_by(Employee.name, Employee.id).limit(BEHIND_LIMIT)
    ):
        due = due_for(cycle, appraisal.state)
        if due is not None and due < today:
            rows.append(Behind(appraisal.id, name, STEP_OF_STATE[appraisal.state], due))
        if appraisal.state == AppraisalState.CALIBRATION and not appraisal.complete:
            rows.append(Behind(appraisal.id, name, "figures", None))
        if waiting:
            rows.append(Behind(appraisal.id, name, "peers", cycle.manager_review_due, waiting))
    return rows, total


# -- field activity against plan -------------------------------------------------------------


def _activity(
    session: Session,
    viewer: Viewer,
    cycle: Cycle,
    team: Select,
    shown: list[Appraisal],
    results: dict[int, Result],
    bindings: dict,
) -> Chart | None:
    """Field records in the cycle's period per person (one grouped query over the team;
    a returned record does not count until corrected, as for metrics) against the target
    of their activity-count item, where a count metric over an activity form fills one.
    None when nobody in the team recorded anything."""
    people = select(Appraisal.employee_id).where(Appraisal.id.in_(team))
    counts = dict(
        session.execute(
            select(ActivityRecord.employee_id, func.count())
            .where(
                ActivityRecord.organization_id == viewer.org_id,
                ActivityRecord.employee_id.in_(people),
                ActivityRecord.occurred_on.between(cycle.starts_on, cycle.ends_on),
                ActivityRecord.status != RecordStatus.RETURNED.value,
            )
            .group_by(ActivityRecord.employee_id)
        ).all()
    )
    if not counts:
        return None
    counted = {
        key
        for key, metric in bindings.items()
        if (metric.definition or {}).get("aggregation") == "count"
        and "activity" in ((metric.definition or {}).get("source") or {})
    }
    plans: list[Decimal | None] = []
    for appraisal in shown:
        template = appraisal_template(appraisal)
        key = next((k for k in template.items if k in counted), None)
        target = None
        if key is not None:
            item = template.items[key]  # a fixed target wins, as in the engine
            given = item.target if item.target is not None else (appraisal.targets or {}).get(key)
            target = stored_number(given)
        plans.append(target)
    series = [Series(str(_l("Field records")), [counts.get(a.employee_id, 0) for a in shown])]
    if any(p is not None for p in plans):
        series.append(Series(str(_l("Plan")), plans))
    return Chart(
        key="activity",
        kind="bar",
        title=str(_l("Field activity in the cycle against plan")),
        labels=[a.employee.name for a in shown],
        series=series,
    )


# -- result vs process -------------------------------------------------------------------------


def _quadrant(
    appraisals: list[Appraisal],
    results: dict[int, Result],
    computed: frozenset[str],
    link: Callable[[int], str],
) -> tuple[Chart, list[Unplotted]]:
    """x: process attainment, y: result attainment; split at 100 % (the target met). People
    without a scored process or result item are listed, not put at 0."""
    points, unplotted = [], []
    for appraisal in appraisals:
        template = appraisal_template(appraisal)
        kinds = kinds_of(template, computed)
        result = results[appraisal.id]
        x = group_attainment(template, result, kinds[PROCESS])
        y = group_attainment(template, result, kinds[RESULT])
        name = appraisal.employee.name
        if x is None or y is None:
            lacks = "both" if x is None and y is None else (PROCESS if x is None else RESULT)
            unplotted.append(Unplotted(appraisal.id, name, lacks))
        else:
            points.append(Point(name, x, y, link(appraisal.id)))
    chart = Chart(
        key="quadrant",
        kind="scatter",
        title=str(_l("Result vs process")),
        labels=[],
        series=[Series(str(_l("People")), points=points)],
        unit="%",
        axis_titles=(str(_l("Process attainment (%)")), str(_l("Result attainment (%)"))),
        split=(Decimal(100), Decimal(100)),
        empty=str(_l("Nobody has both process and result scores yet.")),
    )
    return chart, unplotted


# -- sub-teams ---------------------------------------------------------------------------------


def _has_sub_teams(session: Session, team: Select) -> bool:
    managers = select(func.count(func.distinct(Appraisal.manager_id))).where(Appraisal.id.in_(team))
    return (session.scalar(managers) or 0) > 1


def _teams(
    session: Session,
    team: Select,
    appraisals: list[Appraisal],
    results: dict[int, Result],
    everyone_scored: bool,
    team_link: Callable[[int], str] | None,
) -> Chart:
    """Each manager's direct team within this one: the average stored live total (grouped
    query over the whole team) and the average attainment (the engine's base total ÷ full
    marks) of its people, where everyone in the team was scored."""
    rows = session.execute(
        select(Appraisal.manager_id, Employee.name, func.count(), func.avg(Appraisal.total))
        .outerjoin(Employee, Employee.id == Appraisal.manager_id)
        .where(Appraisal.id.in_(team))
        .group_by(Appraisal.manager_id, Employee.name)
        .order_by(Employee.name)
    ).all()
    reached: dict[int | None, list[Decimal]] = {}
    if everyone_scored:
        for appraisal in appraisals:
            value = attainment(results[appraisal.id].base_total)
            if value is not None:
                reached.setdefault(appraisal.manager_id, []).append(value)
    labels, totals, reach, drill = [], [], [], []
    for manager_id, name, _count, average in rows:
        labels.append(
            str(_l("%(name)s's team", name=name)) if name else str(_l("Without a manager"))
        )
        totals.append(None if average is None else to_cent(exact(average)))
        values = reached.get(manager_id)
        reach.append(to_cent(sum(values) / len(values)) if values else None)
        drill.append(team_link(manager_id) if team_link and manager_id is not None else None)
    return Chart(
        key="teams",
        kind="hbar",
        title=str(_l("Teams compared")),
        labels=labels,
        series=[
            Series(str(_l("Average live total")), totals, drill),
            Series(str(_l("Average attainment (%)")), reach, drill),
        ],
    )
