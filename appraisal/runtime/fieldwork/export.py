"""The records of a period as a table (CSV/XLSX through `tables`): one row per record, the
form's values flattened into one column per (type, field), labelled as the form labels them.

HR exports everyone's records, a manager their team's (and their own), anyone else their
own: the same `visible_employees` rule as the pages. A period is at most a year and a file
at most `MAX_ROWS` rows; the rows are read from the database in batches (`yield_per`), so
memory grows with the file, not with the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...errors import ServiceError
from ...i18n import label_text
from ...labels import YES_NO, export_header, in_english, label
from ...models import (
    ActivityRecord,
    ActivityType,
    ActivityTypeVersion,
    Customer,
    Employee,
    Organization,
    as_utc,
)
from ...rules import CompiledActivity
from ..reviews.access import Viewer
from .access import visible_employees
from .reading import SHOWN_APART, form_of, text_of

MAX_DAYS = 366
MAX_ROWS = 100_000
BATCH = 1000

COLUMNS = (
    "uuid",
    "employee_number",
    "employee_name",
    "type",
    "type_version",
    "occurred_at",
    "occurred_on",
    "status",
    "customer_code",
    "customer_name",
    "latitude",
    "longitude",
    "accuracy_m",
    "location_source",
    "distance_m",
    "outside_geofence",
    "review_comment",
)
COLUMN_WORDS = {
    "uuid": _l("Record id"),
    "employee_number": _l("Employee number"),
    "employee_name": _l("Full name"),
    "type": _l("Form"),
    "type_version": _l("Form version"),
    "occurred_at": _l("Time"),
    "occurred_on": _l("Day"),
    "status": _l("Status"),
    "customer_code": _l("Customer code"),
    "customer_name": _l("Customer"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "accuracy_m": _l("Accuracy (m)"),
    "location_source": _l("Position source"),
    "distance_m": _l("Distance from site (m)"),
    "outside_geofence": _l("Outside the site's radius"),
    "review_comment": _l("Review comment"),
}


class ExportRefused(ServiceError):
    pass


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None or end is None:
        raise ExportRefused(_l("Give the first and the last day of the period."), "from")
    if end < start:
        raise ExportRefused(_l("The last day is before the first."), "to")
    if end - start >= timedelta(days=MAX_DAYS):
        raise ExportRefused(_l("Export at most a year at a time."), "to")
    return start, end


def records_table(
    session: Session, viewer: Viewer, start: date | None, end: date | None
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows (read lazily) of the records the viewer may see."""
    start, end = check_period(start, end)
    where = (
        (ActivityRecord.organization_id == viewer.org_id)
        & ActivityRecord.occurred_on.between(start, end)
        & visible_employees(viewer)
    )
    count = session.scalar(
        select(func.count())
        .select_from(ActivityRecord)
        .join(Employee, Employee.id == ActivityRecord.employee_id)
        .where(where)
    )
    if count > MAX_ROWS:
        raise ExportRefused(
            _l(
                "%(count)d records in this period: at most %(limit)d fit in one file; "
                "export a shorter period.",
                count=count,
                limit=MAX_ROWS,
            ),
            "to",
        )
    versions = session.scalars(
        select(ActivityTypeVersion)
        .where(
            ActivityTypeVersion.id.in_(
                select(ActivityRecord.type_version_id)
                .join(Employee, Employee.id == ActivityRecord.employee_id)
                .where(where)
                .distinct()
            )
        )
        .order_by(ActivityTypeVersion.version.desc())
    ).all()
    cache: dict[int, CompiledActivity] = {}
    value_columns: dict[tuple[str, str], str] = {}
    for version in versions:  # newest first: a field is named as its latest version names it
        form = form_of(version, cache)
        for field in form.fields:
            if field.type not in SHOWN_APART or field.type == "photos":
                value_columns.setdefault(
                    (form.key, field.key),
                    f"{label_text(form.name)} · {label_text(field.label)}",
                )
    keys = sorted(value_columns, key=lambda k: (k[0], list(value_columns).index(k)))
    names = {f"{t}.{f}": value_columns[(t, f)] for t, f in keys}
    header = export_header(
        [*COLUMNS, *names], {**{k: str(v) for k, v in COLUMN_WORDS.items()}, **names}
    )
    zone = ZoneInfo(session.get(Organization, viewer.org_id).time_zone)
    stmt = (
        select(ActivityRecord, Employee.number, Employee.name, ActivityType.key, Customer)
        .join(Employee, Employee.id == ActivityRecord.employee_id)
        .join(ActivityType, ActivityType.id == ActivityRecord.activity_type_id)
        .outerjoin(Customer, Customer.id == ActivityRecord.customer_id)
        .where(where)
        .order_by(ActivityRecord.occurred_on, Employee.number, ActivityRecord.occurred_at)
        .execution_options(yield_per=BATCH)
    )
    by_version = {v.id: v for v in versions}

    def rows() -> Iterator[list[Any]]:
        english = in_english()
        for record, number, name, type_key, customer in session.execute(stmt):
            form = form_of(by_version[record.type_version_id], cache)
            values = []
            for t, f in keys:
                field = form.field(f) if t == type_key else None
                values.append(text_of(field, record.values.get(f)) if field else "")
            yield [
                record.uuid,
                number,
                name,
                type_key if english else label_text(form.name),
                by_version[record.type_version_id].version,
                as_utc(record.occurred_at).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                record.occurred_on.isoformat(),
                record.status if english else label(record.status, "record_status"),
                customer.code if customer else "",
                customer.name if customer else "",
                _number(record.latitude),
                _number(record.longitude),
                _number(record.accuracy_m),
                record.location_source or "",
                record.distance_m if record.distance_m is not None else "",
                "" if record.outside_geofence is None else str(YES_NO[record.outside_geofence]),
                record.review_comment or "",
                *values,
            ]

    return header, rows()


def _number(value: Any) -> Any:
    return "" if value is None else float(value)
