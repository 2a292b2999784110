"""The indicator library and appraisal templates with their immutable published versions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, OrganizationScoped, Versioned, utcnow


class IndicatorCategory(StrEnum):
    RESULT = "result"
    PROCESS = "process"
    BEHAVIOUR = "behaviour"
    COMPETENCY = "competency"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Indicator(Versioned, OrganizationScoped, Base):
    """A reusable measure; items of templates refer to it by key."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), default=IndicatorCategory.RESULT.value)
    unit: Mapped[str | None] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10), default=Direction.HIGHER.value)
    item_type: Mapped[str] = mapped_column(String(10), default="number")
    scoring: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raters: Mapped[list[str]] = mapped_column(JSON, default=list)
    staff_kind: Mapped[str] = mapped_column(String(10), default="any")
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("organization_id", "key"),
        CheckConstraint(
            "category IN ('result', 'process', 'behaviour', 'competency')", name="category"
        ),
        CheckConstraint("direction IN ('higher', 'lower')", name="direction"),
        CheckConstraint("staff_kind IN ('office', 'field', 'any')", name="staff_kind"),
    )


class Template(Versioned, OrganizationScoped, Base):
    """An appraisal form being designed: a draft definition, and its published versions."""

    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list[TemplateVersion]] = relationship(
        back_populates="template", order_by="TemplateVersion.version", cascade="all"
    )

    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    @property
    def latest(self) -> TemplateVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def definition(self) -> dict[str, Any]:
        """What the designer shows: the draft, else the latest published version."""
        if self.draft is not None:
            return self.draft
        return self.latest.definition if self.latest else {}


class TemplateVersion(OrganizationScoped, Base):
    """A published, immutable definition; appraisals are stamped with one."""

    __tablename__ = "template_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"))
    version: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[list[str]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    template: Mapped[Template] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("template_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )
