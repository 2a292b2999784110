"""Recording audit events. The caller's transaction carries them with the change itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .models import AuditEvent


def record(
    session: Session,
    organization_id: int,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
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
