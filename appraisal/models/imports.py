"""How a customer's files map to our fields, remembered per organization and kind of file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, OrganizationScoped, utcnow


class ImportMapping(OrganizationScoped, Base):
    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))  # "employees", "figures:<template key>", …
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # our field → file column
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("organization_id", "kind"),)
