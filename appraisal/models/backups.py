"""The instance's backup schedule: one row (id 1), set by an instance administrator on the
backups page. The backups themselves are files in BACKUP_DIR, each carrying its manifest,
so the directory is their record (a restored or copied directory lists itself)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, one_of, utcnow


class BackupEvery(StrEnum):
    NEVER = "never"
    DAILY = "daily"
    WEEKLY = "weekly"


class BackupSchedule(Base):
    __tablename__ = "backup_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    every: Mapped[str] = mapped_column(String(10), default=BackupEvery.NEVER.value)
    #: How many scheduled backups are kept (the oldest go); backups made by hand stay.
    keep: Mapped[int] = mapped_column(default=7)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        one_of("every", BackupEvery, name="every"),
        CheckConstraint("keep BETWEEN 1 AND 365", name="keep"),
    )
