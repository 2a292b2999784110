"""Location consent (PIPL art. 14, 29: separate, informed, withdrawable consent for
sensitive personal information). Each purpose is asked separately; an answer is a new row,
never an edit, so HR can show who agreed to which text when. Refusing or withdrawing only
turns location off for that purpose: the employee records everything else as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import audit
from ...models import ConsentChoice, Employee, LocationConsent, LocationPurpose
from ...paging import Page, paginate
from ..reviews.access import Viewer

#: The version of the words shown with the question (in labels); a new wording is a new
#: version, and the consent record keeps the version the employee answered.
CONSENT_TEXT_VERSION = "2026-11"


def current_choice(session: Session, employee: Employee, purpose: str) -> str | None:
    """The answer in force for `purpose` (None: never asked)."""
    return session.scalar(
        select(LocationConsent.choice)
        .where(
            LocationConsent.organization_id == employee.organization_id,
            LocationConsent.employee_id == employee.id,
            LocationConsent.purpose == purpose,
        )
        .order_by(LocationConsent.decided_at.desc(), LocationConsent.id.desc())
        .limit(1)
    )


def granted(session: Session, employee: Employee, purpose: str) -> bool:
    return current_choice(session, employee, purpose) == ConsentChoice.GRANTED


def decide(
    session: Session, viewer: Viewer, employee: Employee, purpose: str, choice: str
) -> LocationConsent:
    """Record the employee's own answer. Only the employee answers for themselves."""
    LocationPurpose(purpose)
    ConsentChoice(choice)
    if employee.id != viewer.employee_id:
        raise PermissionError("only the employee answers for their own location")
    answer = LocationConsent(
        organization_id=employee.organization_id,
        employee_id=employee.id,
        purpose=purpose,
        choice=choice,
        text_version=CONSENT_TEXT_VERSION,
        decided_by_id=viewer.user_id,
    )
    session.add(answer)
    session.flush()
    audit.record(
        session,
        employee.organization_id,
        viewer.user_id,
        f"consent.{choice}",
        "employee",
        employee.id,
        purpose=purpose,
        text_version=CONSENT_TEXT_VERSION,
    )
    return answer


# -- what the employee is told, and what HR is shown -------------------------------------------

#: The words of each question (version `CONSENT_TEXT_VERSION`; change both together).
#: What is collected, when, why, who sees it and how long it is kept (PIPL art. 17, 30).
COLLECTED = _l(
    "Your position (latitude and longitude), how accurate the device says it is, and where it "
    "came from (satellite or network). Never an address looked up from your internet "
    "connection."
)
WHEN = _l(
    "Only at the moment you save such a record on your phone, and only after your browser "
    "asks you to. Never in the background, never between records."
)
PURPOSE_TEXT = {
    LocationPurpose.CHECK_IN: _l(
        "To show your manager where you checked in and out, and to flag (not refuse) a "
        "check-in far from the customer's site, with the distance."
    ),
    LocationPurpose.VISIT: _l(
        "To show your manager that a customer visit took place at the customer's site, and "
        "to flag (not refuse) a visit far from it, with the distance."
    ),
}
WHO_SEES = _l(
    "You, your manager (and their managers where your organization allows it) and HR. "
    "Nobody outside your organization."
)
KEPT = _l(
    "With the record it belongs to, for as long as the organization keeps that record. "
    "Withdrawing stops collection from then on; positions already saved stay with their "
    "records."
)
IF_NOT = _l(
    "Refusing or withdrawing only turns location off: you record visits and check-ins as "
    "before, without a position. You can change your answer here at any time."
)


@dataclass(frozen=True)
class Answer:
    """The answer in force for one purpose (None: never asked)."""

    purpose: str
    current: LocationConsent | None

    @property
    def granted(self) -> bool:
        return self.current is not None and self.current.choice == ConsentChoice.GRANTED


def answers_of(session: Session, employee: Employee) -> list[Answer]:
    latest = _latest(session, [employee.id])
    return [Answer(p.value, latest.get((employee.id, p.value))) for p in LocationPurpose]


def answer(
    session: Session, viewer: Viewer, employee: Employee, purpose: str, agree: bool
) -> LocationConsent:
    """The employee agrees or says no; saying no to a purpose in force is a withdrawal."""
    if agree:
        choice = ConsentChoice.GRANTED
    elif granted(session, employee, purpose):
        choice = ConsentChoice.WITHDRAWN
    else:
        choice = ConsentChoice.REFUSED
    return decide(session, viewer, employee, purpose, choice.value)


def _latest(session: Session, employee_ids: list[int]) -> dict[tuple[int, str], LocationConsent]:
    """The answers in force of these employees, by (employee, purpose): one query."""
    found: dict[tuple[int, str], LocationConsent] = {}
    if not employee_ids:
        return found
    rows = session.scalars(
        select(LocationConsent)
        .where(LocationConsent.employee_id.in_(employee_ids))
        .order_by(LocationConsent.decided_at, LocationConsent.id)
    )
    for row in rows:
        found[(row.employee_id, row.purpose)] = row
    return found


def _in_force(org_id: int) -> Any:
    """The ids of the answers in force (the latest per employee and purpose: answers are
    only ever added, so the latest is the highest id)."""
    return (
        select(func.max(LocationConsent.id))
        .where(LocationConsent.organization_id == org_id)
        .group_by(LocationConsent.employee_id, LocationConsent.purpose)
    )


NEVER = "none"  # the filter value for "never asked"


@dataclass(frozen=True)
class ConsentRow:
    employee: Employee
    answers: list[Answer]


def consent_overview(
    session: Session,
    viewer: Viewer,
    *,
    q: str = "",
    purpose: str | None = None,
    choice: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[ConsentRow]:
    """HR's list: every employee's answer in force per purpose, filtered by name or number
    and by the answer to one purpose (`NEVER`: never asked), a page at a time."""
    if not viewer.is_hr:
        raise PermissionError("only HR sees everyone's consent")
    who = select(Employee).where(Employee.organization_id == viewer.org_id)
    if q.strip():
        term = f"%{q.strip()}%"
        who = who.where(Employee.name.ilike(term) | Employee.number.ilike(term))
    if purpose in set(LocationPurpose) and choice:
        answered = select(LocationConsent.employee_id).where(
            LocationConsent.organization_id == viewer.org_id,
            LocationConsent.id.in_(_in_force(viewer.org_id)),
            LocationConsent.purpose == purpose,
        )
        if choice == NEVER:
            who = who.where(Employee.id.not_in(answered))
        elif choice in set(ConsentChoice):
            who = who.where(Employee.id.in_(answered.where(LocationConsent.choice == choice)))
    people = paginate(session, who.order_by(Employee.number, Employee.id), page, per_page)
    latest = _latest(session, [e.id for e in people.items])
    rows = [
        ConsentRow(e, [Answer(p.value, latest.get((e.id, p.value))) for p in LocationPurpose])
        for e in people.items
    ]
    return Page(rows, people.page, people.per_page, people.total)


def consent_history(
    session: Session, viewer: Viewer, employee: Employee, page: int = 1, per_page: int = 50
) -> Page[LocationConsent]:
    """Every answer of one employee, newest first (HR, or the employee themselves)."""
    if not (viewer.is_hr or viewer.employee_id == employee.id):
        raise PermissionError("only HR and the employee see the history")
    return paginate(
        session,
        select(LocationConsent)
        .where(
            LocationConsent.organization_id == employee.organization_id,
            LocationConsent.employee_id == employee.id,
        )
        .order_by(LocationConsent.decided_at.desc(), LocationConsent.id.desc()),
        page,
        per_page,
    )
