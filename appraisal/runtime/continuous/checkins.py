"""1:1 check-ins between a manager and a report: agenda, notes, blockers, agreed actions and
the next date. Private to the two; HR admins read them only where the organization's
`hr_reads_checkins` says so. The next date raises the plan check-in due notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from ... import audit
from ...concurrency import expect_version
from ...errors import ServiceError
from ...models import CheckIn, Employee, Organization
from ...notifications.events import members, path
from ...notifications.services import Event, Personal, notify
from ...states import NotificationKind
from ..fieldwork.access import manages
from ..reviews.access import Viewer

#: How many days before the next date the check-in due notice is raised.
REMIND_DAYS_BEFORE = 1


def hr_reads(session: Session, org_id: int) -> bool:
    return bool(
        session.scalar(select(Organization.hr_reads_checkins).where(Organization.id == org_id))
    )


def may_read(viewer: Viewer, checkin: CheckIn, hr_allowed: bool) -> bool:
    """The two people of a check-in, and HR admins where the organization allows; never
    another manager, even higher up the chain."""
    if checkin.organization_id != viewer.org_id:
        return False
    if viewer.employee_id in (checkin.employee_id, checkin.manager_id):
        return True
    return viewer.is_hr and hr_allowed


def readable(viewer: Viewer, hr_allowed: bool) -> ColumnElement[bool]:
    """`may_read` as a condition on `CheckIn`, for lists."""
    mine = (
        or_(CheckIn.employee_id == viewer.employee_id, CheckIn.manager_id == viewer.employee_id)
        if viewer.employee_id is not None
        else false()
    )
    everyone = viewer.is_hr and hr_allowed
    return (CheckIn.organization_id == viewer.org_id) & (true() if everyone else mine)


def load_checkin(session: Session, viewer: Viewer, checkin_id: int) -> CheckIn | None:
    found = session.scalar(
        select(CheckIn).where(CheckIn.organization_id == viewer.org_id, CheckIn.id == checkin_id)
    )
    if found is None or not may_read(viewer, found, hr_reads(session, viewer.org_id)):
        return None
    return found


def checkins_for(session: Session, viewer: Viewer, employee_id: int | None = None) -> list[CheckIn]:
    query = select(CheckIn).where(readable(viewer, hr_reads(session, viewer.org_id)))
    if employee_id is not None:
        query = query.where(CheckIn.employee_id == employee_id)
    return list(
        session.scalars(query.order_by(CheckIn.held_on.desc(), CheckIn.id.desc()).limit(200))
    )


def reports_of(session: Session, viewer: Viewer) -> list[Employee]:
    """Whom the viewer holds check-ins with as their manager."""
    if viewer.employee_id is None:
        return []
    people = session.scalars(
        select(Employee)
        .where(Employee.organization_id == viewer.org_id, Employee.status == "active")
        .order_by(Employee.name)
    )
    return [e for e in people if manages(viewer, e)]


@dataclass(frozen=True)
class CheckInInput:
    held_on: date | None
    agenda: str
    notes: str
    blockers: str
    actions: str
    next_on: date | None


def _check(data: CheckInInput) -> None:
    if data.held_on is None:
        raise ServiceError(_l("Choose the day it was held."), "held_on")
    if not (data.agenda.strip() or data.notes.strip()):
        raise ServiceError(_l("Write the agenda or the notes."), "notes")
    if data.next_on is not None and data.next_on <= data.held_on:
        raise ServiceError(_l("The next check-in comes after this one."), "next_on")


def record(
    session: Session, viewer: Viewer, employee: Employee | None, data: CheckInInput
) -> CheckIn:
    """The manager records a check-in with one of their reports."""
    if employee is None or not manages(viewer, employee):
        raise ServiceError(_l("Choose one of the people you manage."), "employee_id")
    _check(data)
    checkin = CheckIn(
        organization_id=viewer.org_id,
        employee_id=employee.id,
        manager_id=viewer.employee_id,
        created_by_id=viewer.user_id,
    )
    _fill(checkin, data)
    session.add(checkin)
    session.flush()
    audit.record(session, viewer.org_id, viewer.user_id, "checkin.recorded", "checkin", checkin.id)
    return checkin


def edit(
    session: Session, viewer: Viewer, checkin: CheckIn, data: CheckInInput, version: int | None
) -> None:
    """Either of the two corrects the record (the version they saw must still be current)."""
    if viewer.employee_id not in (checkin.employee_id, checkin.manager_id):
        raise ServiceError(_l("Only the two people of a check-in change it."))
    expect_version(checkin, version)
    _check(data)
    if data.next_on != checkin.next_on:
        checkin.reminded_for = None
    before = audit.snapshot(checkin, CHECKIN_FIELDS)
    _fill(checkin, data)
    session.flush()
    audit.record(
        session,
        viewer.org_id,
        viewer.user_id,
        "checkin.edited",
        "checkin",
        checkin.id,
        changes=audit.changes(
            before, audit.snapshot(checkin, CHECKIN_FIELDS), withhold=CHECKIN_PRIVATE
        ),
    )


#: What a check-in's form edits; the words are the two people's (HR reads them only when the
#: organization allows it), so the audit log says that they changed, not what they say.
CHECKIN_PRIVATE = ("agenda", "notes", "blockers", "actions")
CHECKIN_FIELDS = ("held_on", *CHECKIN_PRIVATE, "next_on")


def _fill(checkin: CheckIn, data: CheckInInput) -> None:
    checkin.held_on = data.held_on
    checkin.agenda = data.agenda.strip()
    checkin.notes = data.notes.strip()
    checkin.blockers = data.blockers.strip()
    checkin.actions = data.actions.strip()
    checkin.next_on = data.next_on


def remind_due(session: Session, now: datetime) -> int:
    """Raise the check-in due notice to both people of every check-in whose next date is
    today or tomorrow on its organization's clock, once per next date; returns how many."""
    raised = 0
    for org in session.scalars(select(Organization).where(Organization.active)):
        today = org.today(now)
        due = session.scalars(
            select(CheckIn).where(
                CheckIn.organization_id == org.id,
                CheckIn.next_on >= today,
                CheckIn.next_on <= today + timedelta(days=REMIND_DAYS_BEFORE),
                or_(CheckIn.reminded_for.is_(None), CheckIn.reminded_for != CheckIn.next_on),
            )
        )
        for checkin in due:
            raised += bool(checkin_due(session, checkin))
            checkin.reminded_for = checkin.next_on
    session.flush()
    return raised


def checkin_due(session: Session, checkin: CheckIn) -> Event | None:
    """Both people hear that their next 1:1 is due (`{plan}`: the other person's name, as
    stored text in no language; `{due}`: the day)."""
    users = {
        checkin.employee.user_id: checkin.manager.name,
        checkin.manager.user_id: checkin.employee.name,
    }
    allowed = members(session, checkin.organization_id, users)
    recipients = sorted(u for u in users if u in allowed)
    if not recipients:
        return None
    event = Event(
        checkin.organization_id,
        NotificationKind.PLAN_CHECKIN_DUE,
        f"checkin:{checkin.id}:due:{checkin.next_on.isoformat()}",
        recipients,
        {"due": checkin.next_on.isoformat()},
        path("runtime.checkins_page"),
        personal={u: Personal(context={"plan": name}) for u, name in users.items() if u in allowed},
        to_groups=False,  # a 1:1 is private to the two
    )
    notify(session, event)
    return event
