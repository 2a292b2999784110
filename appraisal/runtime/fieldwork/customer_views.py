"""The customer/site master's pages (HR admins and implementers, like people management):
list with search and filters, create/edit, deactivate/reactivate, export, and the file
import (upload, map columns, dry run, apply all or nothing)."""

from __future__ import annotations

from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import tables
from ...access import can_manage_people, current_org_id, in_org_or_404, require
from ...db import get_session, row_id
from ...forms import ColumnMappingForm, EncodingForm, UploadForm, attempt, wanted
from ...import_flow import MappedImport, import_step, upserted
from ...import_jobs import submit_import
from ...labels import export_header, yes_no
from ...models import Customer
from ...people.services import employee_choices, picker
from ...uploads import accept_upload, pending_uploads, read_again
from ..web import Routes
from . import customer_imports
from . import customers as services
from .background import IMPORT_CUSTOMERS
from .customer_forms import CustomerForm

routes = Routes()

STATUSES = {"active": True, "inactive": False, "all": None}
CUSTOMERS = MappedImport(
    kind=customer_imports.KIND,
    fields=services.FIELDS,
    required=customer_imports.REQUIRED,
    aliases=customer_imports.ALIASES,
)


def _filters() -> tuple[services.Filters, str]:
    status = request.args.get("status", "active")
    if status not in STATUSES:
        status = "active"
    filters = services.Filters(
        q=request.args.get("q", ""),
        kind=request.args.get("kind", ""),
        rep_id=request.args.get("rep", type=row_id),
        active=STATUSES[status],
    )
    return filters, status


@routes.route("/customers")
@require(can_manage_people)
def customers():
    db, org_id = get_session(), current_org_id()
    filters, status = _filters()
    page = services.list_customers(db, org_id, filters, request.args.get("page", 1, type=int))
    return render_template(
        "runtime/customers.html",
        page=page,
        filters=filters,
        status=status,
        kinds=services.kind_choices(db, org_id),
        reps=services.rep_choices(db, org_id),
    )


@routes.route("/customers/export.<any(csv, xlsx):fmt>")
@require(can_manage_people)
def customers_export(fmt: str):
    """The customers the list's filters select, in the import's format."""
    filters, _status = _filters()
    rows = (
        [*row[:-1], yes_no(row[-1])]
        for row in services.customers_table(get_session(), current_org_id(), filters)
    )
    header = _header()
    return tables.download(fmt, header, rows, "customers", "customers")


@routes.route("/customers/new", methods=["GET", "POST"])
@routes.route("/customers/<int:id>", methods=["GET", "POST"])
@require(can_manage_people)
def customer_form(id: int | None = None):
    db, org_id = get_session(), current_org_id()
    customer = in_org_or_404(Customer, id) if id else None
    form = CustomerForm(obj=customer)
    left = [(e.id, f"{e.number} {e.name}") for e in customer.reps] if customer else []
    found = picker(
        partial(employee_choices, db, org_id), request.args.get("q", ""), form.rep_ids.data or []
    )
    form.rep_ids.choices = list(dict(found.choices + left).items())
    form.picker = found
    if request.method == "GET" and customer is not None:
        form.rep_ids.data = [e.id for e in customer.reps]
    status = None
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.save_customer(
                db,
                org_id,
                form.values(),
                form.rep_ids.data or [],
                customer=customer,
                version=form.expected_version(),
                user_id=current_user.id,
            ),
            form,
            customer,
        )
        status = outcome.status
        if (saved := outcome.value) is not None:
            flash(_("Customer %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("runtime.customers"))
    status = status or (422 if form.is_submitted() and form.errors else 200)
    return render_template("runtime/customer_form.html", form=form, customer=customer), status


@routes.route("/customers/<int:id>/active", methods=["POST"])
@require(can_manage_people)
def customer_toggle(id: int):
    customer = in_org_or_404(Customer, id)
    active = wanted("active", customer.active)
    outcome = attempt(
        lambda: services.set_customer_active(get_session(), customer, active, current_user.id)
    )
    if not outcome.refused:
        flash(_("Customer %(name)s updated.", name=customer.name), "success")
    return redirect(url_for("runtime.customer_form", id=id))


# -- import ------------------------------------------------------------------------------------


def _header() -> list[str]:
    """The file's header: keys in English, else the words the import also reads."""
    return export_header(services.FIELDS, {k: str(v) for k, v in services.COLUMN_NAMES.items()})


def _mapping_fields() -> list[tuple[str, object]]:
    return [(name, services.COLUMN_NAMES[name]) for name in services.FIELDS]


@routes.route("/customers/import/sample.<any(csv, xlsx):fmt>")
@require(can_manage_people)
def customers_import_sample(fmt: str):
    header = _header()
    return tables.download(
        fmt, header, customer_imports.SAMPLE_ROWS, "customers", "customers-sample"
    )


@routes.route("/customers/import", methods=["GET", "POST"])
@require(can_manage_people)
def customers_import():
    form = UploadForm()
    upload_id = accept_upload(form, current_org_id(), current_user.id)
    if upload_id:
        return redirect(url_for("runtime.customers_import_map", upload_id=upload_id))
    status = 422 if request.method == "POST" else 200
    return render_template("runtime/customer_import_upload.html", form=form), status


@routes.route("/customers/import/<upload_id>", methods=["GET", "POST"])
@require(can_manage_people)
def customers_import_map(upload_id: str):
    db, org_id = get_session(), current_org_id()
    pending = pending_uploads().load(upload_id, org_id, current_user.id)
    if pending is None:
        abort(404)
    table, filename = pending
    form = ColumnMappingForm.build(_mapping_fields(), table.header)
    encoding_form = EncodingForm(prefix="enc")
    page = {"table": table, "filename": filename, "encoding_form": encoding_form}
    if encoding_form.read_again.data:
        if read_again(encoding_form, upload_id, org_id, current_user.id):
            return redirect(url_for("runtime.customers_import_map", upload_id=upload_id))
        return render_template(
            "runtime/customer_import_map.html", form=form, report=None, **page
        ), 422
    encoding_form.encoding.data = table.encoding
    if request.method == "GET":
        CUSTOMERS.fill(form, table)
    step = import_step(
        CUSTOMERS,
        form,
        table,
        upload_id,
        run=lambda rows, dry_run: customer_imports.upsert_customers(
            db, org_id, rows, current_user.id, dry_run=dry_run, first_row=2
        ),
        done=upserted,
        done_url=url_for("runtime.customers"),
        queue=lambda rows: submit_import(
            db, IMPORT_CUSTOMERS, org_id, current_user.id, {"rows": rows}
        ),
    )
    if step.response is not None:
        return step.response
    return render_template(
        "runtime/customer_import_map.html", form=form, report=step.report, **page
    ), step.status
