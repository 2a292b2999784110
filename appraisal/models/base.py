"""Declarative base shared by every model. No Flask here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CODE = re.compile(r"[a-z][a-z_]*")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def one_of(column: str, codes: Iterable[str], name: str) -> CheckConstraint:
    """`column IN ('a', 'b')`, written from the vocabulary (an enum) the code uses, so the
    database refuses exactly the codes the code does not know. Changing a vocabulary needs a
    migration that writes the new list (tests/web/test_models.py fails until it does)."""
    codes = [str(code) for code in codes]
    if not all(CODE.fullmatch(code) for code in codes):
        raise ValueError(f"not a code: {codes!r}")
    listed = ", ".join(f"'{code}'" for code in codes)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict] = {
        datetime: DateTime(timezone=True),
        Decimal: Numeric(12, 2),
    }


class OrganizationScoped:
    """A business row: it belongs to exactly one organization and is queried through it."""

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )


class Versioned:
    """Optimistic locking: every UPDATE checks the row's `version` has not moved since it was
    read and moves it on, so two saves of the same row cannot both win (the loser gets a
    `StaleDataError`, which the pages answer with 409). Forms post the version they showed."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}
