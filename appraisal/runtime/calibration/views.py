"""HR's calibration page: distribution against quotas, overrides with reasons, lock,
publication per cycle or department, and closing the cycle. HR business partners, department
heads and auditors see it narrowed to their subtree (`access.reach_of`); partners and heads
calibrate and publish there (a head's grade is a proposal in a two-level calibration);
starting, quotas, locking and closing stay HR's, for the whole cycle."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import (
    can_calibrate,
    can_publish,
    can_read_results,
    can_run_cycles,
    covers_or_404,
    current_org_id,
    current_roles,
    reach_of,
    require,
)
from ...db import get_in_org, get_session
from ...forms import attempt, flash_form_errors
from ...models import Appraisal, AppraisalState, Employee
from ..cycles.lists import ListFilter, appraisal_page, cycle_departments, list_query
from ..web import Routes, current_viewer, cycle_or_404, id_arg, page_arg
from . import calibration
from .forms import OverrideForm, PublishForm, QuotasForm

routes = Routes()


def _list_filter() -> ListFilter:
    return ListFilter.from_args(request.args, id_arg("department"), default_sort="total")


@routes.route("/cycles/<int:id>/calibration")
@require(can_read_results)
def calibration_page(id: int):
    return _calibration_page(cycle_or_404(id))


def _calibration_page(cycle, typed: dict | None = None, status: int = 200):
    """The page; after a refusal, with what was typed (`quotas`, or one row's grade and
    reason under `appraisal_id`). The distributions are counted by the database and the
    employee list comes a page at a time, whatever the size of the cycle."""
    db = get_session()
    chosen = _list_filter()
    typed = typed or {}
    seen = reach_of("read_results")
    if chosen.department_id is not None and not seen.covers(chosen.department_id):
        abort(404)  # as on the cycle page: a department outside the reach does not exist
    groups = calibration.distributions(db, cycle, seen)
    grades = calibration.grade_names(cycle)
    departments = [(i, n) for i, n in cycle_departments(db, cycle) if seen.covers(i)]
    in_reach = list_query(cycle).where(seen.clause(Employee.department_id))
    return render_template(
        "runtime/calibration.html",
        cycle=cycle,
        page=appraisal_page(
            db, cycle, chosen, page_arg(), current_app.config["PAGE_SIZE"], in_reach
        ),
        chosen=chosen,
        states=[s for s in AppraisalState],
        groups=groups,
        sees_everything=seen.everywhere,
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
        typed=typed,
        runs_cycle=can_run_cycles(current_roles()),
        calibrates=reach_of("calibrate"),
        me=current_viewer().employee_id,  # nobody calibrates their own grade
        decides=reach_of("hr_steps"),
        publishes=reach_of("publish"),
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
            db, c, form.quotas.data, current_user.id, form.version.data, form.two_level.data
        ),
        _("Quotas saved."),
        typed=typed,
    )


def _confirmation(cycle, button: str, consequences: list[str], fields: dict | None = None):
    """The page that asks before a step that cannot be undone: what it does, the quota
    warnings still open, and a form that posts the same request again with `confirmed`.
    Served for any post without `confirmed`, so the step never happens on one click (and
    needs no JavaScript)."""
    groups = calibration.distributions(get_session(), cycle, reach_of("read_results"))
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
@require(can_publish)
def calibration_publish(id: int):
    form = PublishForm()
    if not form.validate_on_submit():
        return _bad_form(id, form)
    department = form.department_id.data or None
    where = reach_of("publish")
    if department is not None:
        covers_or_404("publish", department)
    if not _confirmed():
        cycle = cycle_or_404(id)
        count = calibration.publishable_count(get_session(), cycle, department, where)
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
        lambda db, c: calibration.publish(db, c, current_user.id, department, where),
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
@require(can_calibrate)
def calibration_override(id: int, appraisal_id: int):
    db = get_session()
    cycle = cycle_or_404(id)
    appraisal = get_in_org(db, Appraisal, current_org_id(), appraisal_id)
    if appraisal is None or appraisal.cycle_id != cycle.id:
        abort(404)
    department_id = appraisal.employee.department_id
    covers_or_404("calibrate", department_id)
    proposal = calibration.proposes(cycle, reach_of("hr_steps").covers(department_id))
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
        lambda: calibration.override_grade(
            db, appraisal, grade, reason, current_user.id, version, proposal
        ),
        about=name,
    )
    if outcome.refused:
        return _calibration_page(cycle, typed | {"conflict": outcome.conflict}, outcome.status)
    if proposal:
        flash(_("Proposal for %(name)s saved; HR decides.", name=name), "success")
    else:
        flash(_("Grade of %(name)s saved.", name=name), "success")
    return redirect(url_for("runtime.calibration_page", id=id, **_list_args()))


def _list_args() -> dict[str, str]:
    """The list's filters, page and order a row's form posted from, to go back to them."""
    keep = ("sort", "department", "grade", "state", "q", "page")
    return {k: v for k in keep if (v := request.args.get(k))}
