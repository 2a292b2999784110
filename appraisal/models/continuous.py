"""Continuous performance between appraisals: work plans agreed for a month or a quarter
(items, progress updates with evidence, close-out), 1:1 check-ins between a manager and a
report, and feedback notes (with requests for them)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..states import FeedbackKind, FeedbackVisibility, PlanPeriod, PlanState
from .accounts import User
from .base import Base, OrganizationScoped, Versioned, one_of, utcnow
from .people import Employee

if TYPE_CHECKING:
    from .fieldwork import Photo

#: A plan item's optional link: what the task serves.
LINK_KINDS = ("template_item", "appraisal_target", "customer", "external")


class WorkPlan(Versioned, OrganizationScoped, Base):
    """One person's plan for one month or quarter; every change to its items moves its
    version, so both sides agree to exactly what they saw."""

    __tablename__ = "work_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(16), default=PlanState.DRAFT.value)
    proposed_by: Mapped[str | None] = mapped_column(String(10))  # employee | manager
    comment: Mapped[str] = mapped_column(Text, default="")  # the last return's comments
    employee_agreed_at: Mapped[datetime | None]
    manager_agreed_at: Mapped[datetime | None]
    self_assessment: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None]  # the manager's, 1–5
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    employee: Mapped[Employee] = relationship()
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", order_by="PlanItem.id", cascade="all, delete-orphan"
    )
    updates: Mapped[list[PlanUpdate]] = relationship(
        back_populates="plan", order_by="PlanUpdate.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("organization_id", "employee_id", "period", "starts_on"),
        one_of("state", PlanState, "state"),
        one_of("period", PlanPeriod, "period"),
        one_of("proposed_by", ("employee", "manager"), "proposed_by"),
    )


class PlanItem(OrganizationScoped, Base):
    """A task of a plan: what, by when, how much it weighs and how it is measured."""

    __tablename__ = "plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("work_plans.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date]
    weight: Mapped[Decimal]
    measure: Mapped[str] = mapped_column(String(200), default="")
    link_kind: Mapped[str | None] = mapped_column(String(20))
    link_ref: Mapped[str] = mapped_column(String(200), default="")
    progress: Mapped[int] = mapped_column(default=0)  # percent, from the latest update
    completed_on: Mapped[date | None]

    plan: Mapped[WorkPlan] = relationship(back_populates="items")

    __table_args__ = (one_of("link_kind", LINK_KINDS, "link_kind"),)


class PlanUpdate(OrganizationScoped, Base):
    """Progress on an agreed plan: a note, how far an item is, and evidence (a link, files
    and photos)."""

    __tablename__ = "plan_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("work_plans.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text)
    progress: Mapped[int | None]
    evidence: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[WorkPlan] = relationship(back_populates="updates")
    item: Mapped[PlanItem | None] = relationship()
    author: Mapped[User | None] = relationship()
    files: Mapped[list[PlanFile]] = relationship(
        order_by="PlanFile.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id")


class PlanFile(OrganizationScoped, Base):
    """A document attached to a progress update as evidence (PDF, office files), stored
    as uploaded under an unguessable key and only ever served through the plan."""

    __tablename__ = "plan_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_update_id: Mapped[int] = mapped_column(
        ForeignKey("plan_updates.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("size_bytes > 0", name="size"),)


class CheckIn(Versioned, OrganizationScoped, Base):
    """A 1:1 between a manager and a report, private to the two (and HR admins where the
    organization's `hr_reads_checkins` allows)."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    manager_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    agenda: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    blockers: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    next_on: Mapped[date | None]
    reminded_for: Mapped[date | None]  # the next date whose check-in-due notice was raised
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])
    manager: Mapped[Employee] = relationship(foreign_keys=[manager_id])

    __table_args__ = (
        Index("ix_checkins_org_employee", "organization_id", "employee_id"),
        Index("ix_checkins_org_next", "organization_id", "next_on"),
    )


class FeedbackRequest(OrganizationScoped, Base):
    """Someone asks a colleague for feedback about a person (themselves or a report)."""

    __tablename__ = "feedback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    asked_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    about_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    about: Mapped[Employee] = relationship()


class FeedbackNote(OrganizationScoped, Base):
    """Praise or a point to improve, from anyone to anyone in the organization."""

    __tablename__ = "feedback_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicators.id", ondelete="SET NULL")
    )
    visibility: Mapped[str] = mapped_column(String(10), default=FeedbackVisibility.SHARED.value)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_requests.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()
    recipient: Mapped[Employee] = relationship()

    __table_args__ = (
        Index("ix_feedback_notes_org_recipient", "organization_id", "recipient_id"),
        one_of("kind", FeedbackKind, "kind"),
        one_of("visibility", FeedbackVisibility, "visibility"),
    )
