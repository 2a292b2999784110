"""One appraisal: its overview, targets, the review forms each role fills with a live score,
invitations, workflow moves and reopening. Everything 404s for people it does not concern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..access import is_member, require
from ..audit import audit_trail
from ..concurrency import NO_ROW_YET
from ..db import get_session
from ..forms import attempt, choices, flash_form_errors
from ..i18n import state_label
from ..models import Appraisal, DevelopmentPlan, Interview
from ..people.services import member_choices
from . import act, results, workflow
from .compiled import appraisal_template
from .forms import (
    ActionForm,
    AppealForm,
    CheckinForm,
    ClosePlanForm,
    ConfirmForm,
    InterviewRecordForm,
    InviteForm,
    PlanForm,
    PostedForm,
    ReopenForm,
    ResolveForm,
    ScheduleForm,
    review_form,
)
from .render import labels, role_fields, role_items, target_fields
from .reviews import access, inputs, invitations, reviews
from .views import bp, current_viewer

REVIEW_RATERS = ("self", "manager", "hr", "peer", "subordinate")


def _appraisal(id_: int) -> Appraisal:
    appraisal = access.load_appraisal(get_session(), current_viewer(), id_)
    if appraisal is None:
        abort(404)
    return appraisal


def _version() -> int | None:
    return request.form.get("version", type=int)


@bp.route("/appraisals/<int:id>")
@require(is_member)
def appraisal(id: int):
    return _appraisal_page(_appraisal(id))


def _invite_form(item: Appraisal) -> InviteForm:
    form = InviteForm()
    form.user_id.choices = choices(member_choices(get_session(), item.organization_id))
    return form


def _reopen_form(item: Appraisal, rels: set[str]) -> ReopenForm:
    form = ReopenForm()
    steps = workflow.reopen_choices(item.state, rels, access.self_review_path(item))
    form.to.choices = choices((s, state_label(s)) for s in steps)
    return form


def _appraisal_page(item: Appraisal, status: int = 200, **posted: Any) -> Any:
    """The overview; after a refused invitation or reopening (`posted`: `invite_form` or
    `reopen_form`), with that form as typed and its errors, answering `status`."""
    viewer = current_viewer()
    rels = access.relations(item, viewer)
    if rels == {"reviewer"}:
        rater = next(
            r.rater
            for r in item.reviews
            if r.reviewer_id == viewer.user_id and r.rater in access.GROUPS
        )
        return redirect(url_for("runtime.review", id=item.id, rater=rater))
    sees_reviewers = bool(rels & {"manager", "hr"})
    invite_form = reopen_form = None
    if workflow.can_edit("invitations", item.state, rels):
        invite_form = posted.get("invite_form") or _invite_form(item)
    if workflow.reopen_choices(item.state, rels, access.self_review_path(item)):
        reopen_form = posted.get("reopen_form") or _reopen_form(item, rels)
    return render_template(
        "runtime/appraisal.html",
        appraisal=item,
        rels=rels,
        states=workflow.STATES,
        actions=[a for a in workflow.allowed_actions(item.state, rels) if a == "confirm_goals"],
        target_fields=target_fields(appraisal_template(item)),
        missing_targets=inputs.missing_targets(item),
        can_set_targets=workflow.can_edit("targets", item.state, rels),
        forms=reviews.editable_raters(item, viewer),
        progress=invitations.group_progress(item),
        invitations=invitations.invitations(item) if sees_reviewers else [],
        invite_form=invite_form,
        reopen_form=reopen_form,
        can_read_result=results.may_read(item, viewer),
        waiting_for_figures=reviews.waiting_for_figures(item) if rels - {"reviewer"} else [],
        names=labels(appraisal_template(item)),
        events=audit_trail(get_session(), item.organization_id, "appraisal", item.id)
        if sees_reviewers
        else [],
    ), status


@bp.route("/appraisals/<int:id>/targets", methods=["GET", "POST"])
@require(is_member)
def appraisal_targets(id: int):
    item = _appraisal(id)
    viewer = current_viewer()
    rels = access.relations(item, viewer)
    if not rels & {"manager", "hr"}:
        abort(404)
    fields = target_fields(appraisal_template(item))
    form = review_form(fields, item.targets, meta={"csrf": True})
    form.version.data = str(item.version)
    status = 200
    conflict = None
    if request.method == "POST":
        raw = {k: v for k, v in request.form.items() if "." in k}
        outcome = attempt(
            lambda: reviews.save_targets(get_session(), item, viewer, raw, _version()), form
        )
        if not outcome.refused:
            flash(_("Targets saved."), "success")
            return redirect(url_for("runtime.appraisal", id=id))
        status = outcome.status
        if outcome.conflict:
            conflict = dict(item.targets or {})  # as saved now: the rollback reloads it
            form.version.data = str(item.version)
    return render_template(
        "runtime/targets.html",
        appraisal=item,
        form=form,
        fields=fields,
        editable=workflow.can_edit("targets", item.state, rels),
        conflict=conflict,
    ), status


def _change(
    item: Appraisal,
    change: Callable[..., Any],
    done: str,
    back: str,
    refused: Callable[[int], Any] | None = None,
) -> Any:
    """Run a change on an appraisal: commit, say so and go back to the page it came from; or
    roll back and say why, on the page again (`refused`, given the status: 409 when someone
    else saved first, else 422) with what was typed where the form has text to keep."""
    outcome = attempt(lambda: change(get_session(), item))
    if not outcome.refused:
        flash(done, "success")
    elif refused is not None:
        return refused(outcome.status)
    return redirect(back)


def _one_button(id_: int, change: Callable[..., Any], done: str) -> Any:
    """A one-button change on the appraisal page, by the current viewer."""
    back = url_for("runtime.appraisal", id=id_)
    return _change(_appraisal(id_), lambda db, item: change(db, item, current_viewer()), done, back)


@bp.route("/appraisals/<int:id>/action", methods=["POST"])
@require(is_member)
def appraisal_action(id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _appraisal_page(_appraisal(id), 422)
    return _one_button(
        id,
        lambda db, item, viewer: reviews.take_action(
            db, item, viewer, form.action.data, form.version.data
        ),
        _("Done."),
    )


@bp.route("/appraisals/<int:id>/reopen", methods=["POST"])
@require(is_member)
def appraisal_reopen(id: int):
    item, viewer = _appraisal(id), current_viewer()
    form = _reopen_form(item, access.relations(item, viewer))
    # The steps offered are checked by the service, which says why one is not open.
    form.to.validate_choice = False
    return _form_change(
        item,
        form,
        "reopen_form",
        lambda db: reviews.reopen(db, item, viewer, form.to.data, form.reason.data),
        _("Reopened."),
    )


@bp.route("/appraisals/<int:id>/invite", methods=["POST"])
@require(is_member)
def appraisal_invite(id: int):
    item, viewer = _appraisal(id), current_viewer()
    form = _invite_form(item)
    return _form_change(
        item,
        form,
        "invite_form",
        lambda db: invitations.invite(db, item, viewer, form.rater.data, form.user_id.data),
        _("Invited."),
    )


def _form_change(item: Appraisal, form: Any, name: str, change: Callable, done: str) -> Any:
    """A form of the overview page: checked, then the change; a refusal shows the page again
    with the form as typed (422, or 409 when someone else saved first)."""
    status = 422
    if form.validate_on_submit():
        outcome = attempt(lambda: change(get_session()), form)
        if not outcome.refused:
            flash(done, "success")
            return redirect(url_for("runtime.appraisal", id=item.id))
        status = outcome.status
    return _appraisal_page(item, status, **{name: form})


@bp.route("/appraisals/<int:id>/invitations/<int:review_id>/withdraw", methods=["POST"])
@require(is_member)
def appraisal_withdraw(id: int, review_id: int):
    return _one_button(
        id,
        lambda db, item, viewer: invitations.withdraw(db, item, viewer, review_id),
        _("Invitation withdrawn."),
    )


# -- review forms ------------------------------------------------------------------------------


def _review_context(item: Appraisal, rater: str):
    if rater not in REVIEW_RATERS or rater not in reviews.editable_raters(item, current_viewer()):
        abort(404)
    viewer = current_viewer()
    review = access.find_review(item, access.slot_for(rater, viewer))
    return viewer, review


def _panel(item: Appraisal, rater: str, values: dict[str, Any]) -> dict[str, Any]:
    rels = access.relations(item, current_viewer())
    result = access.shown_result(item, rels, rater, values)
    own = {f.key for f in role_fields(appraisal_template(item), rater)}
    return {
        "result": result,
        "own_only": rels <= {"reviewer"} or rater in access.GROUPS,
        "own_keys": own,
        "labels": labels(appraisal_template(item)),
        "hidden": sorted(k for k, why in result.not_applicable.items() if why == "hidden"),
        "uncounted": invitations.uncounted_groups(item),
    }


@bp.route("/appraisals/<int:id>/review/<rater>", methods=["GET", "POST"])
@require(is_member)
def review(id: int, rater: str):
    item = _appraisal(id)
    viewer, saved = _review_context(item, rater)
    rels = access.relations(item, viewer)
    fields = role_fields(appraisal_template(item), rater)
    form = review_form(fields, saved.values if saved else None)
    form.version.data = str(saved.version if saved else NO_ROW_YET)
    status = 200
    conflict = None
    db = get_session()
    if request.method == "POST":
        raw = {k: v for k, v in request.form.items() if "." in k}
        submit = request.form.get("action") == "submit"
        outcome = attempt(
            lambda: reviews.save_review(
                db, item, viewer, rater, raw, version=_version(), submit=submit
            ),
            form,
        )
        if outcome.value is not None:
            if outcome.value.submitted:
                flash(_("Submitted. Thank you."), "success")
                return redirect(url_for("runtime.my_tasks"))
            flash(_("Draft saved."), "success")
            return redirect(url_for("runtime.review", id=id, rater=rater))
        status = outcome.status
        if outcome.conflict:
            saved = access.find_review(item, access.slot_for(rater, viewer))  # as saved now
            conflict = dict(saved.values) if saved else {}
            form.version.data = str(saved.version if saved else NO_ROW_YET)
    values = inputs.parse_values(fields, {f.name: form[f.name].data or "" for f in fields})
    return render_template(
        "runtime/review.html",
        appraisal=item,
        rater=rater,
        form=form,
        sections=role_items(appraisal_template(item), rater),
        saved=saved,
        rels=rels,
        open=workflow.can_edit(rater, item.state, rels) and not (saved and saved.submitted),
        conflict=conflict,
        panel=_panel(item, rater, values),
    ), status


@bp.route("/appraisals/<int:id>/review/<rater>/score", methods=["POST"])
@require(is_member)
def review_score(id: int, rater: str):
    """The live score panel for what is typed now; nothing is saved."""
    item = _appraisal(id)
    _review_context(item, rater)
    fields = role_fields(appraisal_template(item), rater)
    values = inputs.parse_values(fields, request.form)
    panel = _panel(item, rater, values)
    return {
        "html": render_template("runtime/_score_panel.html", appraisal=item, panel=panel),
        "hidden": [f"{rater}.{key}" for key in panel["hidden"]],
    }


# -- results, acknowledgement and appeals --------------------------------------------------------


def _readable(id_: int) -> Appraisal:
    item = _appraisal(id_)
    if not results.may_read(item, current_viewer()):
        abort(404)
    return item


@bp.route("/appraisals/<int:id>/result")
@require(is_member)
def result(id: int):
    return _result_page(_readable(id))


def _result_page(item: Appraisal, typed: Any = None, status: int = 200) -> Any:
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
        },
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
        flash_form_errors(form)
        return _result_page(item, request.form, 422)
    back = url_for("runtime.result", id=id_, _anchor=anchor or None)
    return _change(
        item,
        lambda db, item: change(db, item, form),
        done,
        back,
        lambda status: _result_page(item, request.form, status),
    )


@bp.route("/appraisals/<int:id>/acknowledge", methods=["POST"])
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


@bp.route("/appraisals/<int:id>/appeal", methods=["POST"])
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


@bp.route("/appraisals/<int:id>/appeals/<int:appeal_id>", methods=["POST"])
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


@bp.route("/appraisals/<int:id>/interviews", methods=["POST"])
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


@bp.route("/appraisals/<int:id>/interviews/<int:interview_id>/record", methods=["POST"])
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


@bp.route("/appraisals/<int:id>/interviews/<int:interview_id>/confirm", methods=["POST"])
@require(is_member)
def interview_confirm(id: int, interview_id: int):
    return _result_change(
        id,
        ConfirmForm(),
        lambda db, item, form: act.confirm_interview(
            db, item, _interview(db, item, interview_id), current_viewer(), form.version.data
        ),
        _("Interview record confirmed."),
        "act",
    )


@bp.route("/appraisals/<int:id>/plans", methods=["POST"])
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


@bp.route("/appraisals/<int:id>/plans/<int:plan_id>/checkin", methods=["POST"])
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


@bp.route("/appraisals/<int:id>/plans/<int:plan_id>/close", methods=["POST"])
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
