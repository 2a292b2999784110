"""The act phase of the cycle: performance interviews, PIPs and IDPs, and training
suggestions from the organization's catalogue.

Interviews and plans are written by the manager or HR and read by the employee too; both
sides confirm an interview record, after which it is fixed.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import audit
from ...concurrency import expect_version
from ...errors import ServiceError
from ...models import Appraisal, Course, DevelopmentPlan, Interview, Organization, utcnow
from ...notifications import events
from ...rules import Result
from ...states import RESULT_SHOWN, CycleState
from ..compiled import appraisal_template
from ..reviews.access import CLOSED, Viewer, relations

WRITERS = frozenset({"manager", "hr"})


def _writer(appraisal: Appraisal, viewer: Viewer) -> frozenset[str]:
    rels = relations(appraisal, viewer)
    if not rels & WRITERS:
        raise ServiceError(_l("Only the manager or HR can do this."))
    if appraisal.cycle.state == CycleState.CLOSED:
        raise ServiceError(CLOSED)
    return rels


# -- interviews --------------------------------------------------------------------------------


def interviews_of(session: Session, appraisal: Appraisal) -> list[Interview]:
    return list(
        session.scalars(
            select(Interview)
            .where(Interview.appraisal_id == appraisal.id)
            .order_by(Interview.scheduled_at)
        )
    )


def schedule_interview(
    session: Session, appraisal: Appraisal, viewer: Viewer, when: datetime | None, location: str
) -> Interview:
    _writer(appraisal, viewer)
    if appraisal.state not in RESULT_SHOWN:
        raise ServiceError(_l("Interviews follow the published result."))
    if when is None:
        raise ServiceError(_l("Choose a date and time."), "scheduled_at")
    interview = Interview(
        organization_id=appraisal.organization_id,
        appraisal_id=appraisal.id,
        scheduled_at=when,
        location=location.strip()[:200],
    )
    session.add(interview)
    session.flush()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "interview.scheduled",
        "appraisal",
        appraisal.id,
        interview=interview.id,
    )
    events.interview_scheduled(session, interview, appraisal, viewer.user_id)
    return interview


def record_interview(
    session: Session,
    appraisal: Appraisal,
    interview: Interview,
    viewer: Viewer,
    notes: str,
    actions: str,
    version: int | None = None,
) -> None:
    """`version`: the interview's version the form showed (None: no expectation)."""
    _writer(appraisal, viewer)
    if interview.manager_confirmed_at and interview.employee_confirmed_at:
        raise ServiceError(_l("Both sides confirmed this record; it can no longer change."))
    expect_version(interview, version)
    if not notes.strip():
        raise ServiceError(_l("Write what was discussed."), "notes")
    interview.notes, interview.actions = notes.strip(), actions.strip()
    interview.manager_confirmed_at = interview.employee_confirmed_at = (
        None  # a changed record is confirmed again
    )
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "interview.recorded",
        "appraisal",
        appraisal.id,
        interview=interview.id,
    )
    events.interview_to_confirm(session, interview, appraisal, viewer.user_id)


def confirm_interview(
    session: Session,
    appraisal: Appraisal,
    interview: Interview,
    viewer: Viewer,
    version: int | None = None,
) -> None:
    """Confirm the record as the page showed it (`version`): one changed since is refused."""
    rels = relations(appraisal, viewer)
    if not interview.notes:
        raise ServiceError(_l("There is no record to confirm yet."))
    expect_version(interview, version)
    if "employee" in rels:
        if interview.employee_confirmed_at:
            raise ServiceError(_l("You have already confirmed this record."))
        interview.employee_confirmed_at = utcnow()
    elif rels & WRITERS:
        if interview.manager_confirmed_at:
            raise ServiceError(_l("You have already confirmed this record."))
        interview.manager_confirmed_at = utcnow()
    else:
        raise ServiceError(_l("Only the employee and the manager confirm an interview."))
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "interview.confirmed",
        "appraisal",
        appraisal.id,
        interview=interview.id,
    )


# -- plans -------------------------------------------------------------------------------------


def low_grades(appraisal: Appraisal) -> list[str]:
    """The two lowest grades of the template: those a PIP is for."""
    lowest_first = reversed(appraisal_template(appraisal).grades)
    return [grade for grade, _minimum in lowest_first][:2]


def plans_of(session: Session, appraisal: Appraisal) -> list[DevelopmentPlan]:
    return list(
        session.scalars(
            select(DevelopmentPlan)
            .where(DevelopmentPlan.employee_id == appraisal.employee_id)
            .order_by(DevelopmentPlan.created_at.desc())
        )
    )


def create_plan(
    session: Session,
    appraisal: Appraisal,
    viewer: Viewer,
    kind: str,
    goals: str,
    deadline: date | None,
    resources: str,
) -> DevelopmentPlan:
    _writer(appraisal, viewer)
    if kind not in ("pip", "idp"):
        raise ServiceError(_l("Choose PIP or IDP."), "kind")
    if kind == "pip" and appraisal.final_grade not in low_grades(appraisal):
        raise ServiceError(
            _l("A PIP is for the grades %(grades)s.", grades=", ".join(low_grades(appraisal))),
            "kind",
        )
    if not goals.strip():
        raise ServiceError(_l("Write the goals."), "goals")
    if kind == "pip" and deadline is None:
        raise ServiceError(_l("A PIP needs a deadline."), "deadline")
    plan = DevelopmentPlan(
        organization_id=appraisal.organization_id,
        employee_id=appraisal.employee_id,
        appraisal_id=appraisal.id,
        kind=kind,
        goals=goals.strip(),
        deadline=deadline,
        resources=resources.strip(),
        created_by_id=viewer.user_id,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        f"{kind}.created",
        "appraisal",
        appraisal.id,
        plan=plan.id,
    )
    return plan


def add_checkin(
    session: Session, appraisal: Appraisal, plan: DevelopmentPlan, viewer: Viewer, note: str
) -> None:
    _writer(appraisal, viewer)
    if plan.closed_at is not None:
        raise ServiceError(_l("This plan is closed."))
    if not note.strip():
        raise ServiceError(_l("Write the check-in."), "note")
    plan.checkins = [
        *plan.checkins,
        {
            "on": session.get(Organization, appraisal.organization_id).today().isoformat(),
            "note": note.strip(),
        },
    ]
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "plan.checkin",
        "appraisal",
        appraisal.id,
        plan=plan.id,
    )


def close_plan(
    session: Session, appraisal: Appraisal, plan: DevelopmentPlan, viewer: Viewer, outcome: str
) -> None:
    _writer(appraisal, viewer)
    if plan.closed_at is not None:
        raise ServiceError(_l("This plan is closed."))
    if not outcome.strip():
        raise ServiceError(_l("Write the outcome."), "outcome")
    plan.outcome, plan.closed_at = outcome.strip(), utcnow()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "plan.closed",
        "appraisal",
        appraisal.id,
        plan=plan.id,
    )


# -- training ----------------------------------------------------------------------------------


def courses(session: Session, org_id: int) -> list[Course]:
    return list(
        session.scalars(
            select(Course).where(Course.organization_id == org_id).order_by(Course.name)
        )
    )


def save_course(
    session: Session,
    org_id: int,
    name: str,
    where: str,
    indicators: str,
    below: int | None,
    user_id: int | None = None,
) -> Course:
    name = name.strip()
    keys = [k.strip() for k in indicators.replace("，", ",").split(",") if k.strip()]
    if not name:
        raise ServiceError(_l("Give the course a name."), "name")
    if not keys:
        raise ServiceError(_l("Name at least one indicator or item key it develops."), "indicators")
    if below is None or not 0 < below <= 120:
        raise ServiceError(_l("Suggest below a score between 1 and 120."), "below")
    course = Course(
        organization_id=org_id,
        name=name[:160],
        where=where.strip()[:300],
        indicators=keys,
        below=below,
    )
    session.add(course)
    session.flush()
    audit.record(session, org_id, user_id, "course.saved", "course", course.id, name=course.name)
    return course


def suggestions(
    session: Session, appraisal: Appraisal, result: Result
) -> list[tuple[Course, list[str]]]:
    """Courses for the items that scored below a course's threshold, with those items."""
    items = {
        key: item.indicator or key for key, item in appraisal_template(appraisal).items.items()
    }
    found = []
    for course in courses(session, appraisal.organization_id):
        if not course.active:
            continue
        low = [
            key
            for key, indicator in items.items()
            if (key in course.indicators or indicator in course.indicators)
            and result.items.get(key) is not None
            and result.items[key] < course.below
        ]
        if low:
            found.append((course, low))
    return found
