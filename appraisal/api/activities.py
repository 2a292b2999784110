"""Field records through the API: the published activity types, records in (one or a batch
of up to 500, idempotent per uuid, all or nothing) and out (paged, filtered, only what the
token holder may see). The services are the phone's: the API refuses what the phone refuses.

Routes are added to the `api` blueprint of `views.py` (same authentication, error body and
OpenAPI document); `api.init_app` imports this module before the blueprint is registered.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from ..access import can_use_api
from ..concurrency import EditConflict, lost_updates
from ..db import get_in_org, get_session
from ..i18n import label_text
from ..models import ActivityRecord, Employee, RecordStatus
from ..runtime.fieldwork import records as field
from ..runtime.fieldwork.access import load_record
from ..runtime.reviews.access import Viewer, viewer_for
from . import schemas
from .spec import operation
from .views import ApiError, bp, conflict_error, json_body, page_answer, query_args, require_role

MAX_BATCH = 500


# -- schemas ----------------------------------------------------------------------------------


class ActivityIn(schemas.Strict):
    uuid = fields.String(
        required=True,
        validate=validate.Length(equal=36),
        metadata={"description": "Made by the sender; sending it again stores nothing new"},
    )
    type = fields.String(required=True, validate=validate.Length(min=1, max=60))
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "ISO 8601 with its offset"}
    )
    values = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "Field key to value, as the type's definition reads them"},
    )
    employee = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Employee number (HR tokens only; default: the token's own)"},
    )


class ActivitiesIn(schemas.Strict):
    activities = fields.List(
        fields.Nested(ActivityIn),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
    )


class StoredOut(Schema):
    uuid = fields.String()
    status = fields.String()
    created = fields.Boolean(metadata={"description": "False: this uuid was already stored"})


class ActivitiesOut(Schema):
    created = fields.Integer()
    existing = fields.Integer()
    items = fields.List(fields.Nested(StoredOut))


class LocationOut(Schema):
    latitude = fields.Float()
    longitude = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    source = fields.String()
    distance_m = fields.Integer(allow_none=True)
    outside_geofence = fields.Boolean(allow_none=True)


class ActivityOut(Schema):
    uuid = fields.String()
    type = fields.String()
    type_version = fields.Integer()
    employee_number = fields.String()
    occurred_at = fields.DateTime()
    occurred_on = fields.Date()
    status = fields.String()
    customer_code = fields.String(allow_none=True)
    values = fields.Dict(keys=fields.String())
    location = fields.Nested(LocationOut, allow_none=True)
    photos = fields.List(fields.String())
    review_comment = fields.String()


class ActivityPage(schemas.PageInfo):
    items = fields.List(fields.Nested(ActivityOut))


class ActivityQuery(schemas.PageQuery):
    class Meta:
        unknown = EXCLUDE

    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    employee = fields.String(validate=validate.Length(min=1, max=40))
    type = fields.String(validate=validate.Length(min=1, max=60))
    status = fields.String(validate=validate.OneOf([s.value for s in RecordStatus]))


class ActivityTypeOut(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    definition = fields.Dict(metadata={"description": "The published `activity/1` definition"})


class ActivityTypeList(Schema):
    items = fields.List(fields.Nested(ActivityTypeOut))


# -- routes -----------------------------------------------------------------------------------


def _viewer() -> Viewer:
    return viewer_for(get_session(), g.api.token.organization_id, g.api.token.user_id, g.api.roles)


def _out(record: ActivityRecord) -> dict[str, Any]:
    located = record.latitude is not None
    return {
        "uuid": record.uuid,
        "type": record.activity_type.key,
        "type_version": record.type_version.version,
        "employee_number": record.employee.number,
        "occurred_at": record.occurred_at,
        "occurred_on": record.occurred_on,
        "status": record.status,
        "customer_code": record.customer.code if record.customer else None,
        "values": record.values,
        "location": {
            "latitude": float(record.latitude),
            "longitude": float(record.longitude),
            "accuracy_m": None if record.accuracy_m is None else float(record.accuracy_m),
            "source": record.location_source,
            "distance_m": record.distance_m,
            "outside_geofence": record.outside_geofence,
        }
        if located
        else None,
        "photos": [p.uuid for p in record.photos],
        "review_comment": record.review_comment,
    }


@bp.get("/activity-types")
@operation(
    "/activity-types",
    "get",
    summary="List the published activity types with their current definition",
    response=ActivityTypeList,
    errors=("401", "403"),
)
def activity_types():
    require_role(can_use_api)
    items = [
        {
            "key": t.key,
            "name": label_text(t.latest.definition.get("name")),
            "version": t.latest.version,
            "definition": t.latest.definition,
        }
        for t in field.published_types(get_session(), g.api.token.organization_id)
    ]
    return jsonify(ActivityTypeList().dump({"items": items}))


@bp.get("/activities")
@operation(
    "/activities",
    "get",
    summary="List field records the token's holder may see (paged, filtered)",
    response=ActivityPage,
    query=ActivityQuery,
    errors=("400", "401", "403"),
)
def activities():
    require_role(can_use_api)
    args = query_args(ActivityQuery)
    stmt = field.records_query(
        _viewer(),
        start=args.get("start"),
        end=args.get("end"),
        employee=args.get("employee"),
        type_key=args.get("type"),
        status=args.get("status"),
    )
    return page_answer(stmt, ActivityPage, _out)


@bp.get("/activities/<uuid>")
@operation(
    "/activities/{uuid}",
    "get",
    summary="One field record, by its uuid",
    response=ActivityOut,
    errors=("401", "403", "404"),
)
def activity(uuid: str):
    require_role(can_use_api)
    record = load_record(get_session(), _viewer(), uuid.strip().lower())
    if record is None:
        raise ApiError(404, "not_found", _l("No such record among those you may see."))
    return jsonify(ActivityOut().dump(_out(record)))


@bp.post("/activities")
@operation(
    "/activities",
    "post",
    summary="Record field activities: one or a batch of up to 500 (all or nothing; "
    "idempotent per uuid)",
    body=ActivitiesIn,
    response=ActivitiesOut,
    status=201,
    errors=("400", "401", "403", "413", "422"),
)
def activities_record():
    require_role(can_use_api)
    batch = json_body(ActivitiesIn)["activities"]
    db = get_session()
    viewer = _viewer()
    try:
        with lost_updates(db):
            stored, details = _record_batch(db, viewer, batch)
    except EditConflict as conflict:  # a uuid of the batch arrived at the same moment
        raise conflict_error(conflict) from None
    if details:
        db.rollback()
        message = _l("%(count)d values need correcting; nothing was saved.", count=len(details))
        raise ApiError(422, "refused", message, details)
    db.commit()
    created = sum(1 for r in stored if r.created)
    body = {
        "created": created,
        "existing": len(stored) - created,
        "items": [
            {"uuid": r.record.uuid, "status": r.record.status, "created": r.created} for r in stored
        ],
    }
    return jsonify(ActivitiesOut().dump(body)), 201 if created else 200


def _record_batch(db: Any, viewer: Viewer, batch: list[dict[str, Any]]) -> tuple[list, list]:
    """Each record through the phone's service; refusals collected with their place."""
    stored: list[field.Recorded] = []
    details: list[dict[str, Any]] = []
    for index, item in enumerate(batch):
        where = f"activities[{index}]"
        employee = _employee(db, viewer, item.get("employee"))
        if isinstance(employee, str):
            details.append({"path": f"{where}.employee", "message": employee})
            continue
        try:
            recorded = field.record_activity(
                db,
                viewer,
                employee,
                uuid=item["uuid"],
                type_key=item["type"],
                values=item["values"],
                occurred_at=item["occurred_at"],
            )
        except field.RecordRefused as refused:
            details += [
                {"path": f"{where}.{'values.' if k in item['values'] else ''}{k}", "message": m}
                for k, m in refused.errors.items()
            ] or [{"path": where, "message": refused.message}]
            continue
        stored.append(recorded)
    return stored, details


def _employee(db: Any, viewer: Viewer, number: str | None) -> Any:
    """The employee a record is for, or the message why not (as text)."""
    if number is None:
        if viewer.employee_id is None:
            return str(_l("Name the employee: this token's holder is no employee."))
        return get_in_org(db, Employee, viewer.org_id, viewer.employee_id)
    if not viewer.is_hr:
        return str(_l("Only an HR token records for someone else."))
    employee = field.employee_by_number(db, viewer.org_id, number)
    return employee if employee is not None else str(_l("No such employee number."))
