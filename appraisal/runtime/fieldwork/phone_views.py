"""The phone pages of field work: Today, the record form built from a type, the customer
picker that starts a visit, history; the outbox's sync endpoint; and the installable app's
manifest and service worker (served under /field, see `sw.js` for its scope)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from ...access import current_employee_id, is_member, require
from ...db import get_session, row_id
from ...forms import attempt
from ..web import Routes, current_viewer
from . import customers, sync, today
from .phone_forms import INPUT_MODES, attach, photo_names_posted, posted_values, record_form
from .records import RecordRefused, record_activity

routes = Routes()
STATIC = Path(__file__).resolve().parents[2] / "static" / "fieldwork"
#: The worker lives at /field/sw.js but also looks after Today at /field itself, which is
#: not below /field/: the header allows the wider scope (the same path without the slash).
SCOPE = "/field"
THEME = "#0d6efd"


def endpoint_url(endpoint: str, **values: Any) -> str | None:
    """A link to another engineer's page, or None until that page exists."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def nav_context() -> dict[str, Any]:
    """Whether the top bar offers "Field work": to people with an employee record here."""
    return {"field_worker": current_employee_id() is not None}


def _employee():
    return today.employee_of(get_session(), current_viewer())


def _page(template: str, status: int = 200, **context: Any) -> Any:
    context.setdefault("employee", None)
    return render_template(
        template,
        consent_url=endpoint_url("runtime.field_consent"),
        photo_url=endpoint_url("runtime.field_photo_upload"),
        record_url=lambda uuid: endpoint_url("runtime.field_record", uuid=uuid),
        **context,
    ), status


@routes.route("/field")
@require(is_member)
def field_today():
    employee = _employee()
    if employee is None:
        return _page("runtime/field_today.html", page=None)
    page = today.today(get_session(), employee)
    return _page("runtime/field_today.html", page=page, employee=employee)


@routes.route("/field/new/<type_key>", methods=["GET", "POST"])
@require(is_member)
def field_new(type_key: str):
    employee = _employee()
    if employee is None:
        abort(404)
    customer_id = request.args.get("customer", type=row_id)
    context = today.form_context(get_session(), employee, type_key, customer_id)
    if context is None:
        abort(404)
    form = record_form(context.activity)
    if request.method == "GET" and context.customer is not None:
        customer_field = context.activity.first("customer")
        form.input(customer_field.key).data = str(context.customer.id)
    if form.validate_on_submit():
        values = posted_values(form, context.activity)
        no_script = photo_names_posted(form, context.activity)
        outcome = attempt(
            lambda: _record(employee, type_key, form.record_uuid.data, values, no_script),
        )
        if not outcome.refused:
            flash(_("Recorded."), "success")
            return redirect(url_for("runtime.field_today"))
        for text in attach(form, getattr(outcome.error, "errors", {})):
            flash(text, "danger")
        return _new_page(context, form, employee, 422)
    if request.method == "POST":
        flash(_("The form had expired; please send it again."), "danger")
        return _new_page(context, form, employee, 422)
    return _new_page(context, form, employee)


def _record(employee, type_key: str, uuid: str, values: dict, no_script: dict) -> Any:
    if no_script:
        raise RecordRefused(no_script)
    return record_activity(
        get_session(), current_viewer(), employee, uuid=uuid, type_key=type_key, values=values
    )


def _new_page(context, form, employee, status: int = 200) -> Any:
    return _page(
        "runtime/field_new.html",
        status,
        context=context,
        form=form,
        employee=employee,
        input_modes=INPUT_MODES,
        picker_url=url_for("runtime.field_customers", type=context.activity_type.key),
    )


@routes.route("/field/customers")
@require(is_member)
def field_customers():
    employee = _employee()
    if employee is None:
        abort(404)
    db = get_session()
    q = request.args.get("q", "")
    found = customers.customers_for(db, employee, q, request.args.get("page", 1, type=int))
    starts = [s for s in today.startable(db, employee) if s.kind == "visit"]
    chosen = request.args.get("type")
    if chosen and chosen not in {s.key for s in today.startable(db, employee)}:
        chosen = None
    return _page(
        "runtime/field_customers.html",
        employee=employee,
        found=found,
        q=q,
        assigned=customers.assigned_ids(db, employee, found.items),
        visit_types=[s for s in starts if s.key == chosen] or starts,
    )


@routes.route("/field/history")
@require(is_member)
def field_history():
    employee = _employee()
    if employee is None:
        abort(404)
    type_key = request.args.get("type") or None
    month = request.args.get("month") or None
    found, types = today.history(
        get_session(),
        employee,
        type_key=type_key,
        month=month,
        page=request.args.get("page", 1, type=int),
    )
    return _page(
        "runtime/field_history.html",
        employee=employee,
        found=found,
        types=types,
        type_key=type_key,
        month=month or "",
    )


@routes.route("/field/sync", methods=["POST"])
@require(is_member)
def field_sync():
    db = get_session()
    answer = sync.receive(
        db,
        current_viewer(),
        request.get_json(silent=True),
        lambda uuid: (
            endpoint_url("runtime.field_record", uuid=uuid) or url_for("runtime.field_history")
        ),
    )
    if answer.stored:
        db.commit()
    else:
        db.rollback()
    return jsonify(answer.body), answer.status


@routes.route("/field/sw.js")
def field_sw():
    """The service worker, public like any script (it holds no data)."""
    # read whole rather than streamed: a small file, and no handle left to whoever reads
    response = Response((STATIC / "sw.js").read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = SCOPE
    return response


@routes.route("/field/manifest.webmanifest")
def field_manifest():
    """The installable app's description. Browsers fetch it without the session cookie,
    so it is public and says nothing about anyone."""
    icon = "fieldwork/icon-{}.png"
    manifest = {
        "name": _("Field work") + " · " + _("Appraisal"),
        "short_name": _("Field work"),
        "lang": "zh-CN" if str(get_locale()) == "zh" else "en",
        "start_url": url_for("runtime.field_today"),
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": [
            {
                "src": url_for("static", filename="fieldwork/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            },
            *(
                {
                    "src": url_for("static", filename=icon.format(size)),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                }
                for size in (192, 512)
            ),
        ],
    }
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    return response
