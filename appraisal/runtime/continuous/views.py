"""Pages of continuous performance: work plans, 1:1 check-ins and feedback notes. Each page
answers 404 for what is not the viewer's (another organization's id, another team's plan, a
check-in between two other people)."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from ...access import current_membership, is_member, require
from ...db import get_session
from ...forms import PostedForm, attempt
from ...models import Employee, User, WorkPlan
from ...people.services import employee_choices, member_choices, picker
from ...states import FeedbackKind, PlanPeriod, PlanState
from ...storage import Missing, Unavailable, get_storage
from .. import workflow
from ..fieldwork import photos as field_photos
from ..fieldwork.photo_views import photo_response
from ..web import Routes, current_viewer
from . import checkins, evidence, feedback, plans
from .forms import (
    CheckInForm,
    FeedbackForm,
    FeedbackRequestForm,
    NewPlanForm,
    PlanItemForm,
    PlanMoveForm,
    PlanUpdateForm,
    RateForm,
    SelfAssessForm,
    vocabulary_choices,
)

routes = Routes()


def _today():
    return current_membership().organization.today()


def _employee(id_: int | None) -> Employee | None:
    """An employee of the organization by a posted id (None when absent or not ours: the
    service then refuses at the field)."""
    return get_session().get(Employee, id_) if id_ else None


def _refused_or_back(outcome: Any, back: str, page: Callable[[int], Any]) -> Any:
    return page(outcome.status) if outcome.refused else redirect(back)


# -- work plans ----------------------------------------------------------------------------------


@routes.route("/plans", methods=["GET", "POST"])
@require(is_member)
def plans_page():
    db, viewer = get_session(), current_viewer()
    form = NewPlanForm()
    form.period.choices = vocabulary_choices(PlanPeriod, "plan_period")
    status = 200
    if request.method == "POST":
        outcome = attempt(
            lambda: plans.create_plan(
                db,
                viewer,
                _in_org(_employee(form.employee_id.data)),
                form.period.data or "",
                form.day.data,
            ),
            form,
        )
        if not outcome.refused:
            flash(_("Plan started: add its tasks, then propose it."), "success")
            return redirect(url_for("runtime.plan", id=outcome.value.id))
        status = outcome.status
    if request.method == "POST" and form.errors and status == 200:
        status = 422
    return render_template(
        "runtime/plans.html",
        plans=plans.plans_for(db, viewer),
        people=plans.plannable(db, viewer),
        form=form,
    ), status


def _in_org(employee: Employee | None) -> Employee | None:
    return (
        employee
        if employee is not None and employee.organization_id == current_viewer().org_id
        else None
    )


def _plan_or_404(id_: int) -> WorkPlan:
    plan = plans.load_plan(get_session(), current_viewer(), id_)
    if plan is None:
        abort(404)
    return plan


@routes.route("/plans/<int:id>")
@require(is_member)
def plan(id: int):
    return _plan_page(_plan_or_404(id))


def _plan_page(plan: WorkPlan, status: int = 200, **forms: Any) -> Any:
    viewer = current_viewer()
    rels = plans.relations(viewer, plan)
    linkable = plans.linkable_items(get_session(), plan)
    return render_template(
        "runtime/plan.html",
        plan=plan,
        rels=rels,
        actions=workflow.plan_actions(plan.state, rels),
        editable=plans.may_edit_items(rels, plan),
        updating=plans.may_record_progress(rels, plan),
        returned=plan.state == PlanState.RETURNED,
        item_form=forms.get("item_form") or PlanItemForm(formdata=None),
        move_form=forms.get("move_form") or PlanMoveForm(formdata=None),
        update_form=forms.get("update_form") or PlanUpdateForm(formdata=None),
        assess_form=forms.get("assess_form") or SelfAssessForm(formdata=None),
        rate_form=forms.get("rate_form") or RateForm(formdata=None),
        link_kinds=vocabulary_choices(plans.LINK_KINDS, "plan_link"),
        linkable=linkable,
        links=plans.shown_links(plan, linkable),
    ), status


def _plan_change(id_: int, form: PostedForm, name: str, change: Callable[..., Any], done: str):
    """A post on the plan page: the change, then back to the page; a refusal shows the page
    again with what was typed at its field (422, or 409 when the plan moved meanwhile)."""
    plan = _plan_or_404(id_)
    outcome = attempt(lambda: change(get_session(), current_viewer(), plan, form), form)
    if not outcome.refused:
        flash(done, "success")
        return redirect(url_for("runtime.plan", id=id_))
    get_session().expire_all()
    return _plan_page(_plan_or_404(id_), outcome.status, **{name: form})


@routes.route("/plans/<int:id>/items", methods=["POST"])
@require(is_member)
def plan_item_add(id: int):
    form = PlanItemForm()
    return _plan_change(
        id,
        form,
        "item_form",
        lambda db, viewer, plan, f: plans.add_item(
            db,
            viewer,
            plan,
            plans.ItemInput(
                f.title.data or "",
                f.description.data or "",
                f.due_on.data,
                f.weight.data or "",
                f.measure.data or "",
                f.link_kind.data or "",
                f.link_ref.data or "",
                f.link_item.data or "",
            ),
            f.version.data,
        ),
        _("Task added."),
    )


@routes.route("/plans/<int:id>/items/<int:item_id>/remove", methods=["POST"])
@require(is_member)
def plan_item_remove(id: int, item_id: int):
    return _plan_change(
        id,
        PlanMoveForm(),
        "move_form",
        lambda db, viewer, plan, f: plans.remove_item(db, viewer, plan, item_id, f.version.data),
        _("Task removed."),
    )


@routes.route("/plans/<int:id>/move", methods=["POST"])
@require(is_member)
def plan_move(id: int):
    return _plan_change(
        id,
        PlanMoveForm(),
        "move_form",
        lambda db, viewer, plan, f: plans.move(
            db, viewer, plan, f.action.data or "", f.version.data, f.comment.data or ""
        ),
        _("Plan saved."),
    )


@routes.route("/plans/<int:id>/updates", methods=["POST"])
@require(is_member)
def plan_update(id: int):
    return _plan_change(
        id,
        PlanUpdateForm(),
        "update_form",
        lambda db, viewer, plan, f: plans.add_update(
            db,
            viewer,
            plan,
            f.item_id.data,
            f.note.data or "",
            f.progress.data,
            f.evidence.data or "",
            _today(),
            _sent(),
        ),
        _("Progress recorded."),
    )


def _sent() -> evidence.Sent:
    """The documents and photos posted with a progress update (an input left empty sends
    a part without a name, which is no file)."""
    return evidence.Sent(
        get_storage(),
        field_photos.Limits.from_config(current_app.config),
        [(f.filename, f.stream) for f in request.files.getlist("files") if f.filename],
        [f.stream for f in request.files.getlist("photos") if f.filename],
    )


@routes.route("/plans/<int:id>/files/<int:file_id>")
@require(is_member)
def plan_file(id: int, file_id: int):
    """A document of a plan's progress, always as a download (never shown in the page)."""
    found = evidence.load_file(get_session(), _plan_or_404(id), file_id)
    if found is None:
        abort(404)
    try:
        data = evidence.file_bytes(get_storage(), found)
    except Missing:
        abort(404)
    except Unavailable:
        current_app.logger.exception("A plan file could not be read")
        abort(503)
    response = send_file(
        io.BytesIO(data),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@routes.route("/plans/<int:id>/photos/<int:photo_id>")
@require(is_member)
def plan_photo(id: int, photo_id: int):
    """A photo of a plan's progress (`?size=thumb`: its thumbnail)."""
    found = evidence.load_photo(get_session(), _plan_or_404(id), photo_id)
    if found is None:
        abort(404)
    try:
        return photo_response(found, request.args.get("size") == "thumb")
    except Unavailable:
        current_app.logger.exception("A plan photo could not be read")
        abort(503)


@routes.route("/plans/<int:id>/assess", methods=["POST"])
@require(is_member)
def plan_assess(id: int):
    return _plan_change(
        id,
        SelfAssessForm(),
        "assess_form",
        lambda db, viewer, plan, f: plans.self_assess(
            db, viewer, plan, f.self_assessment.data or "", f.version.data
        ),
        _("Self-assessment sent to your manager."),
    )


@routes.route("/plans/<int:id>/rate", methods=["POST"])
@require(is_member)
def plan_rate(id: int):
    return _plan_change(
        id,
        RateForm(),
        "rate_form",
        lambda db, viewer, plan, f: plans.rate(
            db, viewer, plan, f.rating.data, f.rating_comment.data or "", f.version.data
        ),
        _("Plan rated and closed."),
    )


# -- check-ins -------------------------------------------------------------------------------------


def _checkin_input(form: CheckInForm) -> checkins.CheckInInput:
    return checkins.CheckInInput(
        form.held_on.data,
        form.agenda.data or "",
        form.notes.data or "",
        form.blockers.data or "",
        form.actions.data or "",
        form.next_on.data,
    )


@routes.route("/checkins", methods=["GET", "POST"])
@require(is_member)
def checkins_page():
    db, viewer = get_session(), current_viewer()
    form = CheckInForm()
    status = 200
    if request.method == "POST":
        outcome = attempt(
            lambda: checkins.record(
                db, viewer, _in_org(_employee(form.employee_id.data)), _checkin_input(form)
            ),
            form,
        )
        if not outcome.refused:
            flash(_("Check-in recorded."), "success")
            return redirect(url_for("runtime.checkins_page"))
        status = outcome.status
    return render_template(
        "runtime/checkins.html",
        checkins=checkins.checkins_for(db, viewer),
        reports=checkins.reports_of(db, viewer),
        form=form,
        viewer=viewer,
    ), status


@routes.route("/checkins/<int:id>", methods=["GET", "POST"])
@require(is_member)
def checkin(id: int):
    db, viewer = get_session(), current_viewer()
    found = checkins.load_checkin(db, viewer, id)
    if found is None:
        abort(404)
    form = CheckInForm(obj=found) if request.method == "GET" else CheckInForm()
    status = 200
    if request.method == "POST":
        outcome = attempt(
            lambda: checkins.edit(db, viewer, found, _checkin_input(form), form.expected_version()),
            form,
            found,
        )
        if not outcome.refused:
            flash(_("Check-in saved."), "success")
            return redirect(url_for("runtime.checkin", id=id))
        status = outcome.status
    return render_template(
        "runtime/checkin.html",
        checkin=found,
        form=form,
        writes=viewer.employee_id in (found.employee_id, found.manager_id),
    ), status


# -- feedback notes --------------------------------------------------------------------------------


@routes.route("/feedback", methods=["GET", "POST"])
@require(is_member)
def feedback_notes():
    db, viewer = get_session(), current_viewer()
    form = FeedbackForm()
    form.kind.choices = vocabulary_choices(FeedbackKind, "feedback_kind")
    status = 200
    if request.method == "POST":
        outcome = attempt(
            lambda: feedback.give(
                db,
                viewer,
                _in_org(_employee(form.recipient_id.data)),
                form.kind.data or "",
                form.text.data or "",
                form.indicator_id.data,
                bool(form.private.data),
                form.request_id.data,
            ),
            form,
        )
        if not outcome.refused:
            flash(_("Feedback sent."), "success")
            return redirect(url_for("runtime.feedback_notes"))
        status = outcome.status
    return _feedback_page(form, FeedbackRequestForm(formdata=None), status)


def _feedback_page(form: FeedbackForm, ask_form: FeedbackRequestForm, status: int) -> Any:
    """The notes, and the forms whose people pickers list the first ones matching `?q=`."""
    db, viewer = get_session(), current_viewer()
    search = request.args.get("q", "")
    indicators = feedback.indicator_choices(db, viewer.org_id)
    form.kind.choices = vocabulary_choices(FeedbackKind, "feedback_kind")
    return render_template(
        "runtime/feedback_notes.html",
        notes=feedback.notes_for(db, viewer),
        requests=feedback.requests_to(db, viewer),
        colleagues=picker(
            partial(employee_choices, db, viewer.org_id, exclude_id=viewer.employee_id),
            search,
            [form.recipient_id.data],
        ),
        members=picker(
            partial(member_choices, db, viewer.org_id), search, [ask_form.asked_id.data]
        ),
        askable=plans.plannable(db, viewer),
        indicators=indicators,
        indicator_names=dict(indicators),  # a note's indicator, named in the reader's language
        form=form,
        ask_form=ask_form,
        viewer=viewer,
    ), status


@routes.route("/feedback/requests", methods=["POST"])
@require(is_member)
def feedback_request():
    db, viewer = get_session(), current_viewer()
    form = FeedbackRequestForm()
    asked = db.get(User, form.asked_id.data) if form.asked_id.data else None
    outcome = attempt(
        lambda: feedback.ask(
            db,
            viewer,
            asked,
            _in_org(_employee(form.about_id.data)),
            form.message.data or "",
            {id_ for id_, _name in member_choices(db, viewer.org_id, ids=[asked.id])}
            if asked
            else set(),
        ),
        form,
    )
    if not outcome.refused:
        flash(_("Request sent."), "success")
        return redirect(url_for("runtime.feedback_notes"))
    return _feedback_page(FeedbackForm(formdata=None), form, outcome.status)
