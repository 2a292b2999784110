"""Process KPIs computed, not typed: metric rules HR builds, which template `data` items of a
scheme they fill, the value each appraisal got (with its provenance and any HR override),
and the business events other systems (CRM, OA, ticketing) push.

An event is placed in a period by `occurred_on`, the organization's local day of the moment
it happened, exactly as a field record is, so a metric reads both the same way. Events are
unique by (organization, source, external id): sending one again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..states import EventStatus
from .accounts import User
from .base import Base, OrganizationScoped, Versioned, one_of, utcnow
from .cycles import Appraisal, Scheme
from .people import Employee

#: A computed value: exact to four places (a ratio shown as 66.67 % is stored as 66.6667).
METRIC_NUMBER = Numeric(20, 4)


class Metric(Versioned, OrganizationScoped, Base):
    """A rule turning records or events into one number per person and period; its
    `definition` is the `metric/1` format (`rules/metrics.py`). Editing one changes the
    values of open cycles at their next computation; closed cycles keep theirs."""

    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    @property
    def name(self) -> Any:
        return self.definition.get("name")


class SchemeMetric(OrganizationScoped, Base):
    """A scheme's `data` item filled by a metric instead of typed figures."""

    __tablename__ = "scheme_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(60))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), index=True)

    scheme: Mapped[Scheme] = relationship()
    metric: Mapped[Metric] = relationship()

    __table_args__ = (UniqueConstraint("scheme_id", "item_key"),)


class MetricValue(Versioned, OrganizationScoped, Base):
    """What a metric gave one appraisal's item: `computed` with its `provenance` (how many
    records, how many flagged, the parts of a ratio...), and HR's `override` with its
    reason, which recomputation leaves alone. The value the appraisal scores with is
    the override when there is one; `frozen_at` is set when the cycle closes."""

    __tablename__ = "metric_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(60))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), index=True)
    computed: Mapped[Decimal | None] = mapped_column(METRIC_NUMBER)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    override: Mapped[Decimal | None] = mapped_column(METRIC_NUMBER)
    override_reason: Mapped[str | None] = mapped_column(Text)
    overridden_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    overridden_at: Mapped[datetime | None]
    frozen_at: Mapped[datetime | None]

    appraisal: Mapped[Appraisal] = relationship()
    metric: Mapped[Metric] = relationship()
    overridden_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("appraisal_id", "item_key"),)

    @property
    def effective(self) -> Decimal | None:
        return self.override if self.override is not None else self.computed


class ExternalEvent(OrganizationScoped, Base):
    """A business fact another system reported (a lead, a contract, a closed ticket...).

    `person_ref` is the reference it came with (an employee number, an e-mail or that
    system's user id); an event whose person is not known yet is `held` for HR to map,
    never dropped. `attributes` are typed by the event kind (`rules/events.py`): numbers
    and money as exact decimal text, yes/no as booleans, dates as ISO text.
    """

    __tablename__ = "external_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    occurred_on: Mapped[date]
    person_ref: Mapped[str] = mapped_column(String(200))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=EventStatus.MATCHED.value)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    employee: Mapped[Employee | None] = relationship()

    __table_args__ = (
        UniqueConstraint("organization_id", "source", "external_id"),
        Index("ix_external_events_kind_day", "organization_id", "kind", "occurred_on"),
        Index("ix_external_events_employee_day", "organization_id", "employee_id", "occurred_on"),
        Index("ix_external_events_status", "organization_id", "status", "source"),
        one_of("status", EventStatus, name="status"),
    )


class ExternalPerson(OrganizationScoped, Base):
    """Who a reference of another system is: "crm" user "u-1043" is employee E0012. Made on
    the mapping screen when HR assigns held events, and read before numbers and e-mails."""

    __tablename__ = "external_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employee: Mapped[Employee] = relationship()

    __table_args__ = (UniqueConstraint("organization_id", "source", "reference"),)
