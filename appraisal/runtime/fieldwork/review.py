"""A field record after it is made: the manager's review (approve, or return with a
comment), the employee's correction of a returned record, and the history of both.

The moves are one table (`MOVES`): a record of a type that asks for a review waits
(`pending`); its employee's manager or HR approves it or returns it; a returned record is
corrected by its employee with the form version it was made with and waits again. Every move
posts the version the page showed (409 if the record moved meanwhile), is refused in a
closed cycle's period, and is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ... import audit
from ...audit import audit_trail
from ...concurrency import expect_version
from ...errors import ServiceError
from ...i18n import in_language
from ...models import ActivityRecord, Organization, RecordStatus, utcnow
from ...notifications import events
from ...rules import CompiledActivity, check_activity_values
from ..metrics.compute import refresh_employees
from ..reviews.access import Viewer
from .access import may_review
from .reading import form_of
from .records import (
    RecordRefused,
    closed_cycle_of,
    ensure_open_period,
    local_moment,
)

PENDING, APPROVED, RETURNED = RecordStatus.PENDING, RecordStatus.APPROVED, RecordStatus.RETURNED


@dataclass(frozen=True)
class Move:
    source: RecordStatus
    target: RecordStatus
    actor: str  # "reviewer" (the manager or HR) or "employee" (the record's own)


#: Every move of a record's status after it is made.
MOVES = {
    "approve": Move(PENDING, APPROVED, "reviewer"),
    "return": Move(PENDING, RETURNED, "reviewer"),
    "resubmit": Move(RETURNED, PENDING, "employee"),
}
REVIEW_ACTIONS = ("approve", "return")
#: Field types whose value the employee gave in the field and a correction keeps.
FROM_THE_FIELD = ("customer", "photos", "location")
COMMENT_LIMIT = 2000


class ReviewRefused(ServiceError):
    """A move the record's status or the viewer does not allow now."""


def version_form(record: ActivityRecord) -> CompiledActivity:
    """The form a record was made with (its version, never a later one)."""
    return form_of(record.type_version)


def local_time(session: Session, record: ActivityRecord) -> datetime:
    return local_moment(session.get(Organization, record.organization_id), record.occurred_at)


def is_locked(session: Session, record: ActivityRecord) -> bool:
    return closed_cycle_of(session, record.employee, record.occurred_on) is not None


def review_actions(viewer: Viewer, record: ActivityRecord) -> list[str]:
    """The review buttons this viewer gets on this record (none on their own)."""
    if record.status != PENDING or not may_review(viewer, record.employee):
        return []
    return list(REVIEW_ACTIONS)


def may_edit(viewer: Viewer, record: ActivityRecord) -> bool:
    return record.status == RETURNED and record.employee_id == viewer.employee_id


def _move(
    session: Session, viewer: Viewer, record: ActivityRecord, action: str, version: int | None
) -> Move:
    move = MOVES.get(action)
    if move is None:
        raise ReviewRefused(_l("Unknown action."))
    allowed = (
        may_review(viewer, record.employee)
        if move.actor == "reviewer"
        else record.employee_id == viewer.employee_id
    )
    if not allowed:
        raise ReviewRefused(_l("This record is not yours to change."))
    expect_version(record, version)
    ensure_open_period(session, record.employee, record.occurred_on)
    if record.status != move.source:
        raise ReviewRefused(
            _l("This record is not waiting for that any more; the page shows where it is now.")
        )
    return move


def review_record(
    session: Session,
    viewer: Viewer,
    record: ActivityRecord,
    action: str,
    comment: str = "",
    version: int | None = None,
) -> ActivityRecord:
    """Approve a waiting record, or return it to its employee with a comment (required)."""
    if action not in REVIEW_ACTIONS:
        raise ReviewRefused(_l("Unknown action."))
    move = _move(session, viewer, record, action, version)
    comment = (comment or "").strip()
    if action == "return" and not comment:
        raise ReviewRefused(_l("Say what to correct: a comment is required to return."), "comment")
    if len(comment) > COMMENT_LIMIT:
        raise ReviewRefused(_l("At most 2000 characters."), "comment")
    record.status = move.target.value
    record.review_comment = comment
    record.reviewed_by_id = viewer.user_id
    record.reviewed_at = utcnow()
    session.flush()
    detail = {"comment": comment} if comment else {}
    audit.record(
        session,
        viewer.org_id,
        viewer.user_id,
        "activity.approved" if move.target == APPROVED else "activity.returned",
        "activity_record",
        record.id,
        **detail,
    )
    if move.target == RETURNED:
        events.records_returned(session, [record], viewer.user_id)
    refresh_employees(session, viewer.org_id, {record.employee_id})
    return record


def edit_record(
    session: Session,
    viewer: Viewer,
    record: ActivityRecord,
    raw: Mapping[str, Any],
    version: int | None = None,
) -> ActivityRecord:
    """The employee corrects a returned record: values checked by the version it was made
    with, then it waits for the review again. What the field gave stays as it was: the
    customer where the position was taken (its distance depends on it), the photos and the
    position (a correction at the desk cannot re-capture them)."""
    move = _move(session, viewer, record, "resubmit", version)
    activity = version_form(record)
    raw = {k: v for k, v in raw.items() if activity.field(k) is not None}
    for field in activity.fields:
        if field.type in ("photos", "customer"):
            raw[field.key] = record.values.get(field.key)
        elif field.type == "location":
            raw[field.key] = _stored_position(record)
    checked = check_activity_values(activity, raw)
    kept = {f.key for f in activity.fields if f.type in FROM_THE_FIELD}
    errors: dict[str, Any] = {
        p.field: in_language(p.message, p.message_zh)
        for p in checked.problems
        if p.field not in kept  # what the field gave is not the desk's to correct
    }
    if errors:
        raise RecordRefused(errors)
    clean = {k: v for k, v in checked.values.items() if k not in kept} | {
        k: record.values[k] for k in kept if k in record.values
    }
    before = record.values
    record.values = clean
    record.status = move.target.value
    session.flush()
    audit.record(
        session,
        viewer.org_id,
        viewer.user_id,
        "activity.edited",
        "activity_record",
        record.id,
        changes=audit.changes(before, clean),
    )
    refresh_employees(session, viewer.org_id, {record.employee_id})
    return record


def _stored_position(record: ActivityRecord) -> dict[str, Any] | None:
    if record.latitude is None:
        return None
    return {
        "latitude": str(record.latitude),
        "longitude": str(record.longitude),
        "accuracy": None if record.accuracy_m is None else str(record.accuracy_m),
        "source": record.location_source,
    }


def history(session: Session, record: ActivityRecord) -> list[tuple[Any, str, str, dict]]:
    """Made, returned (with the comment), corrected, approved: oldest first."""
    return list(
        reversed(audit_trail(session, record.organization_id, "activity_record", record.id))
    )
