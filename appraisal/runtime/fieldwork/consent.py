"""Location consent (PIPL art. 14, 29: separate, informed, withdrawable consent for
sensitive personal information). Each purpose is asked separately; an answer is a new row,
never an edit, so HR can show who agreed to which text when. Refusing or withdrawing only
turns location off for that purpose: the employee records everything else as before.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import audit
from ...models import ConsentChoice, Employee, LocationConsent, LocationPurpose
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
