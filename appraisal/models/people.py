"""The organization's structure: departments (a tree), positions and employees."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, OrganizationScoped, Versioned, utcnow


class StaffKind(StrEnum):
    OFFICE = "office"
    FIELD = "field"


class EmployeeStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


class Department(Versioned, OrganizationScoped, Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Department | None] = relationship(remote_side=[id])

    __table_args__ = (UniqueConstraint("organization_id", "name"),)


class Position(Versioned, OrganizationScoped, Base):
    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    staff_kind: Mapped[str] = mapped_column(String(10), default=StaffKind.OFFICE.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint("staff_kind IN ('office', 'field')", name="staff_kind"),
    )


class Employee(Versioned, OrganizationScoped, Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    hire_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default=EmployeeStatus.ACTIVE.value)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()
    position: Mapped[Position | None] = relationship()
    manager: Mapped[Employee | None] = relationship(remote_side=[id])
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        UniqueConstraint("organization_id", "user_id"),
        CheckConstraint("status IN ('active', 'left')", name="status"),
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
        # a manager's reports and chain, a department's people: asked on every team page
        Index("ix_employees_org_manager", "organization_id", "manager_id"),
        Index("ix_employees_org_department", "organization_id", "department_id"),
    )

    @property
    def active(self) -> bool:
        return self.status == EmployeeStatus.ACTIVE
