"""HR's calibration page: distribution against quotas, overrides with reasons, lock,
publication per cycle or department, and closing the cycle."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import can_run_cycles, current_org_id, require
from ...db import get_in_org, get_session
from ...forms import attempt, flash_form_errors
from ...models import Appraisal
from ..cycles.figures import cycle_appraisals
from ..web import Routes, cycle_or_404
from . import calibration
from .forms import OverrideForm, PublishForm, QuotasForm

routes = Routes()

SORTS = {
    "total": lambda a: (a.total is None, -(a.total or 0)),
    "name": lambda a: a.employee.name,
    "grade": lambda a: (a.final_grade is None, a.final_grade or ""),
}


@routes.route("/cycles/<int:id>/calibration")
@require(can_run_cycles)
def calibration_page(id: int):
    return _calibration_page(cycle_or_404(id))


def _calibration_page(cycle, typed: dict | None = None, status: int = 200):
    """The page; after a refusal, with what was typed (`quotas`, or one row's grade and
    reason under `appraisal_id`)."""
    sort = request.args.get("sort", "total")
    appraisals = sorted(cycle_appraisals(get_session(), cycle), key=SORTS.get(sort, SORTS["total"]))
    departments = sorted(
        {
            (a.employee.department_id, a.employee.department.name)
            for a in appraisals
            if a.employee.department
        },
        key=lambda d: d[1],
    )
    typed = typed or {}
    groups = calibration.distributions(cycle, appraisals)
    grades = calibration.grade_names(cycle)
    return render_template(
        "runtime/calibration.html",
        cycle=cycle,
        appraisals=appraisals,
        groups=groups,
        grades=grades,
        grades_chart=calibration.grades_chart(
            groups[0],
            grades,
            calibration.quotas_of(cycle),
            lambda g: url_for("runtime.organization_people", cycle=cycle.id, grade=g),
        ),
        quotas=typed.get("quotas", calibration.quotas_text(cycle)),
        saved_quotas=calibration.quotas_text(cycle),
        departments=departments,
        sort=sort,
        typed=typed,
    ), status


def _cycle_change(id: int, change, done: str, typed: dict | None = None):
    cycle = cycle_or_404(id)
    outcome = attempt(lambda: change(get_session(), cycle))
    if outcome.refused:
        typed = (typed or {}) | {"conflict": outcome.conflict}
        return _calibration_page(cycle, typed, outcome.status)
    flash(done % {"count": outcome.value}, "success")
    return redirect(url_for("runtime.calibration_page", id=id))


@routes.route("/cycles/<int:id>/calibration/start", methods=["POST"])
@require(can_run_cycles)
def calibration_start(id: int):
    return _cycle_change(
        id,
        lambda db, c: calibration.start_calibration(db, c, current_user.id),
        _("Calibration started."),
    )


def _bad_form(id: int, form, typed: dict | None = None):
    """A post with a value of the wrong kind: the page again with what was typed (422)."""
    flash_form_errors(form)
    return _calibration_page(cycle_or_404(id), typed, 422)


@routes.route("/cycles/<int:id>/calibration/quotas", methods=["POST"])
@require(can_run_cycles)
def calibration_quotas(id: int):
    form = QuotasForm()
    typed = {"quotas": request.form.get("quotas", "")}
    if not form.validate_on_submit():
        return _bad_form(id, form, typed)
    return _cycle_change(
        id,
        lambda db, c: calibration.save_quotas(
            db, c, form.quotas.data, current_user.id, form.version.data
        ),
        _("Quotas saved."),
        typed=typed,
    )


def _confirmation(cycle, button: str, consequences: list[str], fields: dict | None = None):
    """The page that asks before a step that cannot be undone: what it does, the quota
    warnings still open, and a form that posts the same request again with `confirmed`.
    Served for any post without `confirmed`, so the step never happens on one click (and
    needs no JavaScript)."""
    groups = calibration.distributions(cycle, cycle_appraisals(get_session(), cycle))
    return render_template(
        "runtime/confirm.html",
        cycle=cycle,
        button=button,
        consequences=consequences,
        warnings=calibration.violations(groups),
        fields=fields or {},
    )


def _confirmed() -> bool:
    return request.form.get("confirmed") == "yes"


@routes.route("/cycles/<int:id>/calibration/lock", methods=["POST"])
@require(can_run_cycles)
def calibration_lock(id: int):
    if not _confirmed():
        return _confirmation(
            cycle_or_404(id),
            _("Lock the calibration"),
            [
                _("No grade can be calibrated and no quota changed after the lock."),
                _("The lock cannot be undone."),
            ],
        )
    return _cycle_change(
        id, lambda db, c: calibration.lock(db, c, current_user.id), _("Calibration locked.")
    )


@routes.route("/cycles/<int:id>/calibration/publish", methods=["POST"])
@require(can_run_cycles)
def calibration_publish(id: int):
    form = PublishForm()
    if not form.validate_on_submit():
        return _bad_form(id, form)
    department = form.department_id.data or None
    if not _confirmed():
        cycle = cycle_or_404(id)
        count = len(calibration.publishable(cycle_appraisals(get_session(), cycle), department))
        return _confirmation(
            cycle,
            _("Publish results"),
            [
                _("%(count)d employees will see their result and grade.", count=count),
                _("Their appeal window opens now."),
                _("A published result cannot be taken back."),
            ],
            {"department_id": department or ""},
        )
    return _cycle_change(
        id,
        lambda db, c: calibration.publish(db, c, current_user.id, department),
        _("%(count)d results published."),
    )


@routes.route("/cycles/<int:id>/close", methods=["POST"])
@require(can_run_cycles)
def cycle_close(id: int):
    if not _confirmed():
        return _confirmation(
            cycle_or_404(id),
            _("Close the cycle"),
            [
                _(
                    "Reviews, figures, targets, grades, appeals, interviews and plans of this "
                    "cycle become read-only."
                ),
                _("A closed cycle cannot be reopened."),
            ],
        )
    return _cycle_change(
        id, lambda db, c: calibration.close(db, c, current_user.id), _("Cycle closed.")
    )


@routes.route("/cycles/<int:id>/calibration/<int:appraisal_id>", methods=["POST"])
@require(can_run_cycles)
def calibration_override(id: int, appraisal_id: int):
    db = get_session()
    cycle = cycle_or_404(id)
    appraisal = get_in_org(db, Appraisal, current_org_id(), appraisal_id)
    if appraisal is None or appraisal.cycle_id != cycle.id:
        abort(404)
    form = OverrideForm()
    typed = {
        "appraisal_id": appraisal.id,
        "grade": request.form.get("grade", ""),
        "reason": request.form.get("reason", ""),
    }
    if not form.validate_on_submit():
        return _bad_form(id, form, typed)
    grade, reason, version = form.grade.data, form.reason.data, form.version.data
    name = appraisal.employee.name
    outcome = attempt(
        lambda: calibration.override_grade(db, appraisal, grade, reason, current_user.id, version),
        about=name,
    )
    if outcome.refused:
        return _calibration_page(cycle, typed | {"conflict": outcome.conflict}, outcome.status)
    flash(_("Grade of %(name)s saved.", name=appraisal.employee.name), "success")
    return redirect(
        url_for("runtime.calibration_page", id=id, sort=request.args.get("sort", "total"))
    )
