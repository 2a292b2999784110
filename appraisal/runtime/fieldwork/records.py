"""Recording field work: a record of a published activity type, by its employee.

The phone makes the record's uuid before sending it, so a record that is sent again (no
signal, a retry, the outbox replaying) is stored once: the second arrival changes nothing
and answers with the record already there. Values are checked by the form's rules
(`rules.check_activity_values`); a location is kept only while the employee's consent for
its purpose is in force, and a check-in away from its customer's site is flagged with the
distance, never refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ... import audit
from ...errors import ServiceError
from ...i18n import in_language
from ...models import (
    ActivityRecord,
    ActivityType,
    Appraisal,
    Customer,
    Cycle,
    CycleState,
    Department,
    Employee,
    LocationPurpose,
    Organization,
    Photo,
    RecordStatus,
    as_utc,
    utcnow,
)
from ...rules import CompiledActivity, check_activity_values, compile_activity
from ..metrics.compute import refresh_employees
from ..reviews.access import Viewer
from .access import visible_employees
from .consent import granted

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: How far ahead of the server's clock a phone's time may be (clocks drift).
CLOCK_SKEW = timedelta(minutes=15)
#: No field record is older than this: earlier days are typing errors or probes, and near
#: the calendar's start a time zone would carry a moment out of the calendar altogether.
EARLIEST = date(2000, 1, 1)
EARTH_RADIUS_M = 6_371_008.8


class RecordRefused(ServiceError):
    """A record that cannot be stored: `errors` maps a field key to its message."""

    def __init__(self, errors: Mapping[str, Any], message: Any = None) -> None:
        super().__init__(message or _l("Some values need correcting; nothing was saved."))
        self.errors = dict(errors)


class PeriodClosed(ServiceError):
    """The day belongs to a closed cycle's period in which the employee was appraised: its
    records are evidence the result was based on, so they no longer change."""


@dataclass(frozen=True)
class Recorded:
    record: ActivityRecord
    created: bool  # False: this uuid was already stored, nothing changed


#: Published versions never change: each is compiled once per process, keyed by its id and
#: publication time (an id alone could name another database's version).
_COMPILED: dict[tuple[int, datetime], CompiledActivity] = {}
_COMPILED_LIMIT = 512


def compiled_version(activity_type: ActivityType) -> CompiledActivity | None:
    """The latest published version of a type, compiled; None while it is only a draft."""
    latest = activity_type.latest
    if latest is None:
        return None
    key = (latest.id, latest.published_at)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) >= _COMPILED_LIMIT:
            _COMPILED.clear()
        found = _COMPILED[key] = compile_activity(latest.definition)
    return found


def location_purpose(activity: CompiledActivity) -> str:
    """The consent a form's location needs (also its photos' GPS): the purpose of the
    form's own location field, else what its kind is (a check-in, or a visit)."""
    field = activity.first("location")
    if field is not None and field.purpose:
        return field.purpose
    if activity.kind in ("check_in", "check_out"):
        return LocationPurpose.CHECK_IN.value
    return LocationPurpose.VISIT.value


def department_names(session: Session, employee: Employee) -> set[str]:
    """The employee's department and every department above it, by name (a type's `who`
    names departments; naming a region admits everyone under it)."""
    names: set[str] = set()
    department_id = employee.department_id
    while department_id is not None and len(names) < 50:
        row = session.execute(
            select(Department.name, Department.parent_id).where(
                Department.id == department_id,
                Department.organization_id == employee.organization_id,
            )
        ).first()
        if row is None:
            break
        names.add(row.name)
        department_id = row.parent_id
    return names


def may_record(session: Session, employee: Employee, activity: CompiledActivity) -> bool:
    position = employee.position
    return activity.who.admits(
        position.staff_kind if position else None,
        position.name if position else None,
        department_names(session, employee),
    )


def recordable_types(session: Session, employee: Employee) -> list[tuple[ActivityType, Any]]:
    """The published, unarchived types this employee may record, with their compiled form."""
    types = session.scalars(
        select(ActivityType)
        .where(
            ActivityType.organization_id == employee.organization_id,
            ActivityType.archived.is_(False),
        )
        .order_by(ActivityType.key)
    )
    found = []
    for activity_type in types:
        activity = compiled_version(activity_type)
        if activity is not None and may_record(session, employee, activity):
            found.append((activity_type, activity))
    return found


def closed_cycle_of(session: Session, employee: Employee, day: date) -> Cycle | None:
    """The closed cycle whose period holds `day` and in which `employee` has an appraisal
    (None: the day is open). One indexed lookup; every change of a record asks it."""
    return session.scalar(
        select(Cycle)
        .join(Appraisal, Appraisal.cycle_id == Cycle.id)
        .where(
            Cycle.organization_id == employee.organization_id,
            Cycle.state == CycleState.CLOSED,
            Cycle.starts_on <= day,
            Cycle.ends_on >= day,
            Appraisal.employee_id == employee.id,
        )
        .order_by(Cycle.ends_on.desc())
        .limit(1)
    )


def ensure_open_period(session: Session, employee: Employee, day: date) -> None:
    """Refuse any change (recording, editing, reviewing) to a record of a closed period."""
    cycle = closed_cycle_of(session, employee, day)
    if cycle is not None:
        raise PeriodClosed(
            _l(
                "%(day)s is in the period of the closed cycle %(cycle)s: its records are "
                "read-only.",
                day=day.isoformat(),
                cycle=cycle.name,
            ),
            "occurred_at",
        )


def local_moment(organization: Organization, moment: datetime) -> datetime:
    """A stored (UTC) moment on the organization's clock."""
    return as_utc(moment).astimezone(ZoneInfo(organization.time_zone))


def local_day(organization: Organization, moment: datetime) -> Any:
    return local_moment(organization, moment).date()


def distance_m(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> int:
    """Great-circle distance in whole metres (haversine on the mean Earth radius)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


def record_activity(
    session: Session,
    viewer: Viewer,
    employee: Employee,
    *,
    uuid: str,
    type_key: str,
    values: Mapping[str, Any],
    occurred_at: datetime | None = None,
) -> Recorded:
    """Store one record of `employee` (the viewer themselves, or HR through the API)."""
    uuid = str(uuid).strip().lower()
    if not UUID.fullmatch(uuid):
        raise RecordRefused({"uuid": _l("Not a valid record id.")})
    existing = _existing(session, viewer.org_id, uuid)
    if existing is not None:
        return _already(existing, employee)
    if employee.organization_id != viewer.org_id or not (
        employee.id == viewer.employee_id or viewer.is_hr
    ):
        raise RecordRefused({}, _l("You can only record your own work."))
    activity_type = session.scalar(
        select(ActivityType).where(
            ActivityType.organization_id == viewer.org_id,
            ActivityType.key == type_key,
            ActivityType.archived.is_(False),
        )
    )
    activity = compiled_version(activity_type) if activity_type is not None else None
    if activity is None:
        raise RecordRefused({"type": _l("No such activity form.")})
    if not may_record(session, employee, activity):
        raise RecordRefused({"type": _l("This form is not for your position or department.")})
    organization = session.get(Organization, viewer.org_id)
    moment = _moment(occurred_at)
    try:
        ensure_open_period(session, employee, local_day(organization, moment))
    except PeriodClosed as closed:
        raise RecordRefused({"occurred_at": closed.message}, closed.message) from None
    checked = check_activity_values(activity, values)
    errors = {p.field: in_language(p.message, p.message_zh) for p in checked.problems}
    clean = dict(checked.values)
    customer = resolve_customer(session, viewer.org_id, activity, clean, errors)
    photos = _photos(session, viewer.org_id, employee, activity, clean, errors)
    if errors:
        raise RecordRefused(errors)
    record = ActivityRecord(
        organization_id=viewer.org_id,
        uuid=uuid,
        activity_type_id=activity_type.id,
        type_version_id=activity_type.latest.id,
        employee_id=employee.id,
        customer_id=customer.id if customer else None,
        occurred_at=moment,
        occurred_on=local_day(organization, moment),
        status=RecordStatus.PENDING if activity.review else RecordStatus.RECORDED,
        recorded_by_id=viewer.user_id,
    )
    _place(session, employee, activity, clean, record, customer)
    record.values = clean
    # The same uuid arriving twice at the same moment meets the unique key here; the caller's
    # `concurrency.lost_updates` rolls back and answers 409, and the sender's retry finds the
    # stored record. No savepoint: on SQLite (pysqlite) releasing the first savepoint of a
    # transaction commits it, which would break a batch's all-or-nothing.
    session.add(record)
    session.flush()
    for photo in photos:
        photo.record_id = record.id
    audit.record(
        session,
        viewer.org_id,
        viewer.user_id,
        "activity.recorded",
        "activity_record",
        record.id,
        type=type_key,
        employee=employee.number,
    )
    refresh_employees(session, viewer.org_id, {employee.id})
    return Recorded(record, True)


def _existing(session: Session, org_id: int, uuid: str) -> ActivityRecord | None:
    return session.scalar(
        select(ActivityRecord).where(
            ActivityRecord.organization_id == org_id, ActivityRecord.uuid == uuid
        )
    )


def _already(existing: ActivityRecord, employee: Employee) -> Recorded:
    if existing.employee_id != employee.id:
        raise RecordRefused({"uuid": _l("This record id is already used.")})
    return Recorded(existing, False)


def _moment(occurred_at: datetime | None) -> datetime:
    now = utcnow()
    if occurred_at is None:
        return now
    if occurred_at.tzinfo is None:
        raise RecordRefused({"occurred_at": _l("Give the time with its time zone.")})
    day = occurred_at.replace(tzinfo=None).date()  # compared first: no overflow at the ends
    if day < EARLIEST:
        raise RecordRefused(
            {"occurred_at": _l("This time is before %(year)s.", year=EARLIEST.year)}
        )
    if day > now.date() + timedelta(days=2) or occurred_at.astimezone(UTC) > now + CLOCK_SKEW:
        raise RecordRefused({"occurred_at": _l("This time is in the future.")})
    return occurred_at.astimezone(UTC)


def resolve_customer(
    session: Session,
    org_id: int,
    activity: CompiledActivity,
    clean: dict[str, Any],
    errors: dict[str, Any],
) -> Customer | None:
    field = activity.first("customer")
    if field is None or field.key not in clean:
        return None
    customer = session.scalar(
        select(Customer).where(
            Customer.organization_id == org_id,
            Customer.id == clean[field.key],
            Customer.active.is_(True),
        )
    )
    if customer is None:
        errors[field.key] = _l("No such customer.")
    return customer


def _photos(
    session: Session,
    org_id: int,
    employee: Employee,
    activity: CompiledActivity,
    clean: dict[str, Any],
    errors: dict[str, Any],
) -> list[Photo]:
    """The photos the record names: uploaded already, by the same employee, not part of
    another record (the outbox sends photos before their record)."""
    found: list[Photo] = []
    for field in activity.fields:
        if field.type != "photos" or field.key not in clean:
            continue
        uuids = clean[field.key]
        photos = session.scalars(
            select(Photo).where(Photo.organization_id == org_id, Photo.uuid.in_(uuids))
        ).all()
        usable = [
            p
            for p in photos
            if p.employee_id == employee.id and p.record_id is None and p.plan_update_id is None
        ]
        if len(usable) != len(uuids):
            errors[field.key] = _l("A photo has not arrived yet or belongs to another record.")
        keeps = field.keep_location and granted(session, employee, location_purpose(activity))
        for photo in usable:
            if photo.kept_location and not keeps and not errors:
                _forget_location(photo)
        found.extend(usable)
    return found


def _forget_location(photo: Photo) -> None:
    """A photo's GPS block survives only into a record whose form keeps it while the
    consent is in force (checked again here: the photo may have waited in the outbox)."""
    from ...storage import get_storage
    from .photos import forget_location  # photos imports this module

    forget_location(get_storage(), photo)


def _place(
    session: Session,
    employee: Employee,
    activity: CompiledActivity,
    clean: dict[str, Any],
    record: ActivityRecord,
    customer: Customer | None,
) -> None:
    """Move the location out of the values into the record, if consent allows it, and
    compare it with the customer's site."""
    field = activity.first("location")
    if field is None:
        return
    position = clean.pop(field.key, None)
    if position is None or not granted(session, employee, field.purpose or ""):
        return
    record.latitude = Decimal(position["latitude"])
    record.longitude = Decimal(position["longitude"])
    record.accuracy_m = None if position["accuracy"] is None else Decimal(position["accuracy"])
    record.location_source = position["source"]
    measure_geofence(record, customer)


def measure_geofence(record: ActivityRecord, customer: Customer | None) -> None:
    """The distance from the record's position to its customer's site, flagged (never
    refused) when it is beyond the site's radius; nothing to compare leaves both empty."""
    record.distance_m = record.outside_geofence = None
    if record.latitude is None or customer is None or customer.latitude is None:
        return
    record.distance_m = distance_m(
        record.latitude, record.longitude, customer.latitude, customer.longitude
    )
    if customer.radius_m is not None:
        record.outside_geofence = record.distance_m > customer.radius_m


# -- reading records (the API, exports): always through `visible_employees` -------------------


def published_types(session: Session, org_id: int) -> list[ActivityType]:
    """The organization's unarchived types that have a published version, by key."""
    return [
        t
        for t in session.scalars(
            select(ActivityType)
            .options(selectinload(ActivityType.versions))
            .where(ActivityType.organization_id == org_id, ActivityType.archived.is_(False))
            .order_by(ActivityType.key)
        )
        if t.latest is not None
    ]


def employee_by_number(session: Session, org_id: int, number: str) -> Employee | None:
    return session.scalar(
        select(Employee).where(Employee.organization_id == org_id, Employee.number == number)
    )


def records_query(
    viewer: Viewer,
    *,
    start: date | None = None,
    end: date | None = None,
    employee: str | None = None,
    type_key: str | None = None,
    status: str | None = None,
) -> Select[Any]:
    """The records the viewer may see, filtered, oldest first; what a listing needs of each
    (type, version, employee, customer, photos) loaded with it, never one query a record."""
    stmt = (
        select(ActivityRecord)
        .join(Employee, Employee.id == ActivityRecord.employee_id)
        .options(
            joinedload(ActivityRecord.activity_type),
            joinedload(ActivityRecord.type_version),
            joinedload(ActivityRecord.employee),
            joinedload(ActivityRecord.customer),
            selectinload(ActivityRecord.photos),
        )
        .where(ActivityRecord.organization_id == viewer.org_id, visible_employees(viewer))
        .order_by(ActivityRecord.occurred_at, ActivityRecord.id)
    )
    if start is not None:
        stmt = stmt.where(ActivityRecord.occurred_on >= start)
    if end is not None:
        stmt = stmt.where(ActivityRecord.occurred_on <= end)
    if employee:
        stmt = stmt.where(Employee.number == employee)
    if type_key:
        stmt = stmt.where(
            ActivityRecord.activity_type_id.in_(
                select(ActivityType.id).where(
                    ActivityType.organization_id == viewer.org_id, ActivityType.key == type_key
                )
            )
        )
    if status:
        stmt = stmt.where(ActivityRecord.status == status)
    return stmt
