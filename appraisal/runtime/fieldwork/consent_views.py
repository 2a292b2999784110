"""Location consent: the employee's page (what is collected, when, why, who sees it, how
long it is kept; agree, refuse or withdraw per purpose) and HR's overview of every answer
and its history."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...access import is_member, require
from ...db import get_in_org, get_session, row_id
from ...forms import attempt
from ...models import ConsentChoice, Employee, LocationPurpose
from ..web import Routes, current_viewer
from . import consent
from .record_forms import ConsentFilterForm, ConsentForm

routes = Routes()


def _own_employee() -> Employee:
    viewer = current_viewer()
    employee = (
        get_in_org(get_session(), Employee, viewer.org_id, viewer.employee_id)
        if viewer.employee_id
        else None
    )
    if employee is None:
        abort(404)  # an account without an employee record records nothing in the field
    return employee


@routes.route("/field/consent", methods=["GET", "POST"])
@require(is_member)
def field_consent():
    employee = _own_employee()
    form = ConsentForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            outcome = attempt(
                lambda: consent.answer(
                    get_session(),
                    current_viewer(),
                    employee,
                    form.purpose.data,
                    form.answer.data == "yes",
                ),
                form,
            )
            if not outcome.refused:
                flash(_("Your answer is saved."), "success")
                return redirect(url_for("runtime.field_consent"))
            status = outcome.status
        else:
            status = 422
    db = get_session()
    return render_template(
        "runtime/field_consent.html",
        answers=consent.answers_of(db, employee),
        history=consent.consent_history(db, current_viewer(), employee, per_page=20).items,
        form=form,
        posted=request.form.get("purpose") if status != 200 else None,
        text=consent,
    ), status


@routes.route("/field/consents")
@require(is_member)
def field_consents():
    viewer = current_viewer()
    if not viewer.is_hr:
        abort(403)
    db = get_session()
    filters = ConsentFilterForm(request.args)
    purpose = request.args.get("purpose") or None
    choice = request.args.get("choice") or None
    rows = consent.consent_overview(
        db,
        viewer,
        q=(filters.q.data or "")[:120],
        purpose=purpose,
        choice=choice,
        page=request.args.get("page", 1, type=int),
    )
    employee_id = request.args.get("employee", type=row_id)
    employee = get_in_org(db, Employee, viewer.org_id, employee_id) if employee_id else None
    history = (
        consent.consent_history(
            db, viewer, employee, page=request.args.get("history_page", 1, type=int)
        )
        if employee is not None
        else None
    )
    return render_template(
        "runtime/field_consents.html",
        rows=rows,
        filters=filters,
        purpose=purpose,
        choice=choice,
        purposes=[p.value for p in LocationPurpose],
        choices=[c.value for c in ConsentChoice] + [consent.NEVER],
        employee=employee,
        history=history,
    )
