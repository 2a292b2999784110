"""Reviews and moves: targets set, reviews saved as drafts or submitted, workflow moves such
as confirming goals, and HR reopening a step; each keeps the stored result current."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ... import audit
from ...concurrency import expect_version
from ...errors import ServiceError
from ...i18n import input_label
from ...models import Appraisal, AppraisalState, CycleState, Review, ReviewStatus, utcnow
from ...notifications import events
from ...rules import CompiledTemplate, Result, score
from .. import workflow
from ..compiled import appraisal_template
from ..render import fills, labels, role_fields
from .access import (
    CLOSED,
    GROUPS,
    REFUSALS,
    Viewer,
    final_result,
    find_review,
    official_inputs,
    relations,
    require_edit,
    self_review_path,
    slot_for,
)
from .inputs import (
    InputRefused,
    check_targets,
    check_values,
    missing_required,
    missing_targets,
    parse_values,
    with_values,
)

# Inputs that arrive on their own schedule: the manager submits without them and the
# appraisal then waits for figures in calibration (calibration refuses to start on it).
LATE_RATERS = ("data", "hr")


def refresh_result(appraisal: Appraisal, known: Result | None = None) -> Result:
    """Keep the official total, computed grade and completeness on the appraisal: the
    cache lists and sorting read (the calibrated grade lives beside it). `known` is the
    official result when the caller has just scored exactly what counts."""
    result = known or final_result(appraisal)
    total = None if result.total is None else Decimal(str(result.total))
    if appraisal.total != total:
        appraisal.total = total
    if appraisal.grade != result.computed_grade:
        appraisal.grade = result.computed_grade
    if appraisal.complete != result.complete:
        appraisal.complete = result.complete
    return result


def save_targets(
    session: Session,
    appraisal: Appraisal,
    viewer: Viewer,
    raw: Mapping[str, str],
    version: int | None,
) -> None:
    rels = relations(appraisal, viewer)
    require_edit(appraisal, "targets", rels)
    expect_version(appraisal, version)
    targets, errors = check_targets(appraisal_template(appraisal), raw)
    if errors:
        raise InputRefused(errors)
    before = dict(appraisal.targets or {})
    was_missing = bool(missing_targets(appraisal))
    appraisal.targets = targets
    refresh_result(appraisal)
    if was_missing and not missing_targets(appraisal):
        events.goals_to_confirm(session, [appraisal])
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "appraisal.targets_set",
        "appraisal",
        appraisal.id,
        changes=audit.changes(before, targets),
    )


def editable_raters(appraisal: Appraisal, viewer: Viewer) -> list[str]:
    """The review forms this viewer fills on this appraisal, open or not."""
    rels = relations(appraisal, viewer)
    template = appraisal_template(appraisal)
    found = []
    for rater in ("self", "manager", "hr", "peer", "subordinate"):
        if not fills(template, rater):
            continue
        if rater in GROUPS:
            if find_review(appraisal, slot_for(rater, viewer)) is not None:
                found.append(rater)
        elif workflow.EDITABLE[rater][1] & rels:
            found.append(rater)
    return found


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: the review as saved, and whether it was submitted."""

    review: Review
    submitted: bool


def save_review(
    session: Session,
    appraisal: Appraisal,
    viewer: Viewer,
    rater: str,
    raw: Mapping[str, str],
    *,
    version: int | None,
    submit: bool,
) -> SaveOutcome:
    """Save a rater's values as a draft (types checked) or submit them (all required values
    too); submitting the self or manager review moves the appraisal on."""
    rels = relations(appraisal, viewer)
    if rater in GROUPS and find_review(appraisal, slot_for(rater, viewer)) is None:
        raise ServiceError(REFUSALS["not_allowed"])
    require_edit(appraisal, rater, rels)
    slot = slot_for(rater, viewer)
    review = find_review(appraisal, slot)
    if review is not None and review.submitted:
        raise ServiceError(_l("This review has already been submitted; nothing was changed."))
    expect_version(review, version)  # a form opened before any draft posts NO_ROW_YET
    action = workflow.SUBMITS.get(rater) if submit else None
    if action is not None:
        try:
            workflow.next_state(appraisal.state, action, rels, self_review_path(appraisal))
        except workflow.WorkflowRefused as refused:
            raise ServiceError(REFUSALS[refused.code]) from None
    # One scoring of the appraisal with these values answers every question below: the
    # engine's complaints, hidden items, what the manager's submission still waits for, and
    # (when they are what counts once saved) the official result.
    template = appraisal_template(appraisal)
    fields = role_fields(template, rater)
    trial_inputs = with_values(official_inputs(appraisal), rater, parse_values(fields, raw))
    trial = score(template, trial_inputs, appraisal.override_grade)
    values, errors = check_values(template, rater, fields, raw, trial)
    if submit:
        errors = missing_required(template, trial, fields, values) | errors
    if errors:
        raise InputRefused(errors)
    if action == "submit_manager":
        before = waiting(trial, late=False)
        if before:
            raise InputRefused({}, _incomplete_message(template, before))
    if review is None:
        review = Review(
            organization_id=appraisal.organization_id, slot=slot, rater=rater, appraisal=appraisal
        )
        if rater not in GROUPS:
            review.reviewer_id = viewer.user_id
        session.add(review)
    review.values = {k: _storable(v) for k, v in values.items()}
    review.updated_by_id = viewer.user_id
    if submit:
        review.status = ReviewStatus.SUBMITTED.value
        review.submitted_at = utcnow()
    refresh_result(appraisal, trial if official_inputs(appraisal) == trial_inputs else None)
    if action is not None:
        _move(session, appraisal, viewer, action, rels)
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "review.submitted" if submit else "review.saved",
        "appraisal",
        appraisal.id,
        slot=slot,
        **on_behalf(appraisal, viewer, rater),
    )
    return SaveOutcome(review, submit)


def _storable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def waiting(result: Result, *, late: bool) -> list[str]:
    """The places (`self.care`, `data.sales`) the result still lacks: with `late`, only the
    inputs that arrive on their own schedule (figures, HR's values); else all the others,
    which must come before the manager's submission."""
    places = [f"{m['rater']}.{m['key']}" for m in result.missing_inputs]
    places += [e["where"] for e in result.errors]
    return [p for p in dict.fromkeys(places) if (p.split(".", 1)[0] in LATE_RATERS) == late]


def waiting_for_figures(appraisal: Appraisal) -> list[str]:
    """What a submitted appraisal still waits for before calibration can use it."""
    if appraisal.complete or appraisal.state in workflow.REVIEWING:
        return []
    return waiting(score(appraisal_template(appraisal), official_inputs(appraisal)), late=True)


def _incomplete_message(template: CompiledTemplate, places: list[str]) -> Any:
    names = labels(template)
    return _l(
        "This review cannot be submitted yet. Waiting for: %(waiting)s.",
        waiting=", ".join(input_label(names, p) for p in places),
    )


def _move(
    session: Session, appraisal: Appraisal, viewer: Viewer, action: str, rels: frozenset[str]
) -> str:
    before = appraisal.state
    appraisal.state = workflow.next_state(before, action, rels, self_review_path(appraisal))
    if action == "confirm_goals":
        appraisal.goals_confirmed_at = utcnow()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        f"appraisal.{action}",
        "appraisal",
        appraisal.id,
        **{"from": before, "to": appraisal.state},
        **on_behalf(appraisal, viewer, action),
    )
    events.step_opened(session, appraisal)
    return appraisal.state


def on_behalf(appraisal: Appraisal, viewer: Viewer, action: str) -> dict[str, Any]:
    """Audit detail for an employee's own step taken by HR or the manager for them."""
    if action not in ("confirm_goals", "submit_self", "self"):
        return {}
    if viewer.employee_id is not None and viewer.employee_id == appraisal.employee_id:
        return {}
    return {"on_behalf_of": appraisal.employee.name}


def take_action(
    session: Session, appraisal: Appraisal, viewer: Viewer, action: str, version: int | None
) -> str:
    """A workflow move that is not a review submission, such as confirming goals."""
    rels = relations(appraisal, viewer)
    if appraisal.cycle.state == CycleState.CLOSED:
        raise ServiceError(CLOSED)
    if action in workflow.SUBMITS.values():
        raise ServiceError(REFUSALS["unknown_action"])
    try:
        workflow.next_state(appraisal.state, action, rels, self_review_path(appraisal))
    except workflow.WorkflowRefused as refused:
        raise ServiceError(REFUSALS[refused.code]) from None
    expect_version(appraisal, version)
    if action == "confirm_goals" and missing_targets(appraisal):
        raise ServiceError(_l("Your manager has not set all targets yet."))
    return _move(session, appraisal, viewer, action, rels)


def reopen(session: Session, appraisal: Appraisal, viewer: Viewer, to: str, reason: str) -> None:
    """HR sends an appraisal back to an earlier step; the reviews of that step and after
    become drafts again (peer reviews stay as given)."""
    rels = relations(appraisal, viewer)
    if appraisal.cycle.state == CycleState.CLOSED:
        raise ServiceError(CLOSED)
    before = appraisal.state
    try:
        appraisal.state = workflow.reopen(before, to, rels, reason, self_review_path(appraisal))
    except workflow.WorkflowRefused as refused:
        field_name = "reason" if refused.code == "reason_required" else None
        raise ServiceError(REFUSALS[refused.code], field_name) from None
    order = workflow.STATES.index
    for review in appraisal.reviews:
        step = workflow.SUBMITTED_IN.get(review.rater)
        if step and order(step) >= order(to) and review.submitted:
            review.status = ReviewStatus.DRAFT.value
            review.submitted_at = None
    if to == AppraisalState.GOAL_SETTING:
        appraisal.goals_confirmed_at = None
    refresh_result(appraisal)
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "appraisal.reopened",
        "appraisal",
        appraisal.id,
        reason=reason.strip(),
        **{"from": before, "to": to},
    )
    events.step_opened(session, appraisal)
