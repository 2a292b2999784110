"""Feedback notes: praise or a point to improve that anyone in the organization gives
anyone else, optionally about an indicator; and requests for them.

A note is read by its author, its recipient's manager (direct, or up the chain where the
organization allows) and HR admins; by the recipient too unless the author made it
private to the manager. Nothing here is anonymous, and nothing here is a peer review's
answer: those stay behind the appraisal's anonymity threshold (`reviews.access`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from ... import audit
from ...errors import ServiceError
from ...models import Employee, FeedbackNote, FeedbackRequest, Indicator, User, utcnow
from ...states import FeedbackKind, FeedbackVisibility
from ..fieldwork.access import manages
from ..reviews.access import Viewer, among

MAX_TEXT = 4000


def may_read(viewer: Viewer, note: FeedbackNote) -> bool:
    if note.organization_id != viewer.org_id:
        return False
    if viewer.is_hr or note.author_id == viewer.user_id or manages(viewer, note.recipient):
        return True
    return note.recipient_id == viewer.employee_id and note.visibility == FeedbackVisibility.SHARED


def readable(viewer: Viewer) -> ColumnElement[bool]:
    """`may_read` as a condition on `FeedbackNote` joined to its recipient `Employee`."""
    in_org = FeedbackNote.organization_id == viewer.org_id
    if viewer.is_hr:
        return in_org
    seen = [FeedbackNote.author_id == viewer.user_id]
    if viewer.employee_id is not None:
        seen.append(
            and_(
                FeedbackNote.recipient_id == viewer.employee_id,
                FeedbackNote.visibility == FeedbackVisibility.SHARED.value,
            )
        )
        seen.append(Employee.manager_id == viewer.employee_id)
        if viewer.reports:
            seen.append(among(FeedbackNote.recipient_id, viewer.reports))
    return and_(in_org, or_(*seen))


def notes_for(
    session: Session, viewer: Viewer, recipient_id: int | None = None, limit: int = 200
) -> list[FeedbackNote]:
    query = (
        select(FeedbackNote)
        .join(Employee, Employee.id == FeedbackNote.recipient_id)
        .where(readable(viewer))
        .options(selectinload(FeedbackNote.author), selectinload(FeedbackNote.recipient))
    )
    if recipient_id is not None:
        query = query.where(FeedbackNote.recipient_id == recipient_id)
    notes = session.scalars(query.order_by(FeedbackNote.created_at.desc()).limit(limit))
    return [n for n in notes if may_read(viewer, n)]


def give(
    session: Session,
    viewer: Viewer,
    recipient: Employee | None,
    kind: str,
    text: str,
    indicator_id: int | None,
    private: bool,
    request_id: int | None = None,
) -> FeedbackNote:
    if recipient is None or recipient.organization_id != viewer.org_id:
        raise ServiceError(_l("Choose a colleague."), "recipient_id")
    if recipient.id == viewer.employee_id:
        raise ServiceError(_l("Feedback is for someone else."), "recipient_id")
    if kind not in FeedbackKind.__members__.values():
        raise ServiceError(_l("Choose praise or a point to improve."), "kind")
    if not text.strip():
        raise ServiceError(_l("Write the feedback."), "text")
    if len(text) > MAX_TEXT:
        raise ServiceError(_l("At most %(count)s characters.", count=MAX_TEXT), "text")
    if (
        indicator_id
        and session.scalar(
            select(Indicator.id).where(
                Indicator.organization_id == viewer.org_id, Indicator.id == indicator_id
            )
        )
        is None
    ):
        raise ServiceError(_l("Choose an indicator from the list."), "indicator_id")
    request = None
    if request_id is not None:
        request = session.get(FeedbackRequest, request_id)
        if (
            request is None
            or request.organization_id != viewer.org_id
            or request.asked_id != viewer.user_id
            or request.about_id != recipient.id
        ):
            raise ServiceError(_l("This request is not yours to answer."))
        request.answered_at = utcnow()
    note = FeedbackNote(
        organization_id=viewer.org_id,
        author_id=viewer.user_id,
        recipient_id=recipient.id,
        kind=kind,
        text=text.strip(),
        indicator_id=indicator_id or None,
        visibility=(FeedbackVisibility.MANAGER if private else FeedbackVisibility.SHARED).value,
        request_id=request.id if request else None,
    )
    session.add(note)
    session.flush()
    audit.record(session, viewer.org_id, viewer.user_id, "feedback.given", "employee", recipient.id)
    return note


def ask(
    session: Session,
    viewer: Viewer,
    asked: User | None,
    about: Employee | None,
    message: str,
    member_ids: set[int],
) -> FeedbackRequest:
    """Ask a colleague for feedback about yourself or someone you manage."""
    if asked is None or asked.id not in member_ids or asked.id == viewer.user_id:
        raise ServiceError(_l("Choose a colleague to ask."), "asked_id")
    if about is None or about.organization_id != viewer.org_id:
        raise ServiceError(_l("Choose whom the feedback is about."), "about_id")
    if about.id != viewer.employee_id and not manages(viewer, about):
        raise ServiceError(_l("Ask about yourself or someone you manage."), "about_id")
    if about.user_id == asked.id:
        raise ServiceError(_l("Ask someone other than the person it is about."), "asked_id")
    request = FeedbackRequest(
        organization_id=viewer.org_id,
        requester_id=viewer.user_id,
        asked_id=asked.id,
        about_id=about.id,
        message=message.strip()[:1000],
    )
    session.add(request)
    session.flush()
    audit.record(session, viewer.org_id, viewer.user_id, "feedback.requested", "employee", about.id)
    return request


def requests_to(session: Session, viewer: Viewer) -> list[FeedbackRequest]:
    """The open requests asking the viewer for feedback."""
    return list(
        session.scalars(
            select(FeedbackRequest)
            .where(
                FeedbackRequest.organization_id == viewer.org_id,
                FeedbackRequest.asked_id == viewer.user_id,
                FeedbackRequest.answered_at.is_(None),
            )
            .options(selectinload(FeedbackRequest.about), selectinload(FeedbackRequest.requester))
            .order_by(FeedbackRequest.created_at.desc())
        )
    )


def indicator_names(
    session: Session, org_id: int, ids: Collection[int] | None = None
) -> dict[int, Any]:
    """{id: {"zh": …, "en": …}} of the organization's indicators (those of `ids` only, when
    given), in key order: a label the pages show in the reader's language (`label_text`)."""
    query = (
        select(Indicator.id, Indicator.name_zh, Indicator.name_en)
        .where(Indicator.organization_id == org_id)
        .order_by(Indicator.key)
    )
    if ids is not None:
        query = query.where(Indicator.id.in_(sorted(set(ids))))
    return {row.id: {"zh": row.name_zh, "en": row.name_en} for row in session.execute(query)}


def indicator_choices(session: Session, org_id: int) -> list[tuple[int, Any]]:
    """(id, {"zh": …, "en": …}) of the organization's indicators, for a note's link."""
    return list(indicator_names(session, org_id).items())
