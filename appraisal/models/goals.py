"""The goal cascade: a company goal of one type for one period (sales, gross margin, visits,
each with its weight and unit) and its tree of nodes, from the company down to departments,
regions and teams, then people, any depth.

A node belongs to the company (the root: no owner), a department, or an employee (always a
leaf: a person's own target). A department node may name its `lead`, the manager who splits
it further. Targets are exact cents (`Decimal`); a node's children add up to it to the cent
whenever a split is saved.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, OrganizationScoped, Versioned, utcnow
from .people import Department, Employee

#: Money and counts to the cent, up to a trillion.
GOAL_AMOUNT = Numeric(15, 2)


class Goal(Versioned, OrganizationScoped, Base):
    """One goal type for one period; `key` is the template item its leaves' targets fill."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(20), default="")
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    nodes: Mapped[list[GoalNode]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (UniqueConstraint("organization_id", "key", "starts_on"),)


class GoalNode(Versioned, OrganizationScoped, Base):
    __tablename__ = "goal_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("goal_nodes.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    target: Mapped[Decimal] = mapped_column(GOAL_AMOUNT, default=Decimal(0))
    locked: Mapped[bool] = mapped_column(default=False)
    forecast: Mapped[Decimal | None] = mapped_column(GOAL_AMOUNT)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    goal: Mapped[Goal] = relationship(back_populates="nodes")
    department: Mapped[Department | None] = relationship()
    employee: Mapped[Employee | None] = relationship(foreign_keys=[employee_id])
    lead: Mapped[Employee | None] = relationship(foreign_keys=[lead_id])

    __table_args__ = (
        UniqueConstraint("goal_id", "department_id"),
        UniqueConstraint("goal_id", "employee_id"),
        CheckConstraint("department_id IS NULL OR employee_id IS NULL", name="one_owner"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )
