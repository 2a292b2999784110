"""Recording audit events. The caller's transaction carries them with the change itself."""

from __future__ import annotations

import warnings
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .labels import AUDIT_ACTION, RECORDED_BEFORE
from .models import AuditEvent, User


class UnlabelledAction(UserWarning):
    """An audit action with no words in `labels.AUDIT_ACTION` (history would show the code);
    the test suite turns warnings into errors."""


def record(
    session: Session,
    organization_id: int,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """One event, named `area.verb` (a key of `labels.AUDIT_ACTION`). Only services record:
    whoever changes something (a page, a command, the API) gets the same trail."""
    if action not in AUDIT_ACTION or action in RECORDED_BEFORE:
        warnings.warn(f"audit action {action!r} has no label", UnlabelledAction, stacklevel=2)
    event = AuditEvent(
        organization_id=organization_id,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
    )
    session.add(event)
    return event


def audit_trail(
    session: Session, org_id: int, entity: str, entity_id: int, limit: int = 50
) -> list[tuple[Any, str, str, dict[str, Any]]]:
    """Who did what and when to one row (a template, an appraisal, …), newest first."""
    rows = session.execute(
        select(AuditEvent.at, User.name, AuditEvent.action, AuditEvent.detail)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(
            AuditEvent.organization_id == org_id,
            AuditEvent.entity == entity,
            AuditEvent.entity_id == entity_id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [(row.at, row.name or "", row.action, row.detail or {}) for row in rows]
