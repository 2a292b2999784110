"""The outbox's way in: `POST /field/sync` with one record as JSON.

The body is read by a marshmallow schema (unknown keys refused), then recorded through
`records.record_activity` for the signed-in employee, like the form post: the same checks,
the same idempotency by the phone's uuid. The answer says what the outbox does next: 201 or
200 (stored now, or already) → remove it; 422 → keep it and show "needs correcting" with
the messages by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy.orm import Session

from ...i18n import label_text, schema_message
from ..reviews.access import Viewer
from .records import RecordRefused, record_activity
from .today import employee_of

MAX_VALUES = 100  # a form has at most 60 fields; more is not a form of ours


class SyncSchema(Schema):
    class Meta:
        unknown = RAISE

    uuid = fields.String(required=True, validate=validate.Length(max=36))
    type = fields.String(required=True, validate=validate.Length(min=1, max=60))
    occurred_at = fields.AwareDateTime(required=True)
    values = fields.Dict(
        keys=fields.String(validate=validate.Length(max=60)),
        load_default=dict,
        validate=validate.Length(max=MAX_VALUES),
    )


@dataclass(frozen=True)
class SyncAnswer:
    status: int  # 201 stored now, 200 stored before, 422 refused
    body: dict[str, Any]

    @property
    def stored(self) -> bool:
        return self.status in (200, 201)


def receive(session: Session, viewer: Viewer, body: Any, url_for_record: Any) -> SyncAnswer:
    """Store one record sent by the signed-in employee's outbox (`url_for_record(uuid)`
    is the record's page, for the answer)."""
    try:
        data = SyncSchema().load(body if isinstance(body, dict) else {})
    except ValidationError as error:
        return SyncAnswer(422, {"errors": _messages(error.messages)})
    employee = employee_of(session, viewer)
    if employee is None:
        return SyncAnswer(
            422, {"errors": {"type": str(_l("Your account has no employee record."))}}
        )
    try:
        recorded = record_activity(
            session,
            viewer,
            employee,
            uuid=data["uuid"],
            type_key=data["type"],
            values=data["values"],
            occurred_at=data["occurred_at"],
        )
    except RecordRefused as refused:
        errors = {key: label_text(message) for key, message in refused.errors.items()}
        return SyncAnswer(422, {"errors": errors or {"record": str(refused.message)}})
    record = recorded.record
    return SyncAnswer(
        201 if recorded.created else 200,
        {"uuid": record.uuid, "status": record.status, "url": url_for_record(record.uuid)},
    )


def _messages(messages: Any) -> dict[str, str]:
    """marshmallow's messages as one message per top-level key, in the reader's language."""
    if not isinstance(messages, dict):
        return {"record": schema_message(messages)}
    found = {}
    for key, value in messages.items():
        while isinstance(value, dict):
            value = next(iter(value.values()), "")
        if isinstance(value, list):
            value = value[0] if value else ""
        found[str(key)] = schema_message(value)
    return found
