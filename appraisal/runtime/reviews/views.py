"""One appraisal: its overview, targets, the review forms each role fills with a live score,
invitations, workflow moves and reopening. Everything 404s for people it does not concern."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...access import is_member, require
from ...audit import audit_trail
from ...concurrency import NO_ROW_YET
from ...db import get_session
from ...forms import attempt, choices, flash_form_errors
from ...i18n import state_label
from ...models import Appraisal
from ...people.services import member_choices, picker
from .. import workflow
from ..act import results
from ..compiled import appraisal_template
from ..continuous.timeline import timeline
from ..metrics.shown import READERS, computed_words
from ..render import labels, role_fields, role_items, target_fields
from ..web import Routes, apply_change, appraisal_or_404, current_viewer
from . import access, inputs, invitations, reviews
from .forms import ActionForm, InviteForm, ReopenForm, review_form

routes = Routes()

REVIEW_RATERS = ("self", "manager", "hr", "peer", "subordinate")


def _version() -> int | None:
    return request.form.get("version", type=int)


@routes.route("/appraisals/<int:id>")
@require(is_member)
def appraisal(id: int):
    return _appraisal_page(appraisal_or_404(id))


def _invite_form(item: Appraisal) -> InviteForm:
    """The invitation form, its people picker capped with a search (`?q=`): the posted
    choice stays among them, so a refused invitation shows it again."""
    form = InviteForm()
    found = picker(
        partial(member_choices, get_session(), item.organization_id),
        request.args.get("q", ""),
        [form.user_id.data],
    )
    form.user_id.choices = choices(found.choices)
    form.picker = found
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
    sees_reviewers = bool(rels & access.OFFICIAL)
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


@routes.route("/appraisals/<int:id>/targets", methods=["GET", "POST"])
@require(is_member)
def appraisal_targets(id: int):
    item = appraisal_or_404(id)
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


def _one_button(id_: int, change: Callable[..., Any], done: str) -> Any:
    """A one-button change on the appraisal page, by the current viewer."""
    back = url_for("runtime.appraisal", id=id_)
    return apply_change(
        appraisal_or_404(id_), lambda db, item: change(db, item, current_viewer()), done, back
    )


@routes.route("/appraisals/<int:id>/action", methods=["POST"])
@require(is_member)
def appraisal_action(id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _appraisal_page(appraisal_or_404(id), 422)
    return _one_button(
        id,
        lambda db, item, viewer: reviews.take_action(
            db, item, viewer, form.action.data, form.version.data
        ),
        _("Done."),
    )


@routes.route("/appraisals/<int:id>/reopen", methods=["POST"])
@require(is_member)
def appraisal_reopen(id: int):
    item, viewer = appraisal_or_404(id), current_viewer()
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


@routes.route("/appraisals/<int:id>/invite", methods=["POST"])
@require(is_member)
def appraisal_invite(id: int):
    item, viewer = appraisal_or_404(id), current_viewer()
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


@routes.route("/appraisals/<int:id>/invitations/<int:review_id>/withdraw", methods=["POST"])
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
        "computed": computed_words(get_session(), item, rels),
        "drill": bool(rels & READERS),
    }


@routes.route("/appraisals/<int:id>/review/<rater>", methods=["GET", "POST"])
@require(is_member)
def review(id: int, rater: str):
    item = appraisal_or_404(id)
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
        timeline=timeline(db, item, viewer, rels) if rater == "manager" else None,
    ), status


@routes.route("/appraisals/<int:id>/review/<rater>/score", methods=["POST"])
@require(is_member)
def review_score(id: int, rater: str):
    """The live score panel for what is typed now; nothing is saved."""
    item = appraisal_or_404(id)
    _review_context(item, rater)
    fields = role_fields(appraisal_template(item), rater)
    values = inputs.parse_values(fields, request.form)
    panel = _panel(item, rater, values)
    return {
        "html": render_template("runtime/_score_panel.html", appraisal=item, panel=panel),
        "hidden": [f"{rater}.{key}" for key in panel["hidden"]],
    }
