"""Business events from other systems (CRM, OA, ticketing): `POST /events` takes a batch of
up to 1,000 (all or nothing, idempotent per source and external id), `GET /events` lists
them. The same token roles as the customer API (HR admins, implementers, whose
integrations push data) and the same service as the file import
(`runtime.metrics.events.receive_events`), so both refuse the same things.

The schema checks the shape (unknown keys are a 400); the service checks the values and
answers every problem with its place, `events[3].occurred_at` (a 422).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import g, jsonify
from marshmallow import EXCLUDE, Schema, fields, validate

from ..access import can_manage_people, can_review_events
from ..concurrency import EditConflict, lost_updates
from ..db import get_session
from ..models import ExternalEvent, as_utc
from ..rules import EVENT_KINDS
from ..runtime.metrics import events as services
from ..states import EventStatus
from .schemas import PageInfo, PageQuery, Strict
from .spec import operation
from .views import (
    ApiError,
    bp,
    conflict_error,
    json_body,
    page_answer,
    query_args,
    require_role,
    token_org_id,
)

MAX_BATCH = 1000
TEXT = validate.Length(max=1000)  # the service words the real limits; this bounds the work


class EventIn(Strict):
    source = fields.String(
        load_default=None,
        validate=TEXT,
        metadata={"description": "The sending system, key-like (`crm`, `oa`, `tickets`): ≤ 40"},
    )
    external_id = fields.String(
        load_default=None,
        validate=TEXT,
        metadata={
            "description": "The event's id in that system (≤ 120); resending it changes nothing"
        },
    )
    kind = fields.String(
        load_default=None,
        validate=TEXT,
        metadata={"description": "One of: " + ", ".join(EVENT_KINDS)},
    )
    occurred_at = fields.String(
        load_default=None,
        validate=TEXT,
        metadata={
            "description": "ISO 8601. With an offset (`+08:00`, `Z`) as given; without one, on "
            "the organization's clock",
            "example": "2026-03-31T23:30:00+08:00",
        },
    )
    person = fields.Dict(
        keys=fields.String(validate=TEXT),
        values=fields.Raw(),
        load_default=None,
        metadata={
            "description": "Exactly one of `employee_number`, `email` or `user_id` (that "
            "system's own user id, mapped by HR on the held-people screen)",
            "example": {"employee_number": "E0012"},
        },
    )
    attributes = fields.Dict(
        keys=fields.String(validate=TEXT),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={"description": "The kind's attributes (see docs/decisions.md); all optional"},
    )


class EventsIn(Strict):
    events = fields.List(
        fields.Nested(EventIn), required=True, validate=validate.Length(min=1, max=MAX_BATCH)
    )


class EventResult(Schema):
    index = fields.Integer()
    source = fields.String()
    external_id = fields.String()
    status = fields.String(
        metadata={"description": "matched | held (stored now) | unchanged (stored before)"}
    )


class EventsOut(Schema):
    created = fields.Integer(metadata={"description": "Stored now, matched or held"})
    unchanged = fields.Integer()
    held = fields.Integer(metadata={"description": "Stored now, waiting for HR to map its person"})
    results = fields.List(fields.Nested(EventResult))


class EventOut(Schema):
    source = fields.String()
    external_id = fields.String()
    kind = fields.String()
    occurred_at = fields.DateTime()
    occurred_on = fields.Date(metadata={"description": "The organization's local day"})
    person_ref = fields.String()
    employee = fields.String(allow_none=True, metadata={"description": "Employee number"})
    status = fields.String()
    attributes = fields.Dict()
    received_at = fields.DateTime()


class EventPage(PageInfo):
    items = fields.List(fields.Nested(EventOut))


class EventQuery(PageQuery):
    class Meta:
        unknown = EXCLUDE

    source = fields.String(load_default="", validate=validate.Length(max=40))
    kind = fields.String(load_default="", validate=validate.OneOf(["", *EVENT_KINDS]))
    status = fields.String(
        load_default="", validate=validate.OneOf(["", *(s.value for s in EventStatus)])
    )
    received_since = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "Only events received at or after this moment, oldest first"},
    )


def _out(event: ExternalEvent) -> dict[str, Any]:
    return {
        "source": event.source,
        "external_id": event.external_id,
        "kind": event.kind,
        "occurred_at": as_utc(event.occurred_at),
        "occurred_on": event.occurred_on,
        "person_ref": event.person_ref,
        "employee": event.employee.number if event.employee else None,
        "status": event.status,
        "attributes": event.attributes,
        "received_at": as_utc(event.received_at),
    }


@bp.get("/events")
@operation(
    "/events",
    "get",
    summary="List business events (filtered by source, kind, status, received since)",
    response=EventPage,
    query=EventQuery,
    errors=("400", "401", "403"),
)
def events():
    require_role(can_review_events)  # who sent what about whom: HR, as on the pages
    args = query_args(EventQuery)
    filters = services.EventFilters(
        source=args["source"],
        kind=args["kind"],
        status=args["status"],
        received_since=args["received_since"],
    )
    return page_answer(services.events_query(token_org_id(), filters), EventPage, _out)


@bp.post("/events")
@operation(
    "/events",
    "post",
    summary="Receive up to 1,000 business events (all or nothing; idempotent per source and "
    "external id; unknown people are held for HR)",
    body=EventsIn,
    response=EventsOut,
    errors=("400", "401", "403", "409", "413", "422"),
)
def events_receive():
    require_role(can_manage_people)
    batch = json_body(EventsIn)["events"]
    db = get_session()
    try:
        with lost_updates(db):  # the same id sent twice at the same moment: 409, then retry
            received = services.receive_events(db, token_org_id(), batch, g.api.token.user_id)
    except EditConflict as conflict:
        raise conflict_error(conflict) from None
    except services.EventsRefused as refused:
        db.rollback()
        details = [
            {"path": f"events[{p.index}].{p.field}", "message": p.message} for p in refused.problems
        ]
        raise ApiError(422, "refused", refused.message, details) from None
    db.commit()
    return jsonify(
        EventsOut().dump(
            {
                "created": received.created,
                "unchanged": received.count("unchanged"),
                "held": received.count("held"),
                "results": received.outcomes,
            }
        )
    )
