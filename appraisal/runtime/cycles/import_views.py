"""Figures (and, for HR, targets) of a cycle from a CSV or XLSX file: one row per employee,
one column per item; mapped, checked in a dry run, applied all or nothing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...access import can_enter_figures, can_run_cycles, current_org_id, current_roles, require
from ...db import get_session
from ...forms import ColumnMappingForm, EncodingForm, Outcome, UploadForm, attempt
from ...import_jobs import is_large, submit_import
from ...models import Job
from ...people.imports import remember_mapping, remembered_mapping
from ...uploads import accept_upload, pending_uploads, read_again
from ..web import Routes, current_viewer, cycle_or_404
from . import figures
from .background import IMPORT_FIGURES, figures_imported, save_figures
from .downloads import cycle_file

routes = Routes()


def _kind(cycle) -> str:
    return f"figures:{cycle.scheme.template_version.definition.get('key', '')}"


@routes.route("/cycles/<int:id>/figures/import", methods=["GET", "POST"])
@require(can_enter_figures)
def figures_import(id: int):
    cycle = cycle_or_404(id)
    form = UploadForm()
    upload_id = accept_upload(form, current_org_id(), current_user.id)
    if upload_id:
        return redirect(url_for("runtime.figures_import_map", id=id, upload_id=upload_id))
    status = 422 if request.method == "POST" else 200
    return render_template("runtime/figures_upload.html", cycle=cycle, form=form), status


@routes.route("/cycles/<int:id>/figures/sheet.<any(csv, xlsx):fmt>", methods=["GET", "POST"])
@require(can_enter_figures)
def figures_sheet(id: int, fmt: str):
    """The import's columns, filled with the figures (and for HR the targets) stored now."""
    return cycle_file(cycle_or_404(id), "figures", fmt)


@routes.route("/cycles/<int:id>/figures/import/<upload_id>", methods=["GET", "POST"])
@require(can_enter_figures)
def figures_import_map(id: int, upload_id: str):
    db, org_id = get_session(), current_org_id()
    cycle = cycle_or_404(id)
    pending = pending_uploads().load(upload_id, org_id, current_user.id)
    if pending is None:
        abort(404)
    table, filename = pending
    columns = figures.file_columns(cycle, with_targets=can_run_cycles(current_roles()))
    form = ColumnMappingForm.build(columns, table.header)
    encoding_form = EncodingForm(prefix="enc")
    if encoding_form.read_again.data:
        if read_again(encoding_form, upload_id, org_id, current_user.id):
            return redirect(url_for("runtime.figures_import_map", id=id, upload_id=upload_id))
        return render_template(
            "runtime/figures_map.html",
            cycle=cycle,
            form=form,
            encoding_form=encoding_form,
            table=table,
            filename=filename,
            errors=[],
            counts=None,
        ), 422
    encoding_form.encoding.data = table.encoding
    if request.method == "GET":
        form.fill(
            figures.guess_file_mapping(
                table.header, columns, remembered_mapping(db, org_id, _kind(cycle))
            )
        )
    errors, counts, status = [], None, 200
    if request.method == "POST" and form.validate_on_submit():
        mapping = form.mapping()
        problems = figures.file_mapping_problems(mapping)
        if problems:
            form.show(problems)
            status = 422
        else:
            apply = request.form.get("action") == "apply"
            if apply and is_large(len(table.rows)):
                queued = _queued(cycle, table, mapping)
                if not queued.refused:
                    pending_uploads().discard(upload_id)
                    return redirect(url_for("jobs.job_page", id=queued.value.id))
                status = queued.status
            else:
                errors, counts, status = _check_or_apply(cycle, table, mapping, apply)
                if apply and status == 200:
                    pending_uploads().discard(upload_id)
                    flash(figures_imported(counts), "success")
                    return redirect(url_for("runtime.cycle_figures", id=id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "runtime/figures_map.html",
        cycle=cycle,
        form=form,
        encoding_form=encoding_form,
        table=table,
        filename=filename,
        errors=errors,
        counts=counts,
    ), status


def _check_or_apply(cycle, table, mapping: dict[str, str], apply: bool):
    """The file's values checked (a dry run), or applied and committed with the mapping
    remembered: the problems by row, the counts and the status to answer."""
    db = get_session()
    data, targets = figures.entries_from_file(table.header, table.rows, mapping)
    outcome = attempt(
        lambda: save_figures(db, cycle, data, targets, current_viewer()), commit=False
    )
    if outcome.refused:
        found = getattr(outcome.error, "errors", [])
        return sorted(found, key=lambda e: (e.row or 0, e.key)), None, outcome.status
    counts = {"values": len(data) + len(targets), "changed": outcome.value or 0}
    if apply:
        remember_mapping(db, current_org_id(), _kind(cycle), mapping)
        db.commit()
    else:
        db.rollback()  # a dry run
    return [], counts, 200


def _queued(cycle, table, mapping: dict[str, str]) -> Outcome[Job]:
    """A large file's apply: the mapping is remembered, the file goes to a job (which
    checks it again and applies it all or nothing), and the person watches its page."""
    db, org_id = get_session(), current_org_id()
    remember_mapping(db, org_id, _kind(cycle), mapping)
    payload = {"header": table.header, "rows": table.rows, "mapping": mapping}
    return attempt(
        lambda: submit_import(
            db, IMPORT_FIGURES, org_id, current_user.id, payload, {"cycle_id": cycle.id}
        )
    )
