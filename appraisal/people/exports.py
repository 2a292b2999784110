"""Employees in the import format, so an export can be edited and imported back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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
            e.status,
        ]
        for e in people
    ]
    return list(FIELDS), rows
