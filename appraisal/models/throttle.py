"""Counters of failed sign-ins, kept in the database so they hold across server processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class SignInCounter(Base):
    """Failures charged to one key: an account name (known or not), a known device or an
    address. `version` makes each charge a compare-and-set, so parallel guesses cannot all
    read the same count."""

    __tablename__ = "sign_in_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int]
    blocked_until: Mapped[datetime] = mapped_column(index=True)
    version: Mapped[int]
