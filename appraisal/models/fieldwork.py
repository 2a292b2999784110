"""Field work: customers and sites, activity types (forms built in the builder, versioned
like templates), the records field staff make on their phones, their photos, and each
employee's location consents.

A record is placed in a period by `occurred_on`, the organization's local date of the
moment it happened, so "visits of this rep in March" or "sum of this field over a cycle"
is one query over an index that starts (organization, type, day) or (organization,
employee, day); the values the form asked for stay in `values` (JSON), keyed by field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..states import ConsentChoice, RecordStatus
from .accounts import User
from .base import Base, OrganizationScoped, Versioned, one_of, utcnow
from .encrypted import EncryptedDecimal
from .people import Employee


class LocationPurpose(StrEnum):
    """What a location is collected for; each is consented to separately (PIPL art. 29)."""

    CHECK_IN = "check_in"
    VISIT = "visit"


class LocationSource(StrEnum):
    """Where a position came from, as the device said: satellite, network, or a browser's
    geolocation (which does not say which of the two it used). Never an IP lookup."""

    GPS = "gps"
    NETWORK = "network"
    DEVICE = "device"


COORDINATE = Numeric(9, 6)  # about 0.1 m; latitude ±90, longitude ±180

customer_reps = Table(
    "customer_reps",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("employee_id", ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_customer_reps_employee_id", "employee_id"),
)


class Customer(Versioned, OrganizationScoped, Base):
    """A customer or site field staff visit. `code` is the key an import or a CRM upserts by."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(60), default="")
    latitude: Mapped[Decimal | None] = mapped_column(COORDINATE)
    longitude: Mapped[Decimal | None] = mapped_column(COORDINATE)
    radius_m: Mapped[int | None]  # the geofence: check-ins farther away are flagged
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    reps: Mapped[list[Employee]] = relationship(secondary=customer_reps)

    __table_args__ = (
        UniqueConstraint("organization_id", "code"),
        Index("ix_customers_organization_id_name", "organization_id", "name"),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="both_coordinates"),
        CheckConstraint("radius_m IS NULL OR radius_m > 0", name="radius_positive"),
    )


class ActivityType(Versioned, OrganizationScoped, Base):
    """An activity form being designed (daily report, customer visit...): a draft definition
    and its published versions, like `Template`."""

    __tablename__ = "activity_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list[ActivityTypeVersion]] = relationship(
        back_populates="activity_type", order_by="ActivityTypeVersion.version", cascade="all"
    )

    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    @property
    def latest(self) -> ActivityTypeVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def definition(self) -> dict[str, Any]:
        """What the builder shows: the draft, else the latest published version."""
        if self.draft is not None:
            return self.draft
        return self.latest.definition if self.latest else {}


class ActivityTypeVersion(OrganizationScoped, Base):
    """A published, immutable activity form; each record keeps the one it was made with."""

    __tablename__ = "activity_type_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_type_id: Mapped[int] = mapped_column(
        ForeignKey("activity_types.id", ondelete="CASCADE")
    )
    version: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    activity_type: Mapped[ActivityType] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("activity_type_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class ActivityRecord(Versioned, OrganizationScoped, Base):
    """One thing done in the field, as its employee recorded it.

    `uuid` is made by the phone before the record is sent, so a record sent twice (no
    signal, a retry) is stored once. The location, when there is one, was captured at that
    moment with the employee's consent; `distance_m`/`outside_geofence` compare it with the
    customer's site and flag, never refuse.
    """

    __tablename__ = "activity_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    type_version_id: Mapped[int] = mapped_column(ForeignKey("activity_type_versions.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    occurred_at: Mapped[datetime]
    occurred_on: Mapped[date]
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=RecordStatus.RECORDED.value)
    #: Where the person was: encrypted at rest (`EncryptedDecimal`); checked -90…90 and
    #: -180…180 by `rules.activities` before it is stored (a token cannot be range-checked).
    latitude: Mapped[Decimal | None] = mapped_column(EncryptedDecimal)
    longitude: Mapped[Decimal | None] = mapped_column(EncryptedDecimal)
    accuracy_m: Mapped[Decimal | None] = mapped_column(Numeric(9, 1))
    location_source: Mapped[str | None] = mapped_column(String(10))
    distance_m: Mapped[int | None]
    outside_geofence: Mapped[bool | None]
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    activity_type: Mapped[ActivityType] = relationship()
    type_version: Mapped[ActivityTypeVersion] = relationship()
    employee: Mapped[Employee] = relationship()
    customer: Mapped[Customer | None] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    photos: Mapped[list[Photo]] = relationship(back_populates="record", order_by="Photo.id")

    __table_args__ = (
        UniqueConstraint("organization_id", "uuid"),
        Index("ix_activity_records_type_day", "organization_id", "activity_type_id", "occurred_on"),
        Index("ix_activity_records_employee_day", "organization_id", "employee_id", "occurred_on"),
        Index("ix_activity_records_customer_day", "organization_id", "customer_id", "occurred_on"),
        one_of("status", RecordStatus, name="status"),
        one_of("location_source", LocationSource, name="location_source"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="both_coordinates"),
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy"),
    )


class Photo(OrganizationScoped, Base):
    """A checked image (decoded, resized, metadata stripped unless the field keeps the
    location) in the storage under `storage_key`. It arrives before or with its record
    (`uuid` made by the phone) and is attached to it when the record is stored, or it is
    the evidence of a work plan's progress update (`plan_update_id`)."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity_records.id", ondelete="SET NULL"), index=True
    )
    #: A photo taken as evidence of a work plan's progress (never a record's too).
    plan_update_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_updates.id", ondelete="SET NULL"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    kept_location: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[ActivityRecord | None] = relationship(back_populates="photos")

    __table_args__ = (
        UniqueConstraint("organization_id", "uuid"),
        CheckConstraint("width > 0 AND height > 0 AND size_bytes > 0", name="dimensions"),
    )


class LocationConsent(OrganizationScoped, Base):
    """One answer of an employee to one location purpose, never changed afterwards: the
    latest answer is the one in force, and the history is what HR shows when asked."""

    __tablename__ = "location_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    choice: Mapped[str] = mapped_column(String(10))
    text_version: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        Index(
            "ix_location_consents_employee_purpose",
            "organization_id",
            "employee_id",
            "purpose",
            "decided_at",
        ),
        one_of("purpose", LocationPurpose, name="purpose"),
        one_of("choice", ConsentChoice, name="choice"),
    )
