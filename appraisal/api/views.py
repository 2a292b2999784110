"""The JSON API under /api/v1: token authentication, consistent error bodies, paging.

Each route declares its OpenAPI operation with `@operation`; the services are the same the
pages use, so the API refuses exactly what the pages refuse.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import get_locale, refresh
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from .. import audit
from ..access import (
    can_build,
    can_enter_figures,
    can_manage_people,
    can_run_cycles,
    writing,
)
from ..boundary import max_json_bytes
from ..builder import services as builder
from ..builder.schemas import LIMITS
from ..concurrency import EditConflict, lost_updates
from ..db import get_engine, get_in_org, get_session
from ..errors import ServiceError
from ..extensions import csrf
from ..i18n import schema_message
from ..models import Appraisal, Cycle, Template
from ..paging import paginate
from ..people.imports import RowsRefused, upsert_employees
from ..runtime.cycles import cycles as cycle_services
from ..runtime.cycles import figures
from ..runtime.reviews.access import final_result, viewer_for
from ..runtime.reviews.feedback import official_feedback
from . import schemas
from .spec import PREFIX, build_spec, operation
from .tokens import authenticate

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)


class ApiError(Exception):
    """An error body; `message` and each detail's `message` are words in the reader's language
    (catalogue strings, resolved when the body is written), `code` never changes."""

    def __init__(self, status: int, code: str, message: Any, details: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def _error(status: int, code: str, message: Any, details: list | None = None):
    details = [{"path": d["path"], "message": str(d["message"])} for d in details or []]
    body = {"error": {"code": code, "message": str(message), "details": details}}
    return jsonify(body), status


def conflict_error(conflict: EditConflict, details: list | None = None) -> ApiError:
    """A 409 in the API's words (the form's wording speaks of values kept below)."""
    return ApiError(409, "conflict", conflict.api_message, details)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return _error(error.status, error.code, error.message, error.details)


@bp.before_request
def _authenticate() -> Any:
    if request.endpoint in ("api.openapi",):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    holder = authenticate(get_session(), secret.strip()) if scheme.lower() == "bearer" else None
    if holder is None:
        raise ApiError(
            401,
            "unauthorized",
            _l("A valid token is required: Authorization: Bearer <token>."),
        )
    g.api = replace(holder, writing=writing())
    refresh()  # the holder's language counts from here on (see `i18n.select_locale`)
    session = get_session()
    audit.with_token(session, holder.token.name)
    current_app.extensions["appraisal.token_uses"].record(
        get_engine(), holder.token, origin=session.info[audit.ORIGIN], path=request.path
    )


# What every API module shares (views.py, customers.py, activities.py, photos.py): the
# role check, the token's organization, reading a JSON body or the query string with a
# schema, and one page of a query.


def require_role(predicate) -> None:
    if not predicate(g.api.roles):
        raise ApiError(403, "forbidden", _l("This token's role may not do this."))


def token_org_id() -> int:
    return g.api.token.organization_id


def json_body(schema: type[Schema]) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(
            400, "bad_request", _l("The body must be JSON (Content-Type: application/json).")
        )
    try:
        return schema().load(data)
    except ValidationError as error:
        raise ApiError(
            400, "invalid", _l("The body does not match the schema."), _flatten(error.messages)
        ) from None


def query_args(schema: type[Schema]) -> dict[str, Any]:
    try:
        return schema().load(request.args)
    except ValidationError as error:
        raise ApiError(
            400, "invalid", _l("The query does not match the schema."), _flatten(error.messages)
        ) from None


def _flatten(messages: Any, path: str = "") -> list[dict[str, str]]:
    """marshmallow's nested messages as details, each in the reader's language."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            found += _flatten(value, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"path": path, "message": schema_message(m)} for m in messages]
    if isinstance(messages, list):
        return [d for m in messages for d in _flatten(m, path)]
    return [{"path": path, "message": schema_message(messages)}]


def page_answer(query, schema: type[Schema], row=None):
    """One page of `query`, each item passed through `row` (if given) before dumping."""
    args = query_args(schemas.PageQuery)
    page = paginate(get_session(), query, args["page"], args["per_page"], clamp=False)
    items = [row(item) for item in page.items] if row is not None else page.items
    return jsonify(
        schema().dump(
            {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}
        )
    )


def _cycle(cycle_id: int) -> Cycle:
    cycle = get_in_org(get_session(), Cycle, token_org_id(), cycle_id)
    if cycle is None:
        raise ApiError(404, "not_found", _l("No such cycle in this organization."))
    return cycle


# -- reading -----------------------------------------------------------------------------------


@bp.get("/cycles")
@operation(
    "/cycles",
    "get",
    summary="List cycles",
    response=schemas.CyclePage,
    query=schemas.PageQuery,
    errors=("400", "401", "403"),
)
def cycles():
    require_role(lambda roles: can_run_cycles(roles) or can_enter_figures(roles))
    return page_answer(cycle_services.cycles_query(token_org_id()), schemas.CyclePage)


@bp.get("/cycles/<int:cycle_id>/appraisals")
@operation(
    "/cycles/{cycle_id}/appraisals",
    "get",
    summary="List a cycle's appraisals with totals and grades",
    response=schemas.AppraisalPage,
    query=schemas.PageQuery,
    errors=("400", "401", "403", "404"),
)
def cycle_appraisals(cycle_id: int):
    require_role(can_run_cycles)
    cycle = _cycle(cycle_id)
    return page_answer(figures.cycle_appraisals_query(cycle), schemas.AppraisalPage, _official)


def _official(appraisal: Appraisal) -> dict[str, Any]:
    """An appraisal with its official result, as the result page shows it."""
    result = final_result(appraisal)
    return {
        "id": appraisal.id,
        "employee": appraisal.employee,
        "state": appraisal.state,
        "targets": appraisal.targets,
        "complete": result.complete,
        "total": result.total,
        "grade": result.grade,
        "computed_grade": result.computed_grade,
    }


@bp.get("/appraisals/<int:appraisal_id>/result")
@operation(
    "/appraisals/{appraisal_id}/result",
    "get",
    summary="An appraisal's result, scored by the engine",
    response=schemas.ResultOut,
)
def appraisal_result(appraisal_id: int):
    require_role(can_run_cycles)
    appraisal = get_in_org(get_session(), Appraisal, token_org_id(), appraisal_id)
    if appraisal is None:
        raise ApiError(404, "not_found", _l("No such appraisal in this organization."))
    official = final_result(appraisal, explain=True)
    result = official.to_dict() | {
        "appraisal_id": appraisal.id,
        "employee_number": appraisal.employee.number,
        "computed_grade": official.computed_grade,
        "comments": official_feedback(appraisal),
    }
    return jsonify(schemas.ResultOut().dump(result))


# -- writing -----------------------------------------------------------------------------------


@bp.put("/employees")
@operation(
    "/employees",
    "put",
    summary="Create or update employees by employee number (all or nothing)",
    body=schemas.EmployeesIn,
    response=schemas.EmployeesOut,
    errors=("400", "401", "403", "413", "422"),
)
def employees():
    require_role(can_manage_people)
    data = json_body(schemas.EmployeesIn)
    db = get_session()
    try:
        report = upsert_employees(
            db, token_org_id(), data["employees"], g.api.token.user_id, dry_run=data["dry_run"]
        )
    except RowsRefused as refused:
        db.rollback()
        details = [
            {"path": f"employees[{e.row - 1}].{e.column}", "message": e.message}
            for e in refused.report.errors
        ]
        message = _l("%(count)d values need correcting; nothing was saved.", count=len(details))
        raise ApiError(422, "refused", message, details) from None
    if data["dry_run"]:
        db.rollback()
    else:
        db.commit()
    return jsonify(
        schemas.EmployeesOut().dump(
            {
                "created": report.count("create"),
                "updated": report.count("update"),
                "unchanged": report.count("unchanged"),
                "dry_run": data["dry_run"],
                "new_departments": report.new_departments,
                "new_positions": report.new_positions,
                "rows": report.outcomes,
            }
        )
    )


def _entries(rows: list[dict[str, Any]]) -> list[figures.Entry]:
    """Entries of a PUT body; a row's optional `expected` (null: blank) is its precondition."""
    return [
        figures.Entry(
            r["employee_number"],
            r["key"],
            "" if r["value"] is None else r["value"],
            row=i,
            expected=("" if r["expected"] is None else r["expected"]) if "expected" in r else None,
        )
        for i, r in enumerate(rows)
    ]


def _set_values(cycle_id: int, schema: type[Schema], what: str, save) -> Any:
    """PUT figures or targets: all or nothing, refusals listed by their place in the body."""
    cycle = _cycle(cycle_id)
    rows = json_body(schema)[what]
    db = get_session()
    try:
        with lost_updates(db):
            changed = save(db, cycle, _entries(rows))
    except ServiceError as error:
        raise _refused(error, what) from None
    db.commit()
    return jsonify({"received": len(rows), "changed": changed})


def _refused(error: ServiceError, what: str):
    get_session().rollback()
    details = [
        {"path": f"{what}[{e.row}]", "message": f"{e.employee_number} {e.key}: {e.message}"}
        for e in getattr(error, "errors", [])
    ]
    if isinstance(error, EditConflict):
        return conflict_error(error, details)
    return ApiError(422, "refused", error.message, details)


@bp.put("/cycles/<int:cycle_id>/figures")
@operation(
    "/cycles/{cycle_id}/figures",
    "put",
    summary="Set actual figures (data items) for a cycle (all or nothing)",
    body=schemas.FiguresIn,
    response=schemas.ChangedOut,
    errors=("400", "401", "403", "404", "409", "413", "422"),
)
def cycle_figures(cycle_id: int):
    require_role(can_enter_figures)
    return _set_values(
        cycle_id,
        schemas.FiguresIn,
        "figures",
        lambda db, cycle, entries: figures.set_figures(db, cycle, entries, g.api.token.user_id),
    )


@bp.put("/cycles/<int:cycle_id>/targets")
@operation(
    "/cycles/{cycle_id}/targets",
    "put",
    summary="Set per-employee targets for a cycle (all or nothing)",
    body=schemas.TargetsIn,
    response=schemas.ChangedOut,
    errors=("400", "401", "403", "404", "409", "413", "422"),
)
def cycle_targets(cycle_id: int):
    require_role(can_run_cycles)
    viewer = viewer_for(get_session(), token_org_id(), g.api.token.user_id, g.api.roles)
    return _set_values(
        cycle_id,
        schemas.TargetsIn,
        "targets",
        lambda db, cycle, entries: figures.set_targets(db, cycle, entries, viewer),
    )


# -- templates ----------------------------------------------------------------------------------


@bp.get("/templates")
@operation(
    "/templates",
    "get",
    summary="List templates",
    response=schemas.TemplateList,
    errors=("401", "403"),
)
def templates():
    require_role(can_build)
    rows = builder.templates_by_key(get_session(), token_org_id())
    items = [
        {
            "id": t.id,
            "key": t.key,
            "latest_version": t.latest.version if t.latest else None,
            "has_draft": t.draft is not None,
        }
        for t in rows
    ]
    return jsonify(schemas.TemplateList().dump({"items": items}))


@bp.get("/templates/<int:template_id>")
@operation(
    "/templates/{template_id}",
    "get",
    summary="Export a template's definition (draft, else latest version)",
    response=schemas.Definition,
)
def template_export(template_id: int):
    require_role(can_build)
    template = get_in_org(get_session(), Template, token_org_id(), template_id)
    if template is None:
        raise ApiError(404, "not_found", _l("No such template in this organization."))
    return jsonify(builder.export_definition(template))


@bp.post("/templates")
@operation(
    "/templates",
    "post",
    summary="Import a definition as a new template draft",
    body=schemas.Definition,
    response=schemas.TemplateOut,
    query=schemas.TemplateImportQuery,
    status=201,
    errors=("400", "401", "403", "413", "422"),
)
@max_json_bytes(LIMITS.json_bytes)
def template_import():
    require_role(can_build)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(
            400,
            "bad_request",
            _l("The body must be a JSON object: an appraisal-template/1 definition."),
        )
    as_copy = query_args(schemas.TemplateImportQuery)["as_copy"]
    db = get_session()
    try:
        template = builder.import_template(
            db, token_org_id(), g.api.token.user_id, data, as_copy=as_copy
        )
    except builder.DefinitionRefused as refused:
        db.rollback()
        language = str(get_locale() or "en")
        details = [
            {"path": p.path, "message": schema_message(p.text(language))} for p in refused.problems
        ]
        raise ApiError(
            422, "refused", _l("The definition has problems; nothing was saved."), details
        ) from None
    db.commit()
    return jsonify(
        {"id": template.id, "key": template.key, "latest_version": None, "has_draft": True}
    ), 201


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
