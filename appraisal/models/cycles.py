"""Schemes, cycles, appraisals and the reviews each rater gives (design §2, §8)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..states import AppealStatus, AppraisalState, CycleState, ReviewStatus
from .accounts import User
from .base import Base, OrganizationScoped, Versioned, one_of, utcnow
from .people import Department, Employee, Position
from .templates import TemplateVersion

#: A new cycle's reminders: three days before each due date, on the day, the day after.
DEFAULT_REMINDER_DAYS = (-3, 0, 1)

scheme_departments = Table(
    "scheme_departments",
    Base.metadata,
    Column("scheme_id", ForeignKey("schemes.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)

scheme_positions = Table(
    "scheme_positions",
    Base.metadata,
    Column("scheme_id", ForeignKey("schemes.id", ondelete="CASCADE"), primary_key=True),
    Column("position_id", ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True),
)


class Scheme(Versioned, OrganizationScoped, Base):
    """Which published template version applies to whom, and for what kind of period.

    Empty department and position lists mean "any"; departments include their sub-departments.
    """

    __tablename__ = "schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"))
    staff_kind: Mapped[str] = mapped_column(String(10), default="any")
    period: Mapped[str] = mapped_column(String(10), default="quarter")
    archived: Mapped[bool] = mapped_column(default=False)
    #: People without a sign-in pass over the self-review instead of HR or their manager
    #: writing it for them (off by default).
    skip_self_review_without_sign_in: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    template_version: Mapped[TemplateVersion] = relationship()
    departments: Mapped[list[Department]] = relationship(secondary=scheme_departments)
    positions: Mapped[list[Position]] = relationship(secondary=scheme_positions)

    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint("staff_kind IN ('office', 'field', 'any')", name="staff_kind"),
        CheckConstraint("period IN ('month', 'quarter', 'half_year', 'year')", name="period"),
    )


class Cycle(Versioned, OrganizationScoped, Base):
    """One run of a scheme for a period; its appraisals are created when it is launched."""

    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id"))
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    goals_due: Mapped[date | None]
    self_review_due: Mapped[date | None]
    manager_review_due: Mapped[date | None]
    anonymity_threshold: Mapped[int] = mapped_column(default=3)
    state: Mapped[str] = mapped_column(String(20), default=CycleState.PLANNING.value)
    excluded_employee_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    quotas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    appeal_days: Mapped[int] = mapped_column(default=7, server_default="7")
    #: When people are reminded of each due date, in days from it (-3: three days before,
    #: 0: on the day, 1: the day after, as an overdue reminder).
    reminder_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_DAYS), server_default="[-3, 0, 1]"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    launched_at: Mapped[datetime | None]
    calibration_locked_at: Mapped[datetime | None]
    #: Department heads calibrate their subtree first (proposals), then HR decides and locks.
    two_level_calibration: Mapped[bool] = mapped_column(default=False, server_default=false())
    closed_at: Mapped[datetime | None]

    scheme: Mapped[Scheme] = relationship()

    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint("ends_on >= starts_on", name="period_order"),
        CheckConstraint("anonymity_threshold >= 1", name="threshold_positive"),
        one_of("state", CycleState, name="state"),
    )


class Appraisal(OrganizationScoped, Base):
    """One employee's appraisal in a cycle, stamped with the template version it follows.

    The manager is copied from the employee when the cycle launches, so a later change of
    manager does not move a running review; HR can change it on the appraisal.
    `version` is bumped on every change of targets or state (optimistic locking).
    """

    __tablename__ = "appraisals"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"))
    state: Mapped[str] = mapped_column(String(20), default=AppraisalState.GOAL_SETTING.value)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    goals_confirmed_at: Mapped[datetime | None]
    total: Mapped[Decimal | None]
    grade: Mapped[str | None] = mapped_column(String(20))
    override_grade: Mapped[str | None] = mapped_column(String(20))
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: A department head's proposed grade in a two-level calibration, for HR to decide on.
    proposed_grade: Mapped[str | None] = mapped_column(String(20))
    proposed_reason: Mapped[str | None] = mapped_column(Text)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    complete: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cycle: Mapped[Cycle] = relationship()
    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])
    manager: Mapped[Employee | None] = relationship(foreign_keys=[manager_id])
    template_version: Mapped[TemplateVersion] = relationship()
    reviews: Mapped[list[Review]] = relationship(
        back_populates="appraisal", cascade="all, delete-orphan", order_by="Review.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        UniqueConstraint("cycle_id", "employee_id"),
        # a manager's appraisals (My team, tasks), an employee's across cycles (trends)
        Index("ix_appraisals_manager", "manager_id"),
        Index("ix_appraisals_employee", "employee_id"),
        one_of("state", AppraisalState, name="state"),
    )

    @property
    def definition(self) -> dict[str, Any]:
        return self.template_version.definition

    @property
    def final_grade(self) -> str | None:
        """The calibrated grade where HR overrode it, else the computed one."""
        return self.final_grade_of(self.grade, self.override_grade)

    @staticmethod
    def final_grade_of(grade: str | None, override_grade: str | None) -> str | None:
        """`final_grade` from the two columns (a list that reads columns, not appraisals)."""
        return override_grade or grade


class Review(OrganizationScoped, Base):
    """One rater's part of an appraisal: the values they gave, draft or submitted.

    `slot` is unique per appraisal: `data`, `self`, `manager`, `hr`, or `peer:<user id>` /
    `subordinate:<user id>` for invited reviewers. Who wrote a peer review is kept here and
    never shown on the appraisee's pages.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[str] = mapped_column(String(40))
    rater: Mapped[str] = mapped_column(String(20))
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.DRAFT.value)
    comment: Mapped[str] = mapped_column(Text, default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    appraisal: Mapped[Appraisal] = relationship(back_populates="reviews")
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        UniqueConstraint("appraisal_id", "slot"),
        CheckConstraint(
            "rater IN ('data', 'self', 'manager', 'peer', 'subordinate', 'hr')", name="rater"
        ),
        one_of("status", ReviewStatus, name="status"),
    )

    @property
    def submitted(self) -> bool:
        return self.status == ReviewStatus.SUBMITTED


class Appeal(OrganizationScoped, Base):
    """An employee's appeal against a published result, and HR's answer."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=AppealStatus.OPEN.value)
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    appraisal: Mapped[Appraisal] = relationship()

    __table_args__ = (one_of("status", AppealStatus, name="status"),)
