"""Employees in the import format, so an export can be edited and imported back: the
headers and states in the user's language are among the words the import recognises."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..labels import export_header, export_value
from ..models import Employee
from .imports import FIELDS


def employees_table(session: Session, org_id: int) -> tuple[list[str], list[list[Any]]]:
    people = session.scalars(
        select(Employee)
        .where(Employee.organization_id == org_id)
        .options(
            selectinload(Employee.department),
            selectinload(Employee.position),
            selectinload(Employee.manager),
        )
        .order_by(Employee.number)
    )
    rows = [
        [
            e.number,
            e.name,
            e.email or "",
            e.department.name if e.department else "",
            e.position.name if e.position else "",
            e.manager.number if e.manager else "",
            e.hire_date.isoformat() if e.hire_date else "",
            export_value(e.status, "employee_status"),
        ]
        for e in people
    ]
    return export_header(FIELDS), rows
