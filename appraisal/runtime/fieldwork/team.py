"""The manager's view of the team's day: who recorded what, when they checked in, which
customers they visited, what is flagged and what waits for a review.

Built for 10,000 records a day: people are paged (only those who recorded something that
day), and a page costs a fixed number of queries whatever its size: the types (a handful),
the people of the page and their count, their records (customer joined), and one summary
aggregate. Every query on records names the organization's types with `IN (...)`, so the
(organization, type, day) index answers it without a scan of other days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from ...models import (
    ActivityRecord,
    ActivityTypeVersion,
    Department,
    Employee,
    Organization,
    RecordStatus,
    as_utc,
    utcnow,
)
from ...paging import Page, paginate
from ...people.services import with_subdepartments
from ...rules import CompiledActivity
from ..reviews.access import Viewer
from .access import may_review, team_employees
from .reading import ShownValue, form_of, shown_values
from .records import EARLIEST, local_day

PER_PAGE = 25


@dataclass(frozen=True)
class TypeInfo:
    """What the day needs of a type: its kind, name and whether it asks for a position."""

    kind: str
    name: Any
    has_location: bool
    form: CompiledActivity


@dataclass
class DayRecord:
    record: ActivityRecord
    kind: str
    name: Any
    at: datetime  # local time
    values: list[ShownValue]
    outside: bool
    no_location: bool
    reviewable: bool


@dataclass
class PersonDay:
    employee: Employee
    records: list[DayRecord] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[DayRecord]:
        return [r for r in self.records if r.kind in kinds]

    @property
    def check_in(self) -> DayRecord | None:
        found = self.of_kind("check_in")
        return found[0] if found else None

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.records if r.outside or r.no_location)

    @property
    def waiting(self) -> list[DayRecord]:
        return [r for r in self.records if r.record.status == RecordStatus.PENDING]


@dataclass(frozen=True)
class Summary:
    people: int
    records: int
    visits: int
    flagged: int
    waiting: int


@dataclass(frozen=True)
class TeamDay:
    day: date
    today: date
    people: Page[PersonDay]
    summary: Summary
    departments: list[tuple[int, str]]
    department_id: int | None

    @property
    def previous(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next(self) -> date | None:
        return self.day + timedelta(days=1) if self.day < self.today else None


def organization_today(session: Session, org_id: int) -> date:
    return local_day(session.get(Organization, org_id), utcnow())


def type_infos(session: Session, org_id: int) -> dict[int, TypeInfo]:
    """Every published type of the organization (archived ones too: old records keep
    them), keyed by id, from its latest version."""
    latest = (
        select(func.max(ActivityTypeVersion.id))
        .where(ActivityTypeVersion.organization_id == org_id)
        .group_by(ActivityTypeVersion.activity_type_id)
    )
    found = {}
    cache: dict[int, CompiledActivity] = {}
    for version in session.scalars(
        select(ActivityTypeVersion).where(ActivityTypeVersion.id.in_(latest))
    ):
        form = form_of(version, cache)
        found[version.activity_type_id] = TypeInfo(
            form.kind, form.name, form.first("location") is not None, form
        )
    return found


def department_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Department.id, Department.name)
        .where(Department.organization_id == org_id)
        .order_by(Department.name)
    )
    return [(row.id, row.name) for row in rows]


def team_day(
    session: Session,
    viewer: Viewer,
    day: date | None = None,
    page: int = 1,
    department_id: int | None = None,
    per_page: int = PER_PAGE,
) -> TeamDay:
    """The viewer's team (HR: everyone, optionally one department and those below it) on
    `day` (default, and for a day before any record could be: today in the organization's
    time zone)."""
    organization = session.get(Organization, viewer.org_id)
    zone = ZoneInfo(organization.time_zone)
    today = local_day(organization, utcnow())
    day = day if day is not None and day >= EARLIEST else today
    types = type_infos(session, viewer.org_id)
    people_of = team_employees(viewer)
    if department_id is not None:
        people_of = people_of & Employee.department_id.in_(
            with_subdepartments(session, viewer.org_id, [department_id])
        )
    on_day = (
        (ActivityRecord.organization_id == viewer.org_id)
        & ActivityRecord.activity_type_id.in_(list(types) or [0])
        & (ActivityRecord.occurred_on == day)
    )
    who = (
        select(Employee)
        .where(people_of, Employee.id.in_(select(ActivityRecord.employee_id).where(on_day)))
        .order_by(Employee.name, Employee.id)
    )
    people = paginate(session, who, page, per_page)
    by_id = {e.id: PersonDay(e) for e in people.items}
    if by_id:
        records = session.scalars(
            select(ActivityRecord)
            .options(joinedload(ActivityRecord.customer))
            .where(on_day, ActivityRecord.employee_id.in_(list(by_id)))
            .order_by(ActivityRecord.occurred_at, ActivityRecord.id)
        )
        for record in records:
            info = types[record.activity_type_id]
            person = by_id[record.employee_id]
            person.records.append(
                DayRecord(
                    record=record,
                    kind=info.kind,
                    name=info.name,
                    at=as_utc(record.occurred_at).astimezone(zone),
                    values=shown_values(info.form, record.values),
                    outside=bool(record.outside_geofence),
                    no_location=info.has_location and record.latitude is None,
                    reviewable=record.status == RecordStatus.PENDING
                    and may_review(viewer, person.employee),
                )
            )
    return TeamDay(
        day=day,
        today=today,
        people=Page(list(by_id.values()), people.page, people.per_page, people.total),
        summary=_summary(session, on_day, people_of, types, people.total),
        departments=department_choices(session, viewer.org_id) if viewer.is_hr else [],
        department_id=department_id,
    )


def _summary(
    session: Session, on_day: Any, people_of: Any, types: dict[int, TypeInfo], people: int
) -> Summary:
    """One aggregate over the day's records of the whole team (not only the page)."""
    rows = session.execute(
        select(
            ActivityRecord.activity_type_id,
            func.count(),
            func.sum(case((ActivityRecord.outside_geofence.is_(True), 1), else_=0)),
            func.sum(case((ActivityRecord.latitude.is_(None), 1), else_=0)),
            func.sum(case((ActivityRecord.status == RecordStatus.PENDING.value, 1), else_=0)),
        )
        .join(Employee, Employee.id == ActivityRecord.employee_id)
        .where(on_day, people_of)
        .group_by(ActivityRecord.activity_type_id)
    ).all()
    records = visits = flagged = waiting = 0
    for type_id, count, outside, unplaced, pending in rows:
        info = types[type_id]
        records += count
        visits += count if info.kind == "visit" else 0
        flagged += (outside or 0) + ((unplaced or 0) if info.has_location else 0)
        waiting += pending or 0
    return Summary(people, records, visits, flagged, waiting)
