"""Departments, positions and employees: listing, saving with checks, retiring.

Every function takes the organization explicitly; nothing here crosses organizations.
The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, String, bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..concurrency import expect_version
from ..db import LIKE_ESCAPE, contains_any, contains_pattern, get_in_org, in_list
from ..errors import ServiceError
from ..models import Department, Employee, EmployeeStatus, Membership, Position, StaffKind, User
from ..paging import Page, paginate

#: What each form edits (its audit event records each one that moved).
DEPARTMENT_FIELDS = ("name", "code", "parent_id")
POSITION_FIELDS = ("name", "staff_kind")
EMPLOYEE_FIELDS = (
    "number",
    "name",
    "email",
    "department_id",
    "position_id",
    "manager_id",
    "hire_date",
    "status",
    "user_id",
)

# -- departments -----------------------------------------------------------------------------


def list_departments(
    session: Session, org_id: int, q: str = "", page: int = 1, per_page: int = 20
) -> Page[Department]:
    stmt = (
        select(Department)
        .where(Department.organization_id == org_id)
        .options(selectinload(Department.parent))
        .order_by(Department.active.desc(), Department.name)
    )
    if q.strip():
        stmt = stmt.where(
            or_(
                Department.name.ilike(contains_pattern(q), escape=LIKE_ESCAPE),
                Department.code.ilike(contains_pattern(q), escape=LIKE_ESCAPE),
            )
        )
    return paginate(session, stmt, page, per_page)


def department_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """Active departments as (id, "Parent / Child") labels, in tree order."""
    rows = session.scalars(
        select(Department).where(Department.organization_id == org_id, Department.active)
    ).all()
    by_id = {d.id: d for d in rows}

    def path(dept: Department) -> str:
        names, seen = [], set()
        while dept is not None and dept.id not in seen:
            seen.add(dept.id)
            names.append(dept.name)
            dept = by_id.get(dept.parent_id) if dept.parent_id else None
        return " / ".join(reversed(names))

    return sorted(((d.id, path(d)) for d in rows), key=lambda pair: pair[1])


def save_department(
    session: Session,
    org_id: int,
    *,
    name: str,
    code: str | None = None,
    parent_id: int | None = None,
    department: Department | None = None,
    version: int | None = None,
    user_id: int | None = None,
) -> Department:
    """`version`: the department's version the form showed (None: no expectation);
    `user_id`: who saves it, for the audit trail."""
    if department is not None:
        expect_version(department, version)
    name = name.strip()
    duplicate = session.scalar(
        select(Department.id).where(
            Department.organization_id == org_id,
            func.lower(Department.name) == name.lower(),
            Department.id != (department.id if department else -1),
        )
    )
    if duplicate:
        raise ServiceError(_l("A department with this name already exists."), "name")
    if parent_id:
        parent = get_in_org(session, Department, org_id, parent_id)
        if parent is None:
            raise ServiceError(_l("Choose a department of this organization."), "parent_id")
        if department is not None and _is_in_subtree(session, parent, department.id):
            raise ServiceError(
                _l("A department cannot sit under itself or one of its sub-departments."),
                "parent_id",
            )
    before = audit.snapshot(department, DEPARTMENT_FIELDS)
    department = department or Department(organization_id=org_id)
    department.name = name
    department.code = (code or "").strip() or None
    department.parent_id = parent_id or None
    session.add(department)
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "department.saved",
        "department",
        department.id,
        name=name,
        changes=audit.changes(before, audit.snapshot(department, DEPARTMENT_FIELDS)),
    )
    return department


def department_children(session: Session, org_id: int) -> dict[int | None, list[int]]:
    """Each department's direct sub-departments (None: the top level), in one query."""
    children: dict[int | None, list[int]] = {}
    for id_, parent_id in session.execute(
        select(Department.id, Department.parent_id)
        .where(Department.organization_id == org_id)
        .order_by(Department.id)
    ):
        children.setdefault(parent_id, []).append(id_)
    return children


def with_subdepartments(session: Session, org_id: int, roots: Iterable[int]) -> set[int]:
    """The departments `roots` and every one below them: what a department filter means
    (a scheme's departments, HR's team day, the organization dashboard)."""
    return below(department_children(session, org_id), roots)


def below(children: dict[int | None, list[int]], roots: Iterable[int]) -> set[int]:
    """`roots` and everything under them in a `department_children` tree (cycle-safe)."""
    found: set[int] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def _is_in_subtree(session: Session, node: Department, root_id: int) -> bool:
    seen: set[int] = set()
    current: Department | None = node
    while current is not None and current.id not in seen:
        if current.id == root_id:
            return True
        seen.add(current.id)
        current = session.get(Department, current.parent_id) if current.parent_id else None
    return False


def department_usage(session: Session, department: Department) -> dict[str, int]:
    return {
        "employees": session.scalar(
            select(func.count()).where(Employee.department_id == department.id)
        )
        or 0,
        "departments": session.scalar(
            select(func.count()).where(Department.parent_id == department.id)
        )
        or 0,
    }


def delete_department(session: Session, department: Department, user_id: int | None) -> None:
    usage = department_usage(session, department)
    if usage["employees"] or usage["departments"]:
        raise ServiceError(
            _l(
                "This department is still in use by %(employees)d employees and "
                "%(departments)d sub-departments. Move them first, or deactivate it.",
                **usage,
            )
        )
    audit.record(
        session,
        department.organization_id,
        user_id,
        "department.deleted",
        "department",
        department.id,
        name=department.name,
    )
    session.delete(department)


def set_department_active(
    session: Session, department: Department, active: bool, user_id: int | None
) -> None:
    if department.active != active:
        department.active = active
        action = "department.activated" if active else "department.deactivated"
        audit.record(
            session, department.organization_id, user_id, action, "department", department.id
        )


# -- positions -------------------------------------------------------------------------------


def list_positions(
    session: Session, org_id: int, q: str = "", page: int = 1, per_page: int = 20
) -> Page[Position]:
    stmt = (
        select(Position)
        .where(Position.organization_id == org_id)
        .order_by(Position.active.desc(), Position.name)
    )
    if q.strip():
        stmt = stmt.where(Position.name.ilike(contains_pattern(q), escape=LIKE_ESCAPE))
    return paginate(session, stmt, page, per_page)


def position_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Position.id, Position.name)
        .where(Position.organization_id == org_id, Position.active)
        .order_by(Position.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def save_position(
    session: Session,
    org_id: int,
    *,
    name: str,
    staff_kind: str,
    position: Position | None = None,
    version: int | None = None,
    user_id: int | None = None,
) -> Position:
    """`version`: the position's version the form showed (None: no expectation);
    `user_id`: who saves it, for the audit trail."""
    if position is not None:
        expect_version(position, version)
    name = name.strip()
    if staff_kind not in {kind.value for kind in StaffKind}:
        raise ServiceError(_l("Choose office or field staff."), "staff_kind")
    duplicate = session.scalar(
        select(Position.id).where(
            Position.organization_id == org_id,
            func.lower(Position.name) == name.lower(),
            Position.id != (position.id if position else -1),
        )
    )
    if duplicate:
        raise ServiceError(_l("A position with this name already exists."), "name")
    before = audit.snapshot(position, POSITION_FIELDS)
    position = position or Position(organization_id=org_id)
    position.name = name
    position.staff_kind = staff_kind
    session.add(position)
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "position.saved",
        "position",
        position.id,
        name=name,
        changes=audit.changes(before, audit.snapshot(position, POSITION_FIELDS)),
    )
    return position


def position_usage(session: Session, position: Position) -> int:
    return session.scalar(select(func.count()).where(Employee.position_id == position.id)) or 0


def delete_position(session: Session, position: Position, user_id: int | None) -> None:
    used = position_usage(session, position)
    if used:
        raise ServiceError(
            _l(
                "This position is still held by %(count)d employees. "
                "Reassign them first, or deactivate it.",
                count=used,
            )
        )
    audit.record(
        session,
        position.organization_id,
        user_id,
        "position.deleted",
        "position",
        position.id,
        name=position.name,
    )
    session.delete(position)


def set_position_active(
    session: Session, position: Position, active: bool, user_id: int | None
) -> None:
    if position.active != active:
        position.active = active
        action = "position.activated" if active else "position.deactivated"
        audit.record(session, position.organization_id, user_id, action, "position", position.id)


# -- employees -------------------------------------------------------------------------------


def list_employees(
    session: Session,
    org_id: int,
    q: str = "",
    page: int = 1,
    per_page: int = 20,
    status: str | None = None,
) -> Page[Employee]:
    stmt = (
        select(Employee)
        .where(Employee.organization_id == org_id)
        .options(
            selectinload(Employee.department),
            selectinload(Employee.position),
            selectinload(Employee.manager),
        )
        .order_by(Employee.status, Employee.number)
    )
    if q.strip():
        pattern = contains_pattern(q)
        stmt = stmt.where(
            or_(
                Employee.name.ilike(pattern, escape=LIKE_ESCAPE),
                Employee.number.ilike(pattern, escape=LIKE_ESCAPE),
                Employee.email.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if status:
        stmt = stmt.where(Employee.status == status)
    return paginate(session, stmt, page, per_page)


def employee_choices(
    session: Session,
    org_id: int,
    exclude_id: int | None = None,
    *,
    departments: Iterable[int] | None = None,
    search: str = "",
    limit: int | None = None,
    ids: Iterable[int] | None = None,
) -> list[tuple[int, str]]:
    """Active employees as (id, "number name"), by number: those of `departments` only when
    given, matching `search` (number or name), at most `limit`, or exactly `ids`."""
    stmt = select(Employee.id, Employee.number, Employee.name).where(
        Employee.organization_id == org_id,
        Employee.status == EmployeeStatus.ACTIVE.value,
        Employee.id != (exclude_id or -1),
    )
    if departments is not None:
        stmt = stmt.where(Employee.department_id.in_(list(departments)))
    if ids is not None:
        stmt = stmt.where(Employee.id.in_(list(ids)))
    search = " ".join(search.split())[:100]
    if search:
        stmt = stmt.where(contains_any(search, Employee.number, Employee.name))
    rows = session.execute(stmt.order_by(Employee.number).limit(limit)).all()
    return [(row.id, f"{row.number} {row.name}") for row in rows]


def member_choices(
    session: Session,
    org_id: int,
    *,
    search: str = "",
    limit: int | None = None,
    ids: Iterable[int] | None = None,
) -> list[tuple[int, str]]:
    """The organization's sign-ins as (user id, "name <e-mail>"), by name: matching
    `search` (name or e-mail), at most `limit`, or exactly `ids`."""
    search = " ".join(search.split())[:100]
    statement = _members(ids is not None, bool(search), limit is not None)
    parameters = {
        "org_id": org_id,
        "ids": list(ids or ()),
        "pattern": contains_pattern(search),
        "limit": limit,
    }
    rows = session.execute(statement, parameters).all()
    return [(row.id, f"{row.name} <{row.email}>") for row in rows]


@cache
def _members(by_ids: bool, searching: bool, limited: bool) -> Select:
    """`member_choices`' statement, one per shape, built once per process: the appraisal
    page's invitation picker asks on every view (issue 20)."""
    statement = (
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == bindparam("org_id", type_=Integer))
    )
    if by_ids:
        statement = statement.where(in_list(User.id, "ids"))
    if searching:
        pattern = bindparam("pattern", type_=String)
        statement = statement.where(contains_any(pattern, User.name, User.email))
    statement = statement.order_by(User.name, User.id)
    return statement.limit(bindparam("limit", type_=Integer)) if limited else statement


#: How many people a picker lists at once; its search finds the others (a select of ten
#: thousand options is megabytes on every page that shows it).
PICKER_LIMIT = 50


@dataclass(frozen=True)
class Picker:
    """A picker's choices: the first PICKER_LIMIT matching the search, then the ones
    already chosen (the posted or stored values: a refused form shows them again)."""

    choices: list[tuple[int, str]]
    capped: bool  # more matched than are listed: search to narrow
    limit: int = PICKER_LIMIT


def picker(
    find: Callable[..., list[tuple[int, str]]], search: str, kept: Iterable[int | None] = ()
) -> Picker:
    """`find(search=..., limit=...)` and `find(ids=...)` (`employee_choices`,
    `member_choices` with their other arguments bound) as a capped picker."""
    found = find(search=search or "", limit=PICKER_LIMIT + 1)
    capped = len(found) > PICKER_LIMIT
    found = found[:PICKER_LIMIT]
    missing = {id_ for id_ in kept if id_} - {id_ for id_, _label in found}
    return Picker(found + (find(ids=missing) if missing else []), capped)


def save_employee(
    session: Session,
    org_id: int,
    *,
    number: str,
    name: str,
    email: str | None = None,
    department_id: int | None = None,
    position_id: int | None = None,
    manager_id: int | None = None,
    hire_date: date | None = None,
    status: str = EmployeeStatus.ACTIVE.value,
    user_id: int | None = None,
    employee: Employee | None = None,
    version: int | None = None,
    acting_user_id: int | None = None,
) -> Employee:
    """Create or update an employee after every check; raises ServiceError at a field.
    `version`: the employee's version the form showed (None: no expectation);
    `acting_user_id`: who saves it, for the audit trail."""
    if employee is not None:
        expect_version(employee, version)
    number = number.strip()
    own_id = employee.id if employee else -1
    if session.scalar(
        select(Employee.id).where(
            Employee.organization_id == org_id, Employee.number == number, Employee.id != own_id
        )
    ):
        raise ServiceError(
            _l("Employee number %(number)s is already taken.", number=number), "number"
        )
    if department_id and get_in_org(session, Department, org_id, department_id) is None:
        raise ServiceError(_l("Choose a department of this organization."), "department_id")
    if position_id and get_in_org(session, Position, org_id, position_id) is None:
        raise ServiceError(_l("Choose a position of this organization."), "position_id")
    if status not in {s.value for s in EmployeeStatus}:
        raise ServiceError(_l("Choose a status."), "status")
    if manager_id:
        manager = get_in_org(session, Employee, org_id, manager_id)
        if manager is None:
            raise ServiceError(_l("Choose a manager of this organization."), "manager_id")
        if employee is not None and reports_to(session, manager, employee.id):
            raise ServiceError(
                _l(
                    "%(manager)s already reports to %(employee)s, directly or indirectly; "
                    "a reporting loop is not allowed.",
                    manager=manager.name,
                    employee=employee.name,
                ),
                "manager_id",
            )
    if user_id:
        is_member = session.scalar(
            select(Membership.id).where(
                Membership.organization_id == org_id, Membership.user_id == user_id
            )
        )
        if not is_member:
            raise ServiceError(_l("Choose a user of this organization."), "user_id")
        if session.scalar(
            select(Employee.id).where(
                Employee.organization_id == org_id,
                Employee.user_id == user_id,
                Employee.id != own_id,
            )
        ):
            raise ServiceError(_l("This sign-in is already linked to another employee."), "user_id")

    before = audit.snapshot(employee, EMPLOYEE_FIELDS)
    employee = employee or Employee(organization_id=org_id)
    employee.number = number
    employee.name = name.strip()
    employee.email = (email or "").strip().lower() or None
    employee.department_id = department_id or None
    employee.position_id = position_id or None
    employee.manager_id = manager_id or None
    employee.hire_date = hire_date
    employee.status = status
    employee.user_id = user_id or None
    session.add(employee)
    session.flush()
    audit.record(
        session,
        org_id,
        acting_user_id,
        "employee.saved",
        "employee",
        employee.id,
        number=number,
        changes=audit.changes(before, audit.snapshot(employee, EMPLOYEE_FIELDS)),
    )
    return employee


def reports_to(session: Session, person: Employee, boss_id: int) -> bool:
    """Whether `person` is `boss_id` or sits anywhere under them in the reporting chain."""
    seen: set[int] = set()
    current: Employee | None = person
    while current is not None and current.id not in seen:
        if current.id == boss_id:
            return True
        seen.add(current.id)
        current = session.get(Employee, current.manager_id) if current.manager_id else None
    return False


def set_employee_status(
    session: Session, employee: Employee, status: EmployeeStatus, user_id: int | None
) -> None:
    if employee.status != status.value:
        before = audit.snapshot(employee, ["status"])
        employee.status = status.value
        audit.record(
            session,
            employee.organization_id,
            user_id,
            "employee.status_changed",
            "employee",
            employee.id,
            status=status.value,
            changes=audit.changes(before, audit.snapshot(employee, ["status"])),
        )
