"""The result of an appraisal as its people read it, and what the employee does with it:
acknowledge, or appeal with a reason; HR answers an appeal by upholding the result or by
reopening a step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ... import audit
from ...errors import ServiceError
from ...models import Appeal, Appraisal, Cycle, utcnow
from ...notifications import events
from ...rules import Result
from ...states import RESULT_SHOWN, AppealStatus, AppraisalState, CycleState
from .. import workflow
from ..dashboards.attainment import exact
from ..dashboards.trend import TrendRow
from ..reviews.access import CLOSED, OFFICIAL, Viewer, final_result, relations, shown_result
from ..reviews.feedback import Comment, written_feedback
from ..reviews.reviews import reopen


@dataclass
class ResultPage:
    """Everything on the result page; every figure (the result and each trend row) is the
    official result of `reviews.final_result`."""

    appraisal: Appraisal
    result: Result
    grade: str | None
    comments: list[Comment]  # written feedback this reader may see (`feedback`)
    trend: list[TrendRow] = field(default_factory=list)  # oldest first, this one last
    appeals: list[Appeal] = field(default_factory=list)


def may_read(appraisal: Appraisal, viewer: Viewer) -> bool:
    """HR, the manager and HR's readers any time; the employee once the result is
    published."""
    rels = relations(appraisal, viewer)
    return bool(rels & OFFICIAL) or ("employee" in rels and appraisal.state in RESULT_SHOWN)


def result_page(session: Session, appraisal: Appraisal, viewer: Viewer) -> ResultPage:
    rels = relations(appraisal, viewer)
    result = shown_result(appraisal, rels)
    comments = written_feedback(appraisal, rels)
    earlier = session.scalars(
        select(Appraisal)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(
            Appraisal.employee_id == appraisal.employee_id,
            Appraisal.id != appraisal.id,
            Appraisal.state.in_(RESULT_SHOWN),
            Cycle.ends_on <= appraisal.cycle.ends_on,
        )
        .options(
            selectinload(Appraisal.cycle),
            selectinload(Appraisal.template_version),
            selectinload(Appraisal.reviews),
        )
        .order_by(Cycle.ends_on)
    ).all()
    rows = [(a, final_result(a)) for a in earlier] + [(appraisal, result)]
    trend = [TrendRow(a.cycle.name, exact(row.total), row.grade, a.id) for a, row in rows]
    return ResultPage(
        appraisal, result, result.grade, comments, trend, appeals_of(session, appraisal)
    )


def appeals_of(session: Session, appraisal: Appraisal) -> list[Appeal]:
    return list(
        session.scalars(
            select(Appeal).where(Appeal.appraisal_id == appraisal.id).order_by(Appeal.id)
        )
    )


def open_appeal(appraisal: Appraisal, appeals: list[Appeal]) -> Appeal | None:
    return next((a for a in appeals if a.status == AppealStatus.OPEN), None)


def appeal_deadline(appraisal: Appraisal) -> datetime | None:
    if appraisal.published_at is None:
        return None
    published = appraisal.published_at
    return published + timedelta(days=appraisal.cycle.appeal_days)


def acknowledge(
    session: Session, appraisal: Appraisal, viewer: Viewer, appeals: list[Appeal]
) -> None:
    rels = relations(appraisal, viewer)
    if appraisal.cycle.state == CycleState.CLOSED:
        raise ServiceError(CLOSED)
    if open_appeal(appraisal, appeals):
        raise ServiceError(_l("Your appeal is still open; HR will answer it first."))
    try:
        appraisal.state = workflow.next_state(appraisal.state, "acknowledge", rels)
    except workflow.WorkflowRefused as refused:
        if refused.code == "wrong_state" and appraisal.state == AppraisalState.ACKNOWLEDGED:
            raise ServiceError(_l("You have already acknowledged this result.")) from None
        raise ServiceError(_l("This result cannot be acknowledged now.")) from None
    appraisal.acknowledged_at = utcnow()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "appraisal.acknowledge",
        "appraisal",
        appraisal.id,
    )


def appeal(
    session: Session,
    appraisal: Appraisal,
    viewer: Viewer,
    reason: str,
    appeals: list[Appeal],
    now: datetime | None = None,
) -> Appeal:
    rels = relations(appraisal, viewer)
    if "employee" not in rels:
        raise ServiceError(_l("Only the employee can appeal."))
    if appraisal.cycle.state == CycleState.CLOSED:
        raise ServiceError(CLOSED)
    if appraisal.state != AppraisalState.PUBLISHED:
        raise ServiceError(_l("Only a published, not yet acknowledged result can be appealed."))
    if open_appeal(appraisal, appeals):
        raise ServiceError(_l("An appeal is already open."))
    if any(a.status != AppealStatus.OPEN and _after_publication(appraisal, a) for a in appeals):
        raise ServiceError(_l("Your appeal against this result has been answered already."))
    deadline = appeal_deadline(appraisal)
    now = now or utcnow()
    if deadline is not None and _aware(now) > _aware(deadline):
        raise ServiceError(
            _l("The appeal window closed on %(date)s.", date=_aware(deadline).strftime("%Y-%m-%d")),
            "reason",
        )
    if not reason.strip():
        raise ServiceError(_l("Say why you appeal."), "reason")
    row = Appeal(
        organization_id=appraisal.organization_id,
        appraisal_id=appraisal.id,
        reason=reason.strip()[:4000],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "appraisal.appealed",
        "appraisal",
        appraisal.id,
        appeal=row.id,
    )
    events.appeal_filed(session, row, appraisal)
    return row


def _after_publication(appraisal: Appraisal, row: Appeal) -> bool:
    """Whether the appeal is about the current publication (a reopened result that is
    published again can be appealed again)."""
    published = appraisal.published_at
    return published is None or _aware(row.created_at) >= _aware(published)


def may_appeal(appraisal: Appraisal, appeals: list[Appeal]) -> bool:
    return appraisal.state == AppraisalState.PUBLISHED and not any(
        _after_publication(appraisal, a) for a in appeals
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def resolve_appeal(
    session: Session,
    appraisal: Appraisal,
    appeal_row: Appeal,
    viewer: Viewer,
    decision: str,
    reply: str,
    reopen_to: str | None = None,
) -> None:
    """Uphold the result, or reopen a step; either way with a reply the employee reads."""
    if "hr" not in relations(appraisal, viewer):
        raise ServiceError(_l("Only HR resolves appeals."))
    if appeal_row.status != AppealStatus.OPEN:
        raise ServiceError(_l("This appeal is already resolved."))
    if not reply.strip():
        raise ServiceError(_l("Write a reply to the employee."), "reply")
    if decision == "reopen":
        reopen(session, appraisal, viewer, reopen_to or "", reply)
        appraisal.published_at = None
        appeal_row.status = AppealStatus.REOPENED.value
    elif decision == "uphold":
        appeal_row.status = AppealStatus.UPHELD.value
    else:
        raise ServiceError(_l("Choose uphold or reopen."), "decision")
    appeal_row.reply = reply.strip()
    appeal_row.resolved_at = utcnow()
    appeal_row.resolved_by_id = viewer.user_id
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "appeal.resolved",
        "appraisal",
        appraisal.id,
        appeal=appeal_row.id,
        decision=appeal_row.status,
        reply=appeal_row.reply,
    )
    events.appeal_answered(session, appeal_row, appraisal)
