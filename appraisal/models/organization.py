"""The tenant."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Managers also review and follow their reports' teams, not only their direct reports.
    managers_see_chain: Mapped[bool] = mapped_column(default=False, server_default=false())
    # HR admins also read 1:1 check-ins (otherwise private to the manager and the report).
    hr_reads_checkins: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The zone a local day is counted in: a field record's day, a period's first and last.
    time_zone: Mapped[str] = mapped_column(
        String(40), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def today(self, now: datetime | None = None) -> date:
        """Today on the organization's clock: the day a deadline, a period or a check-in is
        counted in, whatever zone the server runs in (`now`: an aware moment, for a job that
        counts from its own clock)."""
        zone = ZoneInfo(self.time_zone)
        return (now.astimezone(zone) if now is not None else datetime.now(zone)).date()

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"
