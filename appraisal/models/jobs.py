"""Background jobs (`appraisal/jobs`): one row per piece of long work a person started (a
cycle's recomputation) or a periodic run (the metric sweep), so its page can show progress
and the outcome after the worker that ran it is gone.

A periodic run claims its period through `dedupe_key` (unique): a second consumer, or one
restarted within the period, finds the key taken and does nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..states import JobStatus
from .base import Base, one_of, utcnow


class Job(Base):
    """A job's owner (`user_id`, in `organization_id`; both empty for a periodic run), what it
    does (`kind`, `params`), where it is (`status`, `done` of `total`) and what came of it
    (`result`, or `message` when it failed). Live progress of a running job is kept in the
    queue's store (`jobs.queue.progress_of`): writing it here would wait for the job's own
    transaction on SQLite."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (one_of("status", JobStatus, "status"),)
