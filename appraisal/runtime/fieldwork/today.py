"""What the phone pages read: the employee's day (Today), their history, the customers to
start a visit from, and what a record form needs to know (the type, the customer chosen,
whether location may be captured). Reads only; recording is `records.record_activity`.

Every query is bounded by the signed-in employee and their organization, so nothing here
can show someone else's records or another organization's customers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, selectinload

from ...models import (
    ActivityRecord,
    ActivityType,
    ActivityTypeVersion,
    Customer,
    Employee,
    Organization,
    as_utc,
    utcnow,
)
from ...paging import Page, paginate
from ...rules import CompiledActivity, compile_activity
from ..reviews.access import Viewer
from .consent import current_choice
from .customers import customers_for
from .records import EARLIEST, local_day, recordable_types

#: The parts of Today, top to bottom, and the kinds of form each holds.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("plan", ("plan",)),
    ("attendance", ("check_in", "check_out")),
    ("visit", ("visit",)),
    ("other", ("expense", "service", "other")),
    ("report", ("report",)),
)
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
HISTORY_PAGE = 20
SUMMARY_LENGTH = 60


@dataclass(frozen=True)
class Startable:
    """A form the employee may start: its key, name (a label) and kind."""

    key: str
    name: Any
    kind: str


@dataclass(frozen=True)
class RecordLine:
    """One record as a list shows it."""

    uuid: str
    name: Any
    kind: str
    time: str  # local HH:MM
    day: date
    customer: str
    status: str
    summary: str
    outside_geofence: bool


@dataclass
class Section:
    key: str
    startable: list[Startable] = field(default_factory=list)
    records: list[RecordLine] = field(default_factory=list)


@dataclass(frozen=True)
class Today:
    employee: Employee
    day: date
    sections: list[Section]


def employee_of(session: Session, viewer: Viewer) -> Employee | None:
    """The signed-in person's employee record (None: an account without one records nothing)."""
    if viewer.employee_id is None:
        return None
    return session.scalar(
        select(Employee).where(
            Employee.id == viewer.employee_id, Employee.organization_id == viewer.org_id
        )
    )


def startable(session: Session, employee: Employee) -> list[Startable]:
    return [
        Startable(activity_type.key, activity.name, activity.kind)
        for activity_type, activity in recordable_types(session, employee)
    ]


def today(session: Session, employee: Employee, now: datetime | None = None) -> Today:
    """The employee's day in their organization's time zone, grouped as the page shows it."""
    organization = session.get(Organization, employee.organization_id)
    day = local_day(organization, now or utcnow())
    stmt = _records_of(employee).where(ActivityRecord.occurred_on == day)
    lines = record_lines(session, organization, session.scalars(stmt).all())
    sections = [Section(key) for key, _kinds in SECTIONS]
    where = {kind: sections[i] for i, (_key, kinds) in enumerate(SECTIONS) for kind in kinds}
    for start in startable(session, employee):
        where.get(start.kind, sections[3]).startable.append(start)
    for line in reversed(lines):  # the day reads from morning to evening
        where.get(line.kind, sections[3]).records.append(line)
    return Today(employee, day, sections)


def history(
    session: Session,
    employee: Employee,
    *,
    type_key: str | None = None,
    month: str | None = None,
    page: int = 1,
) -> tuple[Page[RecordLine], list[tuple[str, Any]]]:
    """The employee's records, newest first, optionally of one type and one month
    (`YYYY-MM`; anything else is ignored), and the types they have records of (for the
    filter)."""
    stmt = _records_of(employee)
    if type_key:
        stmt = stmt.join(ActivityType, ActivityType.id == ActivityRecord.activity_type_id).where(
            ActivityType.key == type_key
        )
    bounds = month_bounds(month)
    if bounds is not None:
        stmt = stmt.where(
            ActivityRecord.occurred_on >= bounds[0], ActivityRecord.occurred_on < bounds[1]
        )
    found = paginate(session, stmt, page, HISTORY_PAGE)
    organization = session.get(Organization, employee.organization_id)
    lines = record_lines(session, organization, found.items)
    kinds = session.execute(
        select(ActivityType.key, ActivityType.id)
        .where(
            ActivityType.organization_id == employee.organization_id,
            exists().where(
                ActivityRecord.activity_type_id == ActivityType.id,
                ActivityRecord.employee_id == employee.id,
            ),
        )
        .order_by(ActivityType.key)
    ).all()
    names = [(key, _type_name(session, type_id) or key) for key, type_id in kinds]
    return Page(lines, found.page, found.per_page, found.total), names


def month_bounds(month: str | None) -> tuple[date, date] | None:
    """The first day of a `YYYY-MM` month and the first day after it; None for anything
    else, a month before any record could be or one at the calendar's end."""
    if not month or not MONTH.fullmatch(month):
        return None
    year, number = int(month[:4]), int(month[5:])
    if not EARLIEST.year <= year < date.max.year:
        return None
    return date(year, number, 1), date(year + number // 12, number % 12 + 1, 1)


def _records_of(employee: Employee) -> Select[Any]:
    return (
        select(ActivityRecord)
        .where(
            ActivityRecord.organization_id == employee.organization_id,
            ActivityRecord.employee_id == employee.id,
        )
        .options(
            selectinload(ActivityRecord.type_version),
            selectinload(ActivityRecord.customer),
        )
        .order_by(ActivityRecord.occurred_at.desc(), ActivityRecord.id.desc())
    )


def _type_name(session: Session, type_id: int) -> Any:
    definition = session.scalar(
        select(ActivityTypeVersion.definition)
        .where(ActivityTypeVersion.activity_type_id == type_id)
        .order_by(ActivityTypeVersion.version.desc())
        .limit(1)
    )
    return definition.get("name") if definition else None


def record_lines(
    session: Session, organization: Organization, records: list[ActivityRecord]
) -> list[RecordLine]:
    """Records as lists show them; each version is compiled once per call."""
    zone = ZoneInfo(organization.time_zone)
    compiled: dict[int, CompiledActivity] = {}
    lines = []
    for record in records:
        version = record.type_version
        if version.id not in compiled:
            compiled[version.id] = compile_activity(version.definition)
        activity = compiled[version.id]
        local = as_utc(record.occurred_at).astimezone(zone)
        lines.append(
            RecordLine(
                uuid=record.uuid,
                name=activity.name,
                kind=activity.kind,
                time=local.strftime("%H:%M"),
                day=record.occurred_on,
                customer=record.customer.name if record.customer else "",
                status=record.status,
                summary=_summary(activity, record.values or {}),
                outside_geofence=bool(record.outside_geofence),
            )
        )
    return lines


def _summary(activity: CompiledActivity, values: dict[str, Any]) -> str:
    """The first text the employee wrote, shortened: what a plan or report is about."""
    for item in activity.fields:
        value = values.get(item.key)
        if item.type in ("text", "long_text") and value:
            text = " ".join(str(value).split())
            return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"
    return ""


# -- the record form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FormContext:
    """What the record form needs besides the compiled type."""

    activity_type: ActivityType
    activity: CompiledActivity
    customers: list[Customer]  # offered in the form's list: assigned first
    customer: Customer | None  # the one preselected (`?customer=`)
    location: str | None  # the consent answer for the location field's purpose


def form_context(
    session: Session, employee: Employee, type_key: str, customer_id: int | None = None
) -> FormContext | None:
    """The type this employee may record under `type_key` (None: no such type, only a
    draft, archived, or not for their position: all look the same, a 404)."""
    found = next(
        (pair for pair in recordable_types(session, employee) if pair[0].key == type_key), None
    )
    if found is None:
        return None
    activity_type, activity = found
    customers: list[Customer] = []
    chosen = None
    if activity.first("customer") is not None:
        customers = list(customers_for(session, employee).items)
        chosen = _customer(session, employee, customer_id) if customer_id else None
        if chosen is not None and chosen not in customers:
            customers.insert(0, chosen)
    place = activity.first("location")
    location = current_choice(session, employee, place.purpose or "") if place else None
    return FormContext(activity_type, activity, customers, chosen, location)


def _customer(session: Session, employee: Employee, customer_id: int) -> Customer | None:
    return session.scalar(
        select(Customer).where(
            Customer.id == customer_id,
            Customer.organization_id == employee.organization_id,
            Customer.active.is_(True),
        )
    )
