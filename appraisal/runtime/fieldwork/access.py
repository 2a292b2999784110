"""Whose field records a viewer may see and review. One rule, read by the pages, the API,
exports and the photo download, so none of them can show another team's records.

- everyone sees their own records;
- a manager sees their direct reports' (and, where the organization lets managers see
  their chain, everyone's below them) and reviews them;
- HR (the admin role) sees everyone's in the organization and may review them.
Nobody reviews their own record.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from ...models import ActivityRecord, Employee
from ..reviews.access import Viewer, among


def manages(viewer: Viewer, employee: Employee) -> bool:
    if viewer.employee_id is None or employee.id == viewer.employee_id:
        return False
    return employee.manager_id == viewer.employee_id or employee.id in viewer.reports


def sees_records_of(viewer: Viewer, employee: Employee) -> bool:
    if employee.organization_id != viewer.org_id:
        return False
    return viewer.is_hr or employee.id == viewer.employee_id or manages(viewer, employee)


def may_review(viewer: Viewer, employee: Employee) -> bool:
    if employee.organization_id != viewer.org_id or employee.id == viewer.employee_id:
        return False
    return viewer.is_hr or manages(viewer, employee)


def visible_employees(viewer: Viewer) -> ColumnElement[bool]:
    """A condition on `Employee` (in the viewer's organization) for the people whose
    records the viewer sees: use it in queries instead of filtering in Python."""
    in_org = Employee.organization_id == viewer.org_id
    if viewer.is_hr:
        return in_org & true()
    if viewer.employee_id is None:
        return false()
    mine = [Employee.id == viewer.employee_id, Employee.manager_id == viewer.employee_id]
    if viewer.reports:
        mine.append(among(Employee.id, viewer.reports))
    return in_org & or_(*mine)


def team_employees(viewer: Viewer) -> ColumnElement[bool]:
    """`visible_employees` without the viewer: the people a manager (or HR) looks after."""
    if viewer.employee_id is None:
        return visible_employees(viewer)
    return visible_employees(viewer) & (Employee.id != viewer.employee_id)


def load_record(session: Session, viewer: Viewer, uuid: str) -> ActivityRecord | None:
    """A record the viewer may see, by its uuid; anything else (another organization,
    another team, no such record) is None, which pages answer with 404."""
    record = session.scalar(
        select(ActivityRecord).where(
            ActivityRecord.organization_id == viewer.org_id, ActivityRecord.uuid == uuid
        )
    )
    if record is None or not sees_records_of(viewer, record.employee):
        return None
    return record
