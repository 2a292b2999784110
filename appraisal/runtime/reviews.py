"""Appraisals at work: who may see and do what, targets, reviews (draft and submit),
invitations, workflow moves and reopening, and the scores each viewer may see.

Services take a session and a `Viewer`, ask `workflow` before changing anything, record an
audit event for every change and never commit.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..concurrency import expect_version
from ..errors import ServiceError
from ..i18n import input_label
from ..models import (
    Appraisal,
    AppraisalState,
    Cycle,
    Employee,
    Membership,
    Organization,
    Review,
    ReviewStatus,
    User,
    utcnow,
)
from ..rules import Result, score
from ..rules.scoring import NA, compiled
from . import workflow
from .render import Field, labels, parse_value, role_fields, target_fields

GROUPS = {"peer": "peers", "subordinate": "subordinates"}
SINGLE_RATERS = ("data", "self", "manager", "hr")
# Inputs that arrive on their own schedule: the manager submits without them and the
# appraisal then waits for figures in calibration (calibration refuses to start on it).
LATE_RATERS = ("data", "hr")
RATIO_METHODS = ("ratio", "reverse_ratio")
PUBLISHED = ("published", "acknowledged")

REFUSALS = {
    "not_allowed": _l("You cannot do this on this appraisal."),
    "wrong_state": _l("This step is already done or not open yet; nothing was changed."),
    "reason_required": _l("Give a reason."),
    "unknown_action": _l("Unknown action."),
}


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the runtime sees them in one organization."""

    user_id: int | None
    org_id: int
    is_hr: bool
    employee_id: int | None
    reports: frozenset[int] = frozenset()  # everyone below them, where managers see the chain


def viewer_for(session: Session, org_id: int, user_id: int, roles: frozenset[str]) -> Viewer:
    employee_id = session.scalar(
        select(Employee.id).where(Employee.organization_id == org_id, Employee.user_id == user_id)
    )
    chain = session.scalar(select(Organization.managers_see_chain).where(Organization.id == org_id))
    reports = (
        _everyone_below(session, org_id, employee_id) if chain and employee_id else frozenset()
    )
    return Viewer(user_id, org_id, "admin" in roles, employee_id, reports)


def _everyone_below(session: Session, org_id: int, boss_id: int) -> frozenset[int]:
    below: dict[int, list[int]] = {}
    for id_, manager_id in session.execute(
        select(Employee.id, Employee.manager_id).where(Employee.organization_id == org_id)
    ):
        below.setdefault(manager_id, []).append(id_)
    found: set[int] = set()
    stack = list(below.get(boss_id, []))
    while stack:
        current = stack.pop()
        if current not in found and current != boss_id:
            found.add(current)
            stack.extend(below.get(current, []))
    return frozenset(found)


def signs_in(employee: Employee) -> bool:
    """Whether the employee has an active account in their organization: only then do they
    take their own steps; otherwise HR or their manager acts for them."""
    user = employee.user if employee.user_id is not None else None
    return (
        user is not None
        and user.active
        and any(
            m.organization_id == employee.organization_id and m.active for m in user.memberships
        )
    )


def self_review_path(appraisal: Appraisal) -> str:
    """Who writes this appraisal's self-review: see `workflow.self_review_path`."""
    return workflow.self_review_path(
        bool(role_fields(appraisal.definition, "self")),
        signs_in(appraisal.employee),
        appraisal.cycle.scheme.skip_self_review_without_sign_in,
    )


def skipped_steps(appraisal: Appraisal) -> frozenset[str]:
    return workflow.skipped_steps(self_review_path(appraisal))


def relations(appraisal: Appraisal, viewer: Viewer) -> frozenset[str]:
    """How the viewer stands to this appraisal. An HR admin is not HR on their own appraisal;
    HR does the manager's part where the employee has no manager; HR and the manager act as
    `proxy` for an employee who has no sign-in."""
    found = set()
    own = viewer.employee_id is not None and appraisal.employee_id == viewer.employee_id
    if own:
        found.add("employee")
    elif viewer.is_hr:
        found.add("hr")
        if appraisal.manager_id is None:
            found.add("manager")
    if viewer.employee_id is not None and appraisal.manager_id == viewer.employee_id:
        found.add("manager")
    elif not own and appraisal.manager_id in viewer.reports:
        found.add("manager")  # a manager further up, where the organization allows it
    if any(r.reviewer_id == viewer.user_id and r.rater in GROUPS for r in appraisal.reviews):
        found.add("reviewer")
    if found & {"hr", "manager"} and not signs_in(appraisal.employee):
        found.add("proxy")
    return frozenset(found)


def load_appraisal(session: Session, viewer: Viewer, id_: int) -> Appraisal | None:
    """The appraisal, only if it is in the viewer's organization and concerns them."""
    appraisal = session.scalar(
        select(Appraisal)
        .where(Appraisal.id == id_, Appraisal.organization_id == viewer.org_id)
        .options(
            selectinload(Appraisal.employee)
            .selectinload(Employee.user)
            .selectinload(User.memberships),
            selectinload(Appraisal.manager),
            selectinload(Appraisal.cycle).selectinload(Cycle.scheme),
            selectinload(Appraisal.template_version),
            selectinload(Appraisal.reviews).selectinload(Review.reviewer),
        )
    )
    if appraisal is None or not relations(appraisal, viewer):
        return None
    return appraisal


def slot_for(rater: str, viewer: Viewer) -> str:
    return f"{rater}:{viewer.user_id}" if rater in GROUPS else rater


def find_review(appraisal: Appraisal, slot: str) -> Review | None:
    return next((r for r in appraisal.reviews if r.slot == slot), None)


# -- inputs and scores -------------------------------------------------------------------


def _add(inputs: dict[str, Any], rater: str, values: Mapping[str, Any]) -> None:
    if rater in GROUPS:
        inputs[GROUPS[rater]].append(dict(values))
    else:
        inputs[rater] = dict(values)


def official_inputs(appraisal: Appraisal) -> dict[str, Any]:
    """What counts: targets, figures and HR's values as saved; other reviews once submitted;
    a peer or subordinate group only where enough of them answered (`counted_group`)."""
    inputs: dict[str, Any] = {"targets": dict(appraisal.targets or {})}
    if "self_review" in skipped_steps(appraisal):
        inputs["skipped"] = ["self"]
    for review in appraisal.reviews:
        if review.rater in SINGLE_RATERS and (review.rater in ("data", "hr") or review.submitted):
            inputs[review.rater] = dict(review.values)
    threshold = appraisal.cycle.anonymity_threshold
    for rater, group in GROUPS.items():
        submitted = [r.values for r in appraisal.reviews if r.rater == rater and r.submitted]
        inputs[group] = counted_group(submitted, threshold)
    return inputs


def counted_group(answers: list[Mapping[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """The part of a peer or subordinate group's answers that counts: each item or
    adjustment only where at least `threshold` of them gave it a value (an n/a mark is not a
    value). Below that the group is treated as not given, as design §5 does when nobody
    answered, so no figure anywhere (total, grade, pay, trend, API, export) rests on fewer
    people than the threshold and nothing can be differenced to recover one rating."""
    given = Counter(k for a in answers for k, v in a.items() if v is not None and v != NA)
    kept = [{k: v for k, v in a.items() if given[k] >= threshold} for a in answers]
    return [a for a in kept if a]


def uncounted_groups(appraisal: Appraisal) -> list[tuple[str, int, int]]:
    """(rater, submitted, threshold) of each group that answered but too few to count."""
    threshold = appraisal.cycle.anonymity_threshold
    return [
        (rater, submitted, threshold)
        for rater, (submitted, _) in group_progress(appraisal).items()
        if 0 < submitted < threshold
    ]


def visible_inputs(
    appraisal: Appraisal,
    rels: frozenset[str],
    own_rater: str | None = None,
    own_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The inputs a viewer may see, with their own unsaved values in place of their review.

    HR and the manager see everything that counts. The appraisee sees targets, figures and
    their own review; once published, everything that counts. Before publication they see
    no peer or subordinate scores at all, even from the threshold: the next answer would
    move an average they watched and so reveal that one rating. A peer sees only their own
    review.
    """
    published = appraisal.state in PUBLISHED
    if "hr" in rels or "manager" in rels or ("employee" in rels and published):
        inputs = official_inputs(appraisal)
    elif "employee" in rels:
        inputs = {"targets": dict(appraisal.targets or {}), "peers": [], "subordinates": []}
        for review in appraisal.reviews:
            if review.rater in ("data", "self"):
                _add(inputs, review.rater, review.values)
    else:
        inputs = {"peers": [], "subordinates": []}
    if own_rater is not None and own_values is not None:
        if own_rater in GROUPS:
            inputs[GROUPS[own_rater]] = [dict(own_values)]
        else:
            inputs[own_rater] = dict(own_values)
    return inputs


def final_result(appraisal: Appraisal) -> Result:
    """The official result: what counts, with HR's calibrated grade (if any) in place of the
    computed one (kept as `computed_grade`), so outputs such as the pay coefficient follow
    it. Every surface reads this: pages, trend, API, exports; the stored total and grade
    are its cache for lists (`refresh_result`)."""
    return score(appraisal.definition, official_inputs(appraisal), appraisal.override_grade)


def shown_result(
    appraisal: Appraisal,
    rels: frozenset[str],
    own_rater: str | None = None,
    own_values: Mapping[str, Any] | None = None,
) -> Result:
    """The result as this viewer may see it. Without typed values, for HR, the manager and
    the appraisee of a published result it is `final_result`; with typed values it is the
    live panel's what-if. Anyone but HR and the manager gets peer and subordinate groups as
    an average and a count, never the single scores."""
    official = rels & {"hr", "manager"} or ("employee" in rels and appraisal.state in PUBLISHED)
    if own_rater is None and official:
        result = final_result(appraisal)
    else:
        inputs = visible_inputs(appraisal, rels, own_rater, own_values)
        result = score(appraisal.definition, inputs, appraisal.override_grade)
    return result if rels & {"hr", "manager"} else _averages_only(result)


def _averages_only(result: Result) -> Result:
    """The result without the single scores inside a group's average."""
    explanations = copy.deepcopy(result.explanations)
    for item in explanations.get("items", {}).values():
        for rater, entry in (item.get("raters") or {}).items():
            if rater in GROUPS:
                entry.pop("scores", None)
                if "count" in entry:  # the engine's working lists the single scores too
                    entry["how"] = f"average of {entry['count']} scores"
                    entry["how_zh"] = f"{entry['count']} 个评分的平均值"
    return dataclasses.replace(result, explanations=explanations)


def refresh_result(appraisal: Appraisal) -> Result:
    """Keep the official total, computed grade and completeness on the appraisal: the
    cache lists and sorting read (the calibrated grade lives beside it)."""
    result = final_result(appraisal)
    total = None if result.total is None else Decimal(str(result.total))
    if appraisal.total != total:
        appraisal.total = total
    if appraisal.grade != result.computed_grade:
        appraisal.grade = result.computed_grade
    if appraisal.complete != result.complete:
        appraisal.complete = result.complete
    return result


# -- checking values -----------------------------------------------------------------------


class InputRefused(ServiceError):
    """Values that cannot be saved: `errors` maps a field name to {"en", "zh"} messages."""

    def __init__(self, errors: dict[str, dict[str, str]], message: Any = None) -> None:
        super().__init__(message or _l("Some values need correcting; nothing was saved."))
        self.errors = errors


def _msg(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def parse_values(fields: list[Field], raw: Mapping[str, str]) -> dict[str, Any]:
    """Typed values of a role's fields, keyed by item key; blanks left out."""
    values = {}
    for f in fields:
        value = parse_value(f.kind, raw.get(f.name, ""), f.options)
        if value is not None:
            values[f.key] = value
    return values


def check_values(
    definition: dict[str, Any], rater: str, fields: list[Field], raw: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Typed values and the engine's own complaints about them, by field name.

    A posted name that is not one of the role's fields (a crafted post) is refused too.
    """
    names = {f.name for f in fields}
    errors = {
        name: _msg(f"{name} is not part of this form", f"{name} 不属于本表单")
        for name in raw
        if name not in names
    }
    values = parse_values(fields, raw)
    inputs = {GROUPS[rater]: [values]} if rater in GROUPS else {rater: values}
    prefix = f"{rater}."
    for error in score(definition, inputs).errors:
        if error["where"].startswith(prefix):
            errors.setdefault(error["where"], _msg(error["message"], error["message_zh"]))
    return values, errors


def missing_required(
    appraisal: Appraisal, rater: str, fields: list[Field], values: Mapping[str, Any]
) -> dict[str, dict[str, str]]:
    """Required, visible fields of this role that are still blank. An unscored item (a
    written comment) is required only where the template says `"required": true`, which the
    definition already reflects in `item.required`."""
    template = compiled(appraisal.definition)
    inputs = official_inputs(appraisal)
    if rater in GROUPS:
        inputs[GROUPS[rater]] = [dict(values)]
    else:
        inputs[rater] = dict(values)
    hidden = {k for k, why in score(template, inputs).not_applicable.items() if why == "hidden"}
    adjustments = {a.key: a for a in template.adjustments}
    errors = {}
    for f in fields:
        if f.key in values or f.key in hidden:
            continue
        item = template.items.get(f.key)
        required = item.required if item else adjustments[f.key].required
        if required:
            errors[f.name] = _msg("Required before submitting", "提交前必须填写")
    return errors


# -- targets ---------------------------------------------------------------------------------


def check_targets(
    definition: dict[str, Any], raw: Mapping[str, str]
) -> tuple[dict[str, float], dict[str, dict[str, str]]]:
    """Targets by item key from typed text, and what is wrong with them by field name."""
    fields = target_fields(definition)
    known = {f.name: f for f in fields}
    template = compiled(definition)
    targets: dict[str, float] = {}
    errors: dict[str, dict[str, str]] = {}
    for name, text in raw.items():
        f = known.get(name)
        if f is None:
            errors[name] = _msg(f"{name} does not take a target", f"{name} 不需要目标值")
            continue
        value = parse_value("number", text)
        if value is None:
            continue
        if not isinstance(value, int | float):
            errors[name] = _msg(f"{text!r} is not a number", f"{text!r} 不是数字")
        elif value < 0 or (value == 0 and template.items[f.key].scoring.method in RATIO_METHODS):
            errors[name] = _msg("The target must be above 0", "目标值必须大于 0")
        else:
            targets[f.key] = value
    return targets, errors


def save_targets(
    session: Session,
    appraisal: Appraisal,
    viewer: Viewer,
    raw: Mapping[str, str],
    version: int | None,
) -> None:
    rels = relations(appraisal, viewer)
    _require_edit(appraisal, "targets", rels)
    expect_version(appraisal, version)
    targets, errors = check_targets(appraisal.definition, raw)
    if errors:
        raise InputRefused(errors)
    before = dict(appraisal.targets or {})
    appraisal.targets = targets
    refresh_result(appraisal)
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "appraisal.targets_set",
        "appraisal",
        appraisal.id,
        before=before,
        after=targets,
    )


def missing_targets(appraisal: Appraisal) -> list[Field]:
    return [
        f for f in target_fields(appraisal.definition) if f.key not in (appraisal.targets or {})
    ]


# -- reviews ---------------------------------------------------------------------------------


CLOSED = _l("The cycle is closed; nothing can change.")


def _require_edit(appraisal: Appraisal, part: str, rels: frozenset[str]) -> None:
    if appraisal.cycle.state == "closed":
        raise ServiceError(CLOSED)
    if appraisal.employee.status != "active":
        raise ServiceError(_l("This employee has left; the appraisal is closed to changes."))
    if not workflow.can_edit(part, appraisal.state, rels):
        raise ServiceError(
            REFUSALS["wrong_state"]
            if workflow.EDITABLE[part][1] & rels
            else REFUSALS["not_allowed"]
        )


def editable_raters(appraisal: Appraisal, viewer: Viewer) -> list[str]:
    """The review forms this viewer fills on this appraisal, open or not."""
    rels = relations(appraisal, viewer)
    definition = appraisal.definition
    found = []
    for rater in ("self", "manager", "hr", "peer", "subordinate"):
        if not role_fields(definition, rater):
            continue
        if rater in GROUPS:
            if find_review(appraisal, slot_for(rater, viewer)) is not None:
                found.append(rater)
        elif workflow.EDITABLE[rater][1] & rels:
            found.append(rater)
    return found


@dataclass
class SaveOutcome:
    review: Review
    submitted: bool
    moved_to: str | None = None
    result: Result | None = None
    warnings: list[str] = field(default_factory=list)


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
    _require_edit(appraisal, rater, rels)
    slot = slot_for(rater, viewer)
    review = find_review(appraisal, slot)
    if review is not None and review.submitted:
        raise ServiceError(_l("This review has already been submitted; nothing was changed."))
    expect_version(review, version)  # a form opened before any draft posts NO_ROW_YET
    action = workflow.SUBMITS.get(rater) if submit else None
    if action is not None:
        try:
            workflow.next_state(appraisal.state, action, rels, skipped_steps(appraisal))
        except workflow.WorkflowRefused as refused:
            raise ServiceError(REFUSALS[refused.code]) from None
    definition = appraisal.definition
    fields = role_fields(definition, rater)
    values, errors = check_values(definition, rater, fields, raw)
    if submit:
        errors = missing_required(appraisal, rater, fields, values) | errors
    if errors:
        raise InputRefused(errors)
    if action == "submit_manager":
        trial = score(definition, official_inputs(appraisal) | {"manager": values})
        before = waiting(trial, late=False)
        if before:
            raise InputRefused({}, _incomplete_message(definition, before))
    if review is None:
        review = Review(
            organization_id=appraisal.organization_id, slot=slot, rater=rater, appraisal=appraisal
        )
        if rater not in GROUPS:
            review.reviewer_id = viewer.user_id
        session.add(review)
    review.values = {k: _storable(v) for k, v in values.items()}
    review.updated_by_id = viewer.user_id
    outcome = SaveOutcome(review, submit)
    if submit:
        review.status = ReviewStatus.SUBMITTED.value
        review.submitted_at = utcnow()
    result = refresh_result(appraisal)
    if action is not None:
        outcome.moved_to = _move(session, appraisal, viewer, action, rels)
    outcome.result = result
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
    return outcome


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
    if appraisal.complete or workflow.STATES.index(appraisal.state) < workflow.STATES.index(
        "calibration"
    ):
        return []
    return waiting(score(appraisal.definition, official_inputs(appraisal)), late=True)


def _incomplete_message(definition: dict[str, Any], places: list[str]) -> Any:
    names = labels(definition)
    return _l(
        "This review cannot be submitted yet. Waiting for: %(waiting)s.",
        waiting=", ".join(input_label(names, p) for p in places),
    )


def _move(
    session: Session, appraisal: Appraisal, viewer: Viewer, action: str, rels: frozenset[str]
) -> str:
    before = appraisal.state
    appraisal.state = workflow.next_state(before, action, rels, skipped_steps(appraisal))
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
    if appraisal.cycle.state == "closed":
        raise ServiceError(CLOSED)
    if action in workflow.SUBMITS.values():
        raise ServiceError(REFUSALS["unknown_action"])
    try:
        workflow.next_state(appraisal.state, action, rels)
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
    if appraisal.cycle.state == "closed":
        raise ServiceError(CLOSED)
    try:
        workflow.reopen(appraisal.state, to, rels, reason, skipped_steps(appraisal))
    except workflow.WorkflowRefused as refused:
        field_name = "reason" if refused.code == "reason_required" else None
        raise ServiceError(REFUSALS[refused.code], field_name) from None
    before = appraisal.state
    order = workflow.STATES.index
    reopened = {"self": "self_review", "manager": "manager_review"}
    for review in appraisal.reviews:
        step = reopened.get(review.rater)
        if step and order(step) >= order(to) and review.submitted:
            review.status = ReviewStatus.DRAFT.value
            review.submitted_at = None
    if to == AppraisalState.GOAL_SETTING:
        appraisal.goals_confirmed_at = None
    appraisal.state = to
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


# -- invitations -----------------------------------------------------------------------------


def invite(
    session: Session, appraisal: Appraisal, viewer: Viewer, rater: str, user_id: int
) -> Review:
    """Invite a colleague (peer) or one of the appraisee's direct reports (subordinate)."""
    rels = relations(appraisal, viewer)
    _require_edit(appraisal, "invitations", rels)
    if rater not in GROUPS:
        raise ServiceError(_l("Choose peer or subordinate."), "rater")
    member = session.scalar(
        select(Membership.id).where(
            Membership.organization_id == appraisal.organization_id,
            Membership.user_id == user_id,
            Membership.active,
        )
    )
    if member is None:
        raise ServiceError(_l("Choose a person of this organization."), "user_id")
    if appraisal.employee.user_id == user_id:
        raise ServiceError(_l("Employees cannot review themselves."), "user_id")
    if rater == "subordinate" and not session.scalar(
        select(Employee.id).where(
            Employee.manager_id == appraisal.employee_id, Employee.user_id == user_id
        )
    ):
        raise ServiceError(_l("A subordinate must report to the employee."), "user_id")
    if any(r.reviewer_id == user_id and r.rater in GROUPS for r in appraisal.reviews):
        raise ServiceError(_l("This person is already invited."), "user_id")
    review = Review(
        organization_id=appraisal.organization_id,
        appraisal=appraisal,
        slot=f"{rater}:{user_id}",
        rater=rater,
        reviewer_id=user_id,
        invited_by_id=viewer.user_id,
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "review.invited",
        "appraisal",
        appraisal.id,
        slot=review.slot,
    )
    return review


def withdraw(session: Session, appraisal: Appraisal, viewer: Viewer, review_id: int) -> None:
    rels = relations(appraisal, viewer)
    _require_edit(appraisal, "invitations", rels)
    review = next((r for r in appraisal.reviews if r.id == review_id and r.rater in GROUPS), None)
    if review is None:
        raise ServiceError(_l("No such invitation."))
    if review.submitted:
        raise ServiceError(_l("A submitted review cannot be withdrawn."))
    appraisal.reviews.remove(review)
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "review.withdrawn",
        "appraisal",
        appraisal.id,
        slot=review.slot,
    )


def invitations(appraisal: Appraisal) -> list[Review]:
    """Peer and subordinate reviews; only for the manager's and HR's pages."""
    return [r for r in appraisal.reviews if r.rater in GROUPS]


def group_progress(appraisal: Appraisal) -> dict[str, tuple[int, int]]:
    """(submitted, invited) per group: counts only, safe to show anyone on the appraisal."""
    progress = {}
    for rater in GROUPS:
        group = [r for r in appraisal.reviews if r.rater == rater]
        progress[rater] = (sum(r.submitted for r in group), len(group))
    return progress
