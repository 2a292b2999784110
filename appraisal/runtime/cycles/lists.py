"""HR's lists of a cycle's appraisals (the cycle page, the figures grid, calibration): a
page at a time, filtered and sorted by the database, so a page costs the same at 100 or
10,000 employees. The filters are one vocabulary for every list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ...db import LIKE_ESCAPE, contains_pattern
from ...models import Appraisal, Cycle, Department, Employee
from ...paging import Page, paginate
from ...people.services import with_subdepartments
from ...states import AppraisalState

#: The calibrated grade where HR overrode it, else the computed one (`Appraisal.final_grade`
#: as SQL).
FINAL_GRADE = func.coalesce(Appraisal.override_grade, Appraisal.grade)

#: The orders a list offers.
SORTS = {
    "number": (Employee.number,),
    "total": (Appraisal.total.is_(None), Appraisal.total.desc(), Employee.number),
    "name": (Employee.name, Employee.number),
    "grade": (FINAL_GRADE.is_(None), FINAL_GRADE, Employee.number),
}


@dataclass(frozen=True)
class ListFilter:
    """What HR narrowed a list to: a department (with those below it), a final grade
    ("none": not graded yet), a state, words in the name or number; and its order."""

    department_id: int | None = None
    grade: str | None = None
    in_state: str | None = None
    q: str = ""
    sort: str = "number"

    @classmethod
    def from_args(
        cls, args: Mapping[str, str], department_id: int | None, default_sort: str = "number"
    ) -> ListFilter:
        """The filters of a query string; a value that is not one of the choices is
        ignored (the department id is parsed by the view: a bad one is a 404)."""
        state = args.get("state") or None
        sort = args.get("sort") or default_sort
        return cls(
            department_id=department_id,
            grade=(args.get("grade") or "").strip()[:20] or None,
            in_state=state if state in AppraisalState.__members__.values() else None,
            q=(args.get("q") or "").strip()[:100],
            sort=sort if sort in SORTS else default_sort,
        )


def list_query(cycle: Cycle) -> Select[tuple[Appraisal]]:
    """The cycle's appraisals with what a list row shows (the employee, their department
    and manager)."""
    return (
        select(Appraisal)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.cycle_id == cycle.id)
        .options(
            selectinload(Appraisal.employee).selectinload(Employee.department),
            selectinload(Appraisal.manager),
        )
    )


def narrowed(
    session: Session, cycle: Cycle, query: Select[tuple[Appraisal]], chosen: ListFilter
) -> Select[tuple[Appraisal]]:
    """`query` (over appraisals joined to their employees) narrowed to `chosen`, in its
    order."""
    query = query.order_by(None).order_by(*SORTS[chosen.sort])
    if chosen.department_id is not None:
        below = with_subdepartments(session, cycle.organization_id, [chosen.department_id])
        query = query.where(Employee.department_id.in_(below))
    if chosen.grade == "none":
        query = query.where(FINAL_GRADE.is_(None))
    elif chosen.grade:
        query = query.where(FINAL_GRADE == chosen.grade)  # noqa: SIM300 - a column
    if chosen.in_state:
        query = query.where(Appraisal.state == chosen.in_state)
    if chosen.q:
        pattern = contains_pattern(chosen.q)
        query = query.where(
            or_(
                Employee.name.ilike(pattern, escape=LIKE_ESCAPE),
                Employee.number.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    return query


def appraisal_page(
    session: Session,
    cycle: Cycle,
    chosen: ListFilter,
    page: int,
    per_page: int,
    query: Select[tuple[Appraisal]] | None = None,
) -> Page[Appraisal]:
    """One page of the cycle's appraisals (of `query`, by default `list_query`) narrowed to
    `chosen`."""
    base = list_query(cycle) if query is None else query
    return paginate(session, narrowed(session, cycle, base, chosen), page, per_page)


def cycle_departments(session: Session, cycle: Cycle) -> list[tuple[int, str]]:
    """The departments the cycle's employees belong to (the filter's and publication's
    choices)."""
    return [
        (id_, name)
        for id_, name in session.execute(
            select(Department.id, Department.name)
            .where(
                Department.id.in_(
                    select(Employee.department_id)
                    .join(Appraisal, Appraisal.employee_id == Employee.id)
                    .where(Appraisal.cycle_id == cycle.id)
                )
            )
            .order_by(Department.name)
        )
    ]
