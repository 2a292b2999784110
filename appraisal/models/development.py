"""The act phase: performance interviews, improvement and development plans, and the
training catalogue that suggestions come from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, OrganizationScoped, Versioned, utcnow
from .cycles import Appraisal
from .people import Employee


class Interview(Versioned, OrganizationScoped, Base):
    """A performance interview about one appraisal; both sides confirm the record."""

    __tablename__ = "interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    scheduled_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    manager_confirmed_at: Mapped[datetime | None]
    employee_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    appraisal: Mapped[Appraisal] = relationship()


class DevelopmentPlan(Versioned, OrganizationScoped, Base):
    """A performance improvement plan (PIP) or an individual development plan (IDP)."""

    __tablename__ = "development_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    appraisal_id: Mapped[int | None] = mapped_column(
        ForeignKey("appraisals.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(3))
    goals: Mapped[str] = mapped_column(Text)
    resources: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None]
    checkins: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employee: Mapped[Employee] = relationship()

    __table_args__ = (CheckConstraint("kind IN ('pip', 'idp')", name="kind"),)


class Course(OrganizationScoped, Base):
    """A training course; suggested when an item measuring one of its indicators scores
    below its threshold."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    where: Mapped[str] = mapped_column(String(300), default="")  # a link or a place
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    below: Mapped[int] = mapped_column(default=60)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
