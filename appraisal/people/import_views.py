"""Employee import from CSV or XLSX: upload, map columns, dry run, apply (all or nothing)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from .. import tables
from ..access import can_manage_people, current_org_id, require
from ..db import get_session
from ..forms import ColumnMappingForm, EncodingForm, UploadForm
from ..import_flow import MappedImport, import_step, upserted
from ..import_jobs import submit_import
from ..labels import export_header
from ..uploads import accept_upload, pending_uploads, read_again
from . import imports
from .background import IMPORT_EMPLOYEES
from .forms import FIELD_LABELS
from .views import bp

EMPLOYEES = MappedImport(kind="employees")


@bp.route("/employees/import/sample.<any(csv, xlsx):fmt>")
@require(can_manage_people)
def employees_import_sample(fmt: str):
    header = export_header(imports.FIELDS)
    return tables.download(fmt, header, imports.SAMPLE_ROWS, "employees", "employees-sample")


@bp.route("/employees/import", methods=["GET", "POST"])
@require(can_manage_people)
def employees_import():
    form = UploadForm()
    upload_id = accept_upload(form, current_org_id(), current_user.id)
    if upload_id:
        return redirect(url_for("people.employees_import_map", upload_id=upload_id))
    status = 422 if request.method == "POST" else 200
    return render_template("people/import_upload.html", form=form), status


@bp.route("/employees/import/<upload_id>", methods=["GET", "POST"])
@require(can_manage_people)
def employees_import_map(upload_id: str):
    db, org_id = get_session(), current_org_id()
    pending = pending_uploads().load(upload_id, org_id, current_user.id)
    if pending is None:
        abort(404)
    table, filename = pending
    encoding_form = EncodingForm(prefix="enc")
    if encoding_form.read_again.data:
        if read_again(encoding_form, upload_id, org_id, current_user.id):
            return redirect(url_for("people.employees_import_map", upload_id=upload_id))
        return render_template(
            "people/import_map.html",
            form=ColumnMappingForm.build(list(FIELD_LABELS.items()), table.header),
            encoding_form=encoding_form,
            table=table,
            filename=filename,
            report=None,
            upload_id=upload_id,
        ), 422
    encoding_form.encoding.data = table.encoding
    form = ColumnMappingForm.build(list(FIELD_LABELS.items()), table.header)
    if request.method == "GET":
        EMPLOYEES.fill(form, table)
    step = import_step(
        EMPLOYEES,
        form,
        table,
        upload_id,
        run=lambda rows, dry_run: imports.upsert_employees(
            db, org_id, rows, current_user.id, dry_run=dry_run, first_row=2
        ),
        done=upserted,
        done_url=url_for("people.employees"),
        queue=lambda rows: submit_import(
            db, IMPORT_EMPLOYEES, org_id, current_user.id, {"rows": rows}
        ),
    )
    if step.response is not None:
        return step.response
    return render_template(
        "people/import_map.html",
        form=form,
        encoding_form=encoding_form,
        table=table,
        filename=filename,
        report=step.report,
        upload_id=upload_id,
    ), step.status
