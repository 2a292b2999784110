"""The act phase on an appraisal's result page: the result as its people read it,
acknowledgement and appeals, performance interviews and development plans; and HR's
training catalogue, from which results suggest courses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import can_run_cycles, current_org_id, is_member, require
from ...db import get_session
from ...forms import PostedForm, VersionPost, attempt, flash_form_errors
from ...i18n import state_label
from ...models import Appraisal, DevelopmentPlan, Interview
from .. import workflow
from ..compiled import appraisal_template
from ..dashboards.trend import trend_chart
from ..metrics.shown import READERS, computed_words
from ..render import labels
from ..reviews import access, invitations
from ..web import Routes, apply_change, appraisal_or_404, current_viewer
from . import act, results
from .forms import (
    AppealForm,
    CheckinForm,
    ClosePlanForm,
    CourseForm,
    InterviewRecordForm,
    PlanForm,
    ResolveForm,
    ScheduleForm,
)

routes = Routes()


# -- results, acknowledgement and appeals --------------------------------------------------------


def _readable(id_: int) -> Appraisal:
    item = appraisal_or_404(id_)
    if not results.may_read(item, current_viewer()):
        abort(404)
    return item


@routes.route("/appraisals/<int:id>/result")
@require(is_member)
def result(id: int):
    return _result_page(_readable(id))


def _result_page(
    item: Appraisal, typed: Any = None, status: int = 200, errors: dict | None = None
) -> Any:
    viewer = current_viewer()
    page = results.result_page(get_session(), item, viewer)
    rels = access.relations(item, viewer)
    return render_template(
        "runtime/result.html",
        page=page,
        appraisal=item,
        rels=rels,
        panel={
            "result": page.result,
            "own_only": False,
            "own_keys": set(),
            "labels": labels(appraisal_template(item)),
            "hidden": [],
            "uncounted": invitations.uncounted_groups(item),
            "title": _("How the result was worked out"),
            "computed": computed_words(get_session(), item, rels),
            "drill": bool(rels & READERS),
        },
        trend_chart=trend_chart(
            page.trend,
            appraisal_template(item),
            lambda row: url_for("runtime.result", id=row.appraisal_id),
        ),
        open_appeal=results.open_appeal(item, page.appeals),
        may_appeal=results.may_appeal(item, page.appeals),
        deadline=results.appeal_deadline(item),
        reopen_steps=[
            (s, state_label(s))
            for s in workflow.reopen_choices(item.state, rels, access.self_review_path(item))
        ],
        interviews=act.interviews_of(get_session(), item),
        plans=act.plans_of(get_session(), item),
        suggestions=act.suggestions(get_session(), item, page.result),
        writes=bool(rels & act.WRITERS),
        pip_allowed=item.final_grade in act.low_grades(item),
        typed=typed or {},
        errors=errors or {},
        conflict=status == 409,
    ), status


def _result_change(
    id_: int, form: PostedForm, change: Callable[..., Any], done: str, anchor: str = ""
) -> Any:
    """A post on the result page, read through `form`: the change (given the session, the
    appraisal and the form), then back to the page; a bad value or a refusal shows the page
    again with what was typed (422, or 409 when someone else saved first)."""
    item = _readable(id_)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "danger")
        return _result_page(item, request.form, 422, form.errors)
    back = url_for("runtime.result", id=id_, _anchor=anchor or None)
    return apply_change(
        item,
        lambda db, item: change(db, item, form),
        done,
        back,
        lambda status: _result_page(item, request.form, status, form.errors),
        form,
    )


@routes.route("/appraisals/<int:id>/acknowledge", methods=["POST"])
@require(is_member)
def result_acknowledge(id: int):
    return _result_change(
        id,
        PostedForm(),
        lambda db, item, form: results.acknowledge(
            db, item, current_viewer(), results.appeals_of(db, item)
        ),
        _("Thank you: you have acknowledged your result."),
    )


@routes.route("/appraisals/<int:id>/appeal", methods=["POST"])
@require(is_member)
def result_appeal(id: int):
    return _result_change(
        id,
        AppealForm(),
        lambda db, item, form: results.appeal(
            db, item, current_viewer(), form.reason.data, results.appeals_of(db, item)
        ),
        _("Your appeal is with HR."),
    )


@routes.route("/appraisals/<int:id>/appeals/<int:appeal_id>", methods=["POST"])
@require(is_member)
def result_resolve(id: int, appeal_id: int):
    def resolve(db, item, form):
        row = next((a for a in results.appeals_of(db, item) if a.id == appeal_id), None)
        if row is None:
            abort(404)
        results.resolve_appeal(
            db,
            item,
            row,
            current_viewer(),
            form.decision.data,
            form.reply.data,
            form.to.data or None,
        )

    return _result_change(id, ResolveForm(), resolve, _("Appeal answered."))


# -- the act phase: interviews, plans -------------------------------------------------------------


def _interview(db, item: Appraisal, interview_id: int) -> Interview:
    found = next((i for i in act.interviews_of(db, item) if i.id == interview_id), None)
    if found is None:
        abort(404)
    return found


def _plan(db, item: Appraisal, plan_id: int) -> DevelopmentPlan:
    found = next((p for p in act.plans_of(db, item) if p.id == plan_id), None)
    if found is None:
        abort(404)
    return found


@routes.route("/appraisals/<int:id>/interviews", methods=["POST"])
@require(is_member)
def interview_schedule(id: int):
    return _result_change(
        id,
        ScheduleForm(),
        lambda db, item, form: act.schedule_interview(
            db, item, current_viewer(), form.scheduled_at.data, form.location.data
        ),
        _("Interview scheduled."),
        "act",
    )


@routes.route("/appraisals/<int:id>/interviews/<int:interview_id>/record", methods=["POST"])
@require(is_member)
def interview_record(id: int, interview_id: int):
    return _result_change(
        id,
        InterviewRecordForm(),
        lambda db, item, form: act.record_interview(
            db,
            item,
            _interview(db, item, interview_id),
            current_viewer(),
            form.notes.data,
            form.actions.data,
            form.version.data,
        ),
        _("Interview record saved."),
        "act",
    )


@routes.route("/appraisals/<int:id>/interviews/<int:interview_id>/confirm", methods=["POST"])
@require(is_member)
def interview_confirm(id: int, interview_id: int):
    return _result_change(
        id,
        VersionPost(),
        lambda db, item, form: act.confirm_interview(
            db, item, _interview(db, item, interview_id), current_viewer(), form.version.data
        ),
        _("Interview record confirmed."),
        "act",
    )


@routes.route("/appraisals/<int:id>/plans", methods=["POST"])
@require(is_member)
def plan_create(id: int):
    return _result_change(
        id,
        PlanForm(),
        lambda db, item, form: act.create_plan(
            db,
            item,
            current_viewer(),
            form.kind.data,
            form.goals.data,
            form.deadline.data,
            form.resources.data,
        ),
        _("Plan saved."),
        "act",
    )


@routes.route("/appraisals/<int:id>/plans/<int:plan_id>/checkin", methods=["POST"])
@require(is_member)
def plan_checkin(id: int, plan_id: int):
    return _result_change(
        id,
        CheckinForm(),
        lambda db, item, form: act.add_checkin(
            db, item, _plan(db, item, plan_id), current_viewer(), form.note.data
        ),
        _("Check-in saved."),
        "act",
    )


@routes.route("/appraisals/<int:id>/plans/<int:plan_id>/close", methods=["POST"])
@require(is_member)
def plan_close(id: int, plan_id: int):
    return _result_change(
        id,
        ClosePlanForm(),
        lambda db, item, form: act.close_plan(
            db, item, _plan(db, item, plan_id), current_viewer(), form.outcome.data
        ),
        _("Plan closed."),
        "act",
    )


# -- the training catalogue ------------------------------------------------------------------


@routes.route("/training", methods=["GET", "POST"])
@require(can_run_cycles)
def training():
    """The organization's training catalogue, from which results suggest courses."""
    db, org_id = get_session(), current_org_id()
    status = 200
    form = CourseForm()
    if request.method == "POST" and not form.validate_on_submit():
        flash_form_errors(form)
        status = 422
    elif request.method == "POST":
        outcome = attempt(
            lambda: act.save_course(
                db,
                org_id,
                form.name.data,
                form.where.data,
                form.indicators.data,
                form.below.data,
                user_id=current_user.id,
            )
        )
        if not outcome.refused:
            flash(_("Course saved."), "success")
            return redirect(url_for("runtime.training"))
        status = outcome.status
    return render_template(
        "runtime/training.html", courses=act.courses(db, org_id), typed=request.form
    ), status
