"""HR's organization dashboard and the printable department report: the cycle's funnel by
department, completion and what is overdue, grades against the quotas, departments side by
side, the last cycles' trend and appeal rate.

Every number comes from a grouped query (counts, sums per department × state or grade), so
the page costs the same few statements at 10 or 10,000 appraisals; lists are paginated.
Grades are the final ones (`Appraisal.final_grade`: the calibrated grade where HR set one),
totals the stored official totals, as the calibration page and the payroll export read them.
A department filter means the department and everything below it; the charts compare its
sub-departments (each with everything below it), and the people directly in it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, distinct, func, select
from sqlalchemy.orm import Session, joinedload

from ...charts import Chart, Dashboard, Series, percent
from ...labels import label
from ...models import Appeal, Appraisal, Cycle, Department, Employee, Organization
from ...paging import Page, paginate
from ...people.services import below
from ...states import RESULT_SHOWN, AppraisalState, CycleState
from ..calibration.calibration import distribute_counts, grade_names, grades_chart, quotas_of
from ..cycles.tasks import due_for, overdue_in_step
from ..reviews.access import Viewer
from .attainment import exact, to_cent

#: Cycles the trend and the appeal rate compare (the chosen one and those before it).
TREND_CYCLES = 6
PER_PAGE = 50
#: The calibrated grade where HR set one, else the computed one (`Appraisal.final_grade`).
final_grade = func.coalesce(Appraisal.override_grade, Appraisal.grade)

#: Links a chart's bar opens: `(endpoint args) -> url`, given by the view (services build
#: no URLs), and the people list's filters are its arguments.
Link = Callable[..., str]


@dataclass(frozen=True)
class Group:
    """One bar of a by-department chart: a sub-department with everything below it, or the
    people directly in the filtered department (`direct`), or those in no department."""

    name: str
    department_id: int | None
    members: frozenset[int | None]
    direct: bool = False

    @property
    def args(self) -> dict[str, Any] | None:
        """The people list's filter for this group (None: not one a link can name)."""
        if self.department_id is None:
            return None
        return {"department": self.department_id, "direct": 1 if self.direct else None}


@dataclass(frozen=True)
class Filters:
    """What the page shows: one cycle (None: the organization has none yet) and, optionally,
    one department with everything below it."""

    org_id: int
    cycle: Cycle | None
    department: Department | None
    departments: frozenset[int] | None  # the department's subtree; None: everyone
    groups: tuple[Group, ...]
    names: dict[int, str]  # every department's name, for lists
    children: dict[int | None, list[int]]  # the department tree

    @property
    def args(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle.id if self.cycle else None,
            "department": self.department.id if self.department else None,
        }

    def scope(self) -> list[ColumnElement[bool]]:
        """The conditions on `Appraisal` ⋈ `Employee` for the chosen cycle and department."""
        found = [
            Appraisal.organization_id == self.org_id,
            Appraisal.cycle_id == (self.cycle.id if self.cycle else None),
        ]
        if self.departments is not None:
            found.append(Employee.department_id.in_(sorted(self.departments)))
        return found

    def group_of(self) -> dict[int | None, int]:
        """Department id → index of its group in `groups`."""
        return {m: i for i, g in enumerate(self.groups) for m in g.members}


class NotFound(Exception):
    """A cycle or department id that is not the organization's."""


def filters_for(
    session: Session, viewer: Viewer, cycle_id: int | None, department_id: int | None
) -> Filters:
    """The filters from the request's ids: no cycle given is the latest launched one; an id
    of another organization raises `NotFound`, and so does anyone who reads no results.
    A scoped reader (an HR business partner, a department head, a scoped auditor) sees their
    department subtrees only: a department outside them is `NotFound` too, and with none
    chosen the groups are the subtrees' tops. Every function below takes these filters, so
    this is where the page's data is guarded."""
    reach = viewer.results_reach
    if not reach:
        raise NotFound
    if cycle_id is not None:
        cycle = session.scalar(
            select(Cycle).where(Cycle.id == cycle_id, Cycle.organization_id == viewer.org_id)
        )
        if cycle is None:
            raise NotFound
    else:
        cycle = session.scalar(
            select(Cycle)
            .where(Cycle.organization_id == viewer.org_id, Cycle.state != CycleState.PLANNING)
            .order_by(Cycle.starts_on.desc(), Cycle.id.desc())
            .limit(1)
        )
    rows = session.execute(
        select(Department.id, Department.parent_id, Department.name).where(
            Department.organization_id == viewer.org_id
        )
    ).all()
    names = {r.id: r.name for r in rows}
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.name):
        children[row.parent_id].append(row.id)
    department = None
    if department_id is not None:
        if department_id not in names or not reach.covers(department_id):
            raise NotFound
        department = session.get(Department, department_id)
    if department_id is not None:
        groups = _groups(children, names, department_id)
        subtree: frozenset[int] | None = frozenset(below(children, [department_id]))
    elif reach.everywhere:
        groups, subtree = _groups(children, names, None), None
    else:
        groups, subtree = _tops(children, names, reach.departments), reach.departments
    return Filters(viewer.org_id, cycle, department, subtree, groups, names, dict(children))


def _groups(
    children: dict[int | None, list[int]], names: dict[int, str], root: int | None
) -> tuple[Group, ...]:
    found = []
    if root is not None:
        found.append(Group(names[root], root, frozenset({root}), direct=True))
    for child in children.get(root, []):
        found.append(Group(names[child], child, frozenset(below(children, [child]))))
    if root is None:
        # departments whose parent is gone (another org's id, a cycle) and no department
        placed = {m for g in found for m in g.members}
        strays = frozenset(names) - placed
        found.append(Group("—", None, frozenset({None, *strays})))
    return tuple(found)


def _tops(
    children: dict[int | None, list[int]], names: dict[int, str], reached: frozenset[int]
) -> tuple[Group, ...]:
    """A scoped reader's groups: each reached department whose parent is not reached, with
    everything below it."""
    parents = {child: parent for parent, kids in children.items() for child in kids}
    tops = sorted((d for d in reached if parents.get(d) not in reached), key=names.__getitem__)
    return tuple(Group(names[d], d, frozenset(below(children, [d]))) for d in tops)


def department_choices_in(choices: list[tuple[int, str]], viewer: Viewer) -> list[tuple[int, str]]:
    """The department filter's choices the viewer may pick (all of them for HR)."""
    return [(id_, name) for id_, name in choices if viewer.results_reach.covers(id_)]


def cycle_choices(session: Session, viewer: Viewer) -> list[tuple[int, str]]:
    return [
        (row.id, row.name)
        for row in session.execute(
            select(Cycle.id, Cycle.name)
            .where(Cycle.organization_id == viewer.org_id)
            .order_by(Cycle.starts_on.desc(), Cycle.id.desc())
        )
    ]


# -- the numbers ------------------------------------------------------------------------


def _from_scope(stmt: Select[Any], filters: Filters) -> Select[Any]:
    return stmt.join(Employee, Employee.id == Appraisal.employee_id).where(*filters.scope())


def average_total(total: Decimal | None, count: int) -> Decimal | None:
    """A mean of totals, rounded as totals are (2 decimals, halves away from zero)."""
    if not count or total is None:
        return None
    return to_cent(exact(total) / count)  # a float sum (SQLite) as the decimal it prints as


@dataclass
class Tally:
    """Counts of one group (a department's bar, a cycle): by state and by final grade, and
    the totals' sum for the average."""

    states: Counter[str] = field(default_factory=Counter)
    grades: Counter[str] = field(default_factory=Counter)
    scored: int = 0
    total_sum: Decimal = Decimal(0)

    @property
    def count(self) -> int:
        return sum(self.states.values())

    @property
    def average(self) -> Decimal | None:
        return average_total(self.total_sum, self.scored)

    @property
    def done(self) -> int:
        return sum(self.states[s] for s in RESULT_SHOWN)

    @property
    def completion(self) -> Decimal | None:
        """Share of the group's appraisals whose result is published (%)."""
        return percent(self.done, self.count)


def _tallies(session: Session, filters: Filters) -> tuple[Tally, list[Tally]]:
    """The whole scope and each group, from one query grouped by department, state and
    final grade."""
    overall, by_group = Tally(), [Tally() for _ in filters.groups]
    if filters.cycle is None:
        return overall, by_group
    where = filters.group_of()
    rows = session.execute(
        _from_scope(
            select(
                Employee.department_id,
                Appraisal.state,
                final_grade,
                func.count(),
                func.count(Appraisal.total),
                func.sum(Appraisal.total),
            ),
            filters,
        ).group_by(Employee.department_id, Appraisal.state, final_grade)
    )
    for department_id, state, grade, count, scored, total in rows:
        index = where.get(department_id)
        targets = [overall] + ([by_group[index]] if index is not None else [])
        for tally in targets:
            tally.states[state] += count
            if grade:
                tally.grades[grade] += count
            tally.scored += scored
            tally.total_sum += Decimal(total or 0)
    return overall, by_group


@dataclass(frozen=True)
class Summary:
    appraisals: int
    done: int
    completion: Decimal | None
    average: Decimal | None
    graded: int
    overdue: int


@dataclass(frozen=True)
class OrganizationDashboard:
    filters: Filters
    summary: Summary
    charts: Dashboard
    overdue: Page[Appraisal]
    states: list[str]
    grade_counts: dict[str, int]
    violations: list[str]
    groups: list[tuple[Group, Tally]]


def organization_dashboard(
    session: Session,
    filters: Filters,
    link: Link,
    overdue_page: int = 1,
    today: date | None = None,
) -> OrganizationDashboard:
    """HR's page (and each chart's data): `link(**args)` is the people list's URL for a
    filter (state, grade, department, direct, cycle)."""
    cycle = filters.cycle
    overall, by_group = _tallies(session, filters)
    states = [s.value for s in AppraisalState]
    names = grade_names(cycle) if cycle else []
    names += sorted(g for g in overall.grades if g not in names)
    quotas = quotas_of(cycle) if cycle else []
    distribution = distribute_counts("", overall.grades, names, quotas)
    overdue = overdue_list(session, filters, overdue_page, today)
    board = Dashboard()
    base = filters.args

    def people(args: dict[str, Any]) -> str:
        return link(**(base | args))

    board.add(
        Chart(
            "funnel",
            "funnel",
            _("Where the appraisals are"),
            [label(s, "appraisal_state") for s in states],
            [
                Series(
                    _("Appraisals"),
                    [overall.states[s] for s in states],
                    [people({"state": s}) for s in states],
                )
            ],
            empty=_("No appraisals in this cycle."),
        )
    )
    shown = [(g, t) for g, t in zip(filters.groups, by_group, strict=True) if t.count]
    group_names = [g.name for g, _t in shown]
    board.add(
        Chart(
            "states_by_department",
            "stacked",
            _("Steps by department"),
            group_names,
            [
                Series(
                    label(s, "appraisal_state"),
                    [t.states[s] or None for _g, t in shown],
                    [people({"state": s} | g.args) if g.args else None for g, _t in shown],
                )
                for s in states
            ],
            empty=_("No appraisals in this cycle."),
        )
    )
    board.add(
        Chart(
            "completion",
            "hbar",
            _("Completion by department"),
            group_names,
            [
                Series(
                    _("Published"),
                    [t.completion for _g, t in shown],
                    [people(g.args) if g.args else None for g, _t in shown],
                )
            ],
            unit="%",
            axis_max=100,
            empty=_("No appraisals in this cycle."),
        )
    )
    board.add(grades_chart(distribution, names, quotas, lambda g: people({"grade": g})))
    board.add(
        Chart(
            "department_totals",
            "hbar",
            _("Average total by department"),
            group_names,
            [
                Series(
                    _("Average total"),
                    [t.average for _g, t in shown],
                    [people(g.args) if g.args else None for g, _t in shown],
                )
            ],
            empty=_("No totals yet."),
        )
    )
    board.add(
        Chart(
            "department_grades",
            "stacked",
            _("Grade mix by department"),
            group_names,
            [
                Series(
                    grade,
                    [percent(t.grades[grade], sum(t.grades.values())) for _g, t in shown],
                    [people({"grade": grade} | g.args) if g.args else None for g, _t in shown],
                )
                for grade in names
            ],
            unit="%",
            axis_max=100,
            empty=_("No grades yet."),
        )
    )
    for chart in trend_charts(session, filters, names, link):
        board.add(chart)
    return OrganizationDashboard(
        filters,
        Summary(
            overall.count,
            overall.done,
            overall.completion,
            overall.average,
            distribution.total,
            overdue.total,
        ),
        board,
        overdue,
        states,
        distribution.counts,
        distribution.violations,
        shown,
    )


def overdue_list(
    session: Session, filters: Filters, page: int = 1, today: date | None = None
) -> Page[Appraisal]:
    """Appraisals of active employees still in a step whose deadline has passed
    (`tasks.overdue_in_step`, the rule HR's task list counts with), oldest deadline first."""
    today = today or session.get(Organization, filters.org_id).today()
    if filters.cycle is None:
        return Page([], 1, PER_PAGE, 0)
    stmt = (
        _from_scope(select(Appraisal), filters)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(Employee.status == "active", overdue_in_step(today))
        .options(
            joinedload(Appraisal.employee).joinedload(Employee.department),
            joinedload(Appraisal.manager),
        )
        .order_by(Appraisal.state, Employee.number)
    )
    return paginate(session, stmt, page, PER_PAGE)


def deadline(appraisal: Appraisal, filters: Filters) -> date | None:
    """The passed deadline of an overdue row (`tasks.due_for`)."""
    return due_for(filters.cycle, appraisal.state) if filters.cycle else None


def trend_charts(session: Session, filters: Filters, names: list[str], link: Link) -> list[Chart]:
    """Average total, grade mix and appeal rate of the chosen cycle and the ones before it
    (same department filter): two grouped queries over at most `TREND_CYCLES` cycles."""
    cycles: list[Cycle] = []
    if filters.cycle is not None:
        cycles = list(
            session.scalars(
                select(Cycle)
                .where(
                    Cycle.organization_id == filters.org_id,
                    Cycle.state != CycleState.PLANNING,
                    Cycle.starts_on <= filters.cycle.starts_on,
                )
                .order_by(Cycle.starts_on.desc(), Cycle.id.desc())
                .limit(TREND_CYCLES)
            )
        )[::-1]
    ids = [c.id for c in cycles]
    tallies = {id_: Tally() for id_ in ids}
    appealed: dict[int, tuple[int, int]] = {}
    if ids:
        where = [Appraisal.cycle_id.in_(ids), Appraisal.organization_id == filters.org_id]
        if filters.departments is not None:
            where.append(Employee.department_id.in_(sorted(filters.departments)))
        for cycle_id, state, grade, count, scored, total in session.execute(
            select(
                Appraisal.cycle_id,
                Appraisal.state,
                final_grade,
                func.count(),
                func.count(Appraisal.total),
                func.sum(Appraisal.total),
            )
            .join(Employee, Employee.id == Appraisal.employee_id)
            .where(*where)
            .group_by(Appraisal.cycle_id, Appraisal.state, final_grade)
        ):
            tally = tallies[cycle_id]
            tally.states[state] += count
            if grade:
                tally.grades[grade] += count
            tally.scored += scored
            tally.total_sum += Decimal(total or 0)
        # From the appeals' side (few rows): appraisals appealed, and those of them no longer
        # showing a result (reopened by the appeal: their result was published all the same).
        shown = Appraisal.state.in_([s.value for s in RESULT_SHOWN])
        for cycle_id, with_appeal, reopened in session.execute(
            select(
                Appraisal.cycle_id,
                func.count(distinct(Appeal.appraisal_id)),
                func.count(distinct(case((~shown, Appeal.appraisal_id)))),
            )
            .join(Appraisal, Appraisal.id == Appeal.appraisal_id)
            .join(Employee, Employee.id == Appraisal.employee_id)
            .where(*where, Appeal.organization_id == filters.org_id)
            .group_by(Appraisal.cycle_id)
        ):
            appealed[cycle_id] = (with_appeal, reopened)

    def appeal_rate(cycle_id: int) -> Decimal | None:
        with_appeal, reopened = appealed.get(cycle_id, (0, 0))
        return percent(with_appeal, tallies[cycle_id].done + reopened)

    labels = [c.name for c in cycles]
    grades = list(names) + sorted({g for t in tallies.values() for g in t.grades} - set(names))

    def people(cycle_id: int, args: dict[str, Any] | None = None) -> str:
        return link(**(filters.args | {"cycle": cycle_id} | (args or {})))

    return [
        Chart(
            "trend_totals",
            "line",
            _("Average total by cycle"),
            labels,
            [
                Series(
                    _("Average total"),
                    [tallies[i].average for i in ids],
                    [people(i) for i in ids],
                )
            ],
            empty=_("No totals yet."),
        ),
        Chart(
            "trend_grades",
            "stacked",
            _("Grade mix by cycle"),
            labels,
            [
                Series(
                    grade,
                    [
                        percent(tallies[i].grades[grade], sum(tallies[i].grades.values()))
                        for i in ids
                    ],
                    [people(i, {"grade": grade}) for i in ids],
                )
                for grade in grades
            ],
            unit="%",
            axis_max=100,
            empty=_("No grades yet."),
        ),
        Chart(
            "appeal_rate",
            "bar",
            _("Appeal rate (appealed ÷ published results)"),
            labels,
            [
                Series(
                    _("Appeal rate"),
                    [appeal_rate(i) for i in ids],
                )
            ],
            unit="%",
            empty=_("No published results yet."),
        ),
    ]


# -- the people behind a bar ------------------------------------------------------------


@dataclass(frozen=True)
class PeopleFilter:
    step: str | None = None  # an appraisal state
    grade: str | None = None
    direct: bool = False  # only the people directly in the filtered department


def people_page(
    session: Session, filters: Filters, chosen: PeopleFilter, page: int = 1
) -> Page[Appraisal]:
    """The appraisals behind a bar (the page's cycle and department, narrowed to a state, a
    final grade, or the people directly in the department), by employee number."""
    if filters.cycle is None:
        return Page([], 1, PER_PAGE, 0)
    stmt = _from_scope(select(Appraisal), filters).options(
        joinedload(Appraisal.employee).joinedload(Employee.department),
        joinedload(Appraisal.manager),
    )
    if chosen.step:
        stmt = stmt.where(Appraisal.state == chosen.step)
    if chosen.grade:
        stmt = stmt.where(final_grade == chosen.grade)
    if chosen.direct and filters.department is not None:
        stmt = stmt.where(Employee.department_id == filters.department.id)
    return paginate(session, stmt.order_by(Employee.number, Appraisal.id), page, PER_PAGE)


# -- the printable department report ------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    appraisal_id: int
    number: str
    name: str
    department: str
    state: str
    total: Decimal | None
    grade: str | None


@dataclass(frozen=True)
class DepartmentReport:
    filters: Filters
    summary: Summary
    grades: Chart
    grade_counts: dict[str, int]
    names: list[str]
    groups: list[tuple[Group, Tally]]
    people: list[PersonRow]


def department_report(
    session: Session, filters: Filters, link: Link, today: date | None = None
) -> DepartmentReport:
    """For the performance interview and the department head: the summary, the grades
    against the quotas, the sub-departments side by side and everyone with their total and
    grade (the whole list: it is printed)."""
    dashboard = organization_dashboard(session, filters, link, 1, today)
    people: list[PersonRow] = []
    if filters.cycle is not None:
        rows = session.execute(
            _from_scope(
                select(
                    Appraisal.id,
                    Employee.number,
                    Employee.name,
                    Employee.department_id,
                    Appraisal.state,
                    Appraisal.total,
                    final_grade,
                ),
                filters,
            ).order_by(Employee.department_id, Employee.number)
        )
        people = [
            PersonRow(
                id_,
                number,
                name,
                filters.names.get(department_id, "—") if department_id else "—",
                state,
                total,
                grade,
            )
            for id_, number, name, department_id, state, total, grade in rows
        ]
        people.sort(key=lambda p: (p.department, p.number))
    names = list(dashboard.grade_counts)
    return DepartmentReport(
        filters,
        dashboard.summary,
        dashboard.charts.get("grades"),  # type: ignore[arg-type]
        dashboard.grade_counts,
        names,
        dashboard.groups,
        people,
    )
