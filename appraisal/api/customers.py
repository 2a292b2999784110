"""The customer/site master over the API, for CRM sync: list (paged, searched, changed
since), read one by code, upsert one by code (PUT), upsert a batch of up to 1,000 (all or
nothing). The same token roles as the pages (HR admins, implementers) and the same checks
(`runtime.fieldwork.customer_imports.upsert_customers`), so the API refuses what the
pages refuse. A key left out of a body keeps what is stored; `null` or "" clears it.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import g, jsonify
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from ..access import can_manage_people
from ..concurrency import EditConflict, expect_version, lost_updates
from ..db import get_session
from ..models import Customer, as_utc
from ..people.imports import RowsRefused, UpsertReport
from ..runtime.fieldwork import customer_imports
from ..runtime.fieldwork import customers as services
from .schemas import PageInfo, PageQuery, RowOutcomeOut, Strict
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
CODE = {"type": "string", "minLength": 1, "maxLength": services.TEXT_LIMITS["code"]}
REPS = "Employee numbers of the reps (employees still employed here); replaces the list"


class CustomerOut(Schema):
    code = fields.String()
    name = fields.String()
    address = fields.String()
    kind = fields.String(metadata={"description": "The customer type (store, distributor, …)"})
    reps = fields.List(fields.String(), metadata={"description": "Reps' employee numbers"})
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    radius_m = fields.Integer(allow_none=True, metadata={"description": "Geofence, metres"})
    active = fields.Boolean()
    version = fields.Integer(metadata={"description": "Send it back as `version` to save"})
    updated_at = fields.DateTime()


class CustomerPage(PageInfo):
    items = fields.List(fields.Nested(CustomerOut))


class CustomerQuery(PageQuery):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Part of the name, code or address"},
    )
    updated_since = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "Only customers changed at or after this moment, oldest first"},
    )


class CustomerIn(Strict):
    name = fields.String(validate=validate.Length(max=1000))
    address = fields.String(allow_none=True, validate=validate.Length(max=1000))
    kind = fields.String(allow_none=True, validate=validate.Length(max=1000))
    reps = fields.List(
        fields.String(validate=validate.Length(max=100)),
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": REPS},
    )
    latitude = fields.Float(allow_none=True, metadata={"description": "-90 to 90; with longitude"})
    longitude = fields.Float(allow_none=True, metadata={"description": "-180 to 180"})
    radius_m = fields.Integer(allow_none=True, metadata={"description": "Geofence, metres"})
    active = fields.Boolean()
    version = fields.Integer(
        metadata={
            "description": "Optional precondition: the version you last read (0: the code must "
            "be new). When the stored one differs, 409 and nothing is saved."
        }
    )


class CustomerBatchItem(CustomerIn):
    code = fields.String(required=True, validate=validate.Length(max=1000))


class CustomersIn(Strict):
    customers = fields.List(
        fields.Nested(CustomerBatchItem),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
    )
    dry_run = fields.Boolean(load_default=False)


class CustomerUpserted(CustomerOut):
    outcome = fields.String(metadata={"description": "create | update | unchanged"})


class CustomersOut(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    dry_run = fields.Boolean()
    rows = fields.List(fields.Nested(RowOutcomeOut))


def _out(customer: Customer) -> dict[str, Any]:
    return {
        "code": customer.code,
        "name": customer.name,
        "address": customer.address,
        "kind": customer.kind,
        "reps": sorted(e.number for e in customer.reps),
        "latitude": customer.latitude,
        "longitude": customer.longitude,
        "radius_m": customer.radius_m,
        "active": customer.active,
        "version": customer.version,
        "updated_at": as_utc(customer.updated_at),
    }


def _upsert(rows: list[dict[str, Any]], dry_run: bool, at: str) -> UpsertReport:
    """All or nothing; a refusal lists each problem at its place in the body (`at`: the
    path of row i, e.g. `customers[{i}]`)."""
    db = get_session()
    try:
        with lost_updates(db):  # a concurrent save of the same customer: 409, not a 500
            return customer_imports.upsert_customers(
                db,
                token_org_id(),
                rows,
                g.api.token.user_id,
                dry_run=dry_run,
                first_row=0,
                source="api",
            )
    except EditConflict as conflict:
        raise conflict_error(conflict) from None
    except RowsRefused as refused:
        db.rollback()
        details = [
            {"path": f"{at.format(i=e.row)}.{e.column}".lstrip("."), "message": e.message}
            for e in refused.report.errors
        ]
        message = _l("%(count)d values need correcting; nothing was saved.", count=len(details))
        raise ApiError(422, "refused", message, details) from None


@bp.get("/customers")
@operation(
    "/customers",
    "get",
    summary="List customers and sites (search, changed since)",
    response=CustomerPage,
    query=CustomerQuery,
    errors=("400", "401", "403"),
)
def customers():
    require_role(can_manage_people)
    args = query_args(CustomerQuery)
    query = services.changes_query(token_org_id(), args["q"], args["updated_since"])
    return page_answer(query, CustomerPage, _out)


@bp.get("/customers/<code>")
@operation(
    "/customers/{code}",
    "get",
    summary="A customer or site by its code",
    response=CustomerOut,
    path_schemas={"code": CODE},
)
def customer(code: str):
    require_role(can_manage_people)
    found = services.customer_by_code(get_session(), token_org_id(), code.strip())
    if found is None:
        raise ApiError(404, "not_found", _l("No such customer in this organization."))
    return jsonify(CustomerOut().dump(_out(found)))


@bp.put("/customers/<code>")
@operation(
    "/customers/{code}",
    "put",
    summary="Create or update one customer by its code",
    body=CustomerIn,
    response=CustomerUpserted,
    errors=("400", "401", "403", "409", "413", "422"),
    path_schemas={"code": CODE},
)
def customer_put(code: str):
    require_role(can_manage_people)
    data = json_body(CustomerIn)
    code = code.strip()  # the upsert stores codes stripped; look up the same one
    db = get_session()
    version = data.pop("version", None)
    try:
        expect_version(services.customer_by_code(db, token_org_id(), code), version)
    except EditConflict as conflict:
        raise conflict_error(conflict) from None
    report = _upsert([{**data, "code": code}], False, "")
    db.commit()
    saved = services.customer_by_code(db, token_org_id(), code)
    return jsonify(CustomerUpserted().dump(_out(saved) | {"outcome": report.outcomes[0].outcome}))


@bp.post("/customers/batch")
@operation(
    "/customers/batch",
    "post",
    summary="Create or update up to 1,000 customers by code (all or nothing)",
    body=CustomersIn,
    response=CustomersOut,
    errors=("400", "401", "403", "409", "413", "422"),
)
def customers_batch():
    require_role(can_manage_people)
    data = json_body(CustomersIn)
    db = get_session()
    rows = data["customers"]
    for i, row in enumerate(rows):
        version = row.pop("version", None)
        if version is None:
            continue
        try:
            expect_version(services.customer_by_code(db, token_org_id(), row["code"]), version)
        except EditConflict as conflict:
            details = [{"path": f"customers[{i}].version", "message": conflict.message}]
            raise conflict_error(conflict, details) from None
    report = _upsert(rows, data["dry_run"], "customers[{i}]")
    if data["dry_run"]:
        db.rollback()
    else:
        db.commit()
    return jsonify(
        CustomersOut().dump(
            {
                "created": report.count("create"),
                "updated": report.count("update"),
                "unchanged": report.count("unchanged"),
                "dry_run": data["dry_run"],
                "rows": report.outcomes,
            }
        )
    )
