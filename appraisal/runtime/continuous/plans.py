"""Work plans: a month's or a quarter's tasks for one person, proposed by the employee or
their manager and agreed by the other side (`workflow.PLAN_TRANSITIONS`), then worked on
with progress updates, closed out by the employee and rated by the manager.

Who stands where is `sides`: the plan's employee, and their manager (direct, or up the
chain where the organization allows). HR admins read every plan but take no side.

A task's link is checked against what it names: a template item or target is one of the
items of the person's template in their running appraisal, a customer is a customer's code,
an external reference is a web link or a short plain reference (`_check_link`).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ... import audit
from ...concurrency import expect_version
from ...errors import ServiceError
from ...models import (
    Appraisal,
    Customer,
    Cycle,
    Employee,
    PlanItem,
    PlanUpdate,
    WorkPlan,
    utcnow,
)
from ...models.continuous import LINK_KINDS
from ...notifications import events
from ...rules import typed_number
from ...states import EDITABLE_PLANS, CycleState, PlanPeriod, PlanState
from .. import workflow
from ..compiled import appraisal_template
from ..fieldwork.access import manages, visible_employees
from ..metrics.compute import refresh_employees
from ..render import target_fields
from ..reviews.access import Viewer
from . import evidence as evidence_files
from .completion import on_time_share as on_time_share  # the plan pages' completion figure

MAX_ITEMS = 30
RATINGS = range(1, 6)
REFUSALS = {
    "not_allowed": _l("This is the other side's step on this plan."),
    "wrong_state": _l("This plan is not at that step; nothing was changed."),
    "unknown_action": _l("Unknown action."),
}


def sides(viewer: Viewer, employee: Employee) -> frozenset[str]:
    """`employee` for the plan's own person, `manager` for their manager (or chain)."""
    if employee.organization_id != viewer.org_id:
        return frozenset()
    if employee.id == viewer.employee_id:
        return frozenset({"employee"})
    return frozenset({"manager"}) if manages(viewer, employee) else frozenset()


def reads_plans_of(viewer: Viewer, employee: Employee) -> bool:
    """Who reads a person's plans: the two sides and HR admins of their organization. The
    plan page and every list of plan rows (the review's evidence timeline) ask this, so a
    manager the person has left reads none of it, wherever it is shown."""
    if employee.organization_id != viewer.org_id:
        return False
    return viewer.is_hr or bool(sides(viewer, employee))


def may_read(viewer: Viewer, plan: WorkPlan) -> bool:
    return reads_plans_of(viewer, plan.employee)


def relations(viewer: Viewer, plan: WorkPlan) -> frozenset[str]:
    return workflow.plan_relations(sides(viewer, plan.employee), plan.proposed_by)


def may_edit_items(rels: frozenset[str], plan: WorkPlan) -> bool:
    """Tasks are changed by either side before the plan is proposed, or after it is returned."""
    return bool(rels & workflow.PLAN_SIDES) and plan.state in EDITABLE_PLANS


def may_record_progress(rels: frozenset[str], plan: WorkPlan) -> bool:
    return bool(rels & workflow.PLAN_SIDES) and plan.state == PlanState.AGREED


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The calendar month or quarter `day` falls in."""
    if period == PlanPeriod.MONTH:
        first_month = day.month
        last_month = day.month
    else:
        first_month = (day.month - 1) // 3 * 3 + 1
        last_month = first_month + 2
    last_day = calendar.monthrange(day.year, last_month)[1]
    return date(day.year, first_month, 1), date(day.year, last_month, last_day)


# -- reading -------------------------------------------------------------------------------------


def load_plan(session: Session, viewer: Viewer, plan_id: int) -> WorkPlan | None:
    """A plan the viewer may read; anything else (another organization, another team) is
    None, which pages answer with 404."""
    plan = session.scalar(
        select(WorkPlan)
        .where(WorkPlan.organization_id == viewer.org_id, WorkPlan.id == plan_id)
        .options(selectinload(WorkPlan.items), selectinload(WorkPlan.updates))
    )
    return plan if plan is not None and may_read(viewer, plan) else None


def plans_for(session: Session, viewer: Viewer) -> list[WorkPlan]:
    """The viewer's own plans and those of the people they manage (everyone's for HR),
    newest period first."""
    return list(
        session.scalars(
            select(WorkPlan)
            .join(Employee, Employee.id == WorkPlan.employee_id)
            .where(WorkPlan.organization_id == viewer.org_id, visible_employees(viewer))
            .order_by(WorkPlan.starts_on.desc(), Employee.name)
            .limit(200)
        )
    )


def plannable(session: Session, viewer: Viewer) -> list[Employee]:
    """Whom the viewer may start a plan for: themselves and the people they manage."""
    people = session.scalars(
        select(Employee)
        .where(visible_employees(viewer), Employee.status == "active")
        .order_by(Employee.name)
    )
    return [e for e in people if sides(viewer, e)]


# -- writing -------------------------------------------------------------------------------------


def create_plan(
    session: Session, viewer: Viewer, employee: Employee | None, period: str, day: date | None
) -> WorkPlan:
    if employee is None or not sides(viewer, employee):
        raise ServiceError(_l("Choose yourself or someone you manage."), "employee_id")
    if period not in PlanPeriod.__members__.values():
        raise ServiceError(_l("Choose a month or a quarter."), "period")
    if day is None:
        raise ServiceError(_l("Choose a day in the plan's month or quarter."), "day")
    starts_on, ends_on = period_bounds(period, day)
    taken = session.scalar(
        select(WorkPlan.id).where(
            WorkPlan.organization_id == viewer.org_id,
            WorkPlan.employee_id == employee.id,
            WorkPlan.period == period,
            WorkPlan.starts_on == starts_on,
        )
    )
    if taken is not None:
        raise ServiceError(
            _l("%(name)s already has a plan for this period.", name=employee.name), "day"
        )
    plan = WorkPlan(
        organization_id=viewer.org_id,
        employee_id=employee.id,
        period=period,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=viewer.user_id,
    )
    plan.employee = employee
    session.add(plan)
    session.flush()
    _audit(session, viewer, plan, "plan.created")
    return plan


@dataclass(frozen=True)
class ItemInput:
    title: str
    description: str
    due_on: date | None
    weight: str
    measure: str
    link_kind: str
    link_ref: str  # a customer's code, or an external link or reference
    link_item: str = ""  # the key of a template item or target (`ITEM_LINKS`)


# -- what a task is linked to ----------------------------------------------------------------

#: The links a task takes from the items of the person's template in their running appraisal.
ITEM_LINKS = ("template_item", "appraisal_target")
#: An external reference that is not a link: a ticket's or a service request's number.
PLAIN_REFERENCE = re.compile(r"[\w\-./#]{1,40}")
LINK_REFUSALS = {
    "no_appraisal": _l(
        "%(name)s has no appraisal in a running cycle, so there is no item to link to."
    ),
    "template_item": _l("Choose an item of %(name)s's appraisal template from the list."),
    "appraisal_target": _l("Choose an item with a target in %(name)s's appraisal from the list."),
    "external": _l(
        "Give a link starting with http:// or https://, or a short reference (at most 40 "
        "letters, digits and - _ . / #, no spaces)."
    ),
}


def web_link(text: str) -> bool:
    """An http(s) address with a host and nothing that breaks out of it (spaces, control
    characters): what a page may put in a link's href."""
    if any(c.isspace() or unicodedata.category(c)[0] == "C" for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def running_appraisal(session: Session, plan: WorkPlan) -> Appraisal | None:
    """The plan's person's appraisal in a running cycle: the one whose period meets the
    plan's, else the latest."""
    found = session.scalars(
        select(Appraisal)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(
            Appraisal.organization_id == plan.organization_id,
            Appraisal.employee_id == plan.employee_id,
            Cycle.state == CycleState.RUNNING.value,
        )
        .order_by(Cycle.starts_on.desc(), Appraisal.id.desc())
    ).all()
    meets = [
        a for a in found if a.cycle.starts_on <= plan.ends_on and a.cycle.ends_on >= plan.starts_on
    ]
    return (meets or found or [None])[0]


def linkable_items(session: Session, plan: WorkPlan) -> dict[str, list[tuple[str, Any]]]:
    """Per kind of `ITEM_LINKS`, the (key, name) a task may be linked to: every item of the
    person's template in their running appraisal, and those of them whose target is set per
    person (`render.target_fields`). Empty without a running appraisal."""
    appraisal = running_appraisal(session, plan)
    if appraisal is None:
        return {kind: [] for kind in ITEM_LINKS}
    template = appraisal_template(appraisal)
    return {
        "template_item": [
            (key, item.name or key)
            for section in template.sections
            for key in section.items
            if (item := template.items.get(key)) is not None
        ],
        "appraisal_target": [(f.key, f.label or f.key) for f in target_fields(template)],
    }


@dataclass(frozen=True)
class ShownLink:
    """A task's link as its page shows it: words (text, or a label in both languages), and
    the address when it is a web link."""

    words: Any
    url: str | None = None


def shown_links(plan: WorkPlan, linkable: dict[str, list[tuple[str, Any]]]) -> dict[int, ShownLink]:
    """By item id: a template item or target by its name (its key once the appraisal is no
    longer running), a customer by its code, an external reference as a link or as text."""
    names = {kind: dict(choices) for kind, choices in linkable.items()}
    shown = {}
    for item in plan.items:
        if not item.link_kind:
            continue
        ref = item.link_ref
        if item.link_kind in ITEM_LINKS:
            shown[item.id] = ShownLink(names.get(item.link_kind, {}).get(ref, ref))
        elif item.link_kind == "external" and web_link(ref):
            shown[item.id] = ShownLink(ref, ref)
        else:
            shown[item.id] = ShownLink(ref)
    return shown


def _check_link(session: Session, plan: WorkPlan, data: ItemInput) -> str:
    """The reference to keep for the task's link ("" without one); a refusal at its field."""
    kind = data.link_kind
    if not kind:
        return ""
    if kind not in LINK_KINDS:
        raise ServiceError(_l("Choose what the task is linked to from the list."), "link_kind")
    if kind in ITEM_LINKS:
        ref = data.link_item.strip()
        if not ref:
            raise ServiceError(_l("Say which one it is linked to."), "link_item")
        choices = linkable_items(session, plan)
        if not any(choices.values()):
            name = plan.employee.name
            raise ServiceError(LINK_REFUSALS["no_appraisal"] % {"name": name}, "link_item")
        if ref not in dict(choices[kind]):
            raise ServiceError(LINK_REFUSALS[kind] % {"name": plan.employee.name}, "link_item")
        return ref
    ref = data.link_ref.strip()
    if not ref:
        raise ServiceError(_l("Say which one it is linked to."), "link_ref")
    if kind == "customer":
        found = session.scalar(
            select(Customer.id).where(
                Customer.organization_id == plan.organization_id, Customer.code == ref
            )
        )
        if found is None:
            raise ServiceError(_l("No customer has this code."), "link_ref")
    elif not (len(ref) <= 200 and web_link(ref)) and not PLAIN_REFERENCE.fullmatch(ref):
        raise ServiceError(LINK_REFUSALS["external"], "link_ref")
    return ref


def _writer(viewer: Viewer, plan: WorkPlan, version: int | None) -> frozenset[str]:
    rels = relations(viewer, plan)
    if not rels & workflow.PLAN_SIDES:
        raise ServiceError(_l("Only the employee or their manager can change this plan."))
    expect_version(plan, version)
    return rels


def _weight(text: str) -> Decimal:
    weight = typed_number(text)
    if weight is None or not 0 <= weight <= 100:
        raise ServiceError(_l("Enter a number from 0 to 100."), "weight")
    return weight.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _check_item(session: Session, plan: WorkPlan, data: ItemInput) -> Decimal:
    if not data.title.strip():
        raise ServiceError(_l("Give the task a title."), "title")
    if data.due_on is None:
        raise ServiceError(_l("Choose a due date."), "due_on")
    if not plan.starts_on <= data.due_on <= plan.ends_on:
        raise ServiceError(
            _l(
                "The due date must fall within the plan's period (%(start)s – %(end)s).",
                start=plan.starts_on.isoformat(),
                end=plan.ends_on.isoformat(),
            ),
            "due_on",
        )
    return _weight(data.weight)


def add_item(
    session: Session, viewer: Viewer, plan: WorkPlan, data: ItemInput, version: int | None
) -> PlanItem:
    _writer(viewer, plan, version)
    if plan.state not in EDITABLE_PLANS:
        raise ServiceError(_l("Once proposed, a plan's tasks change only after it is returned."))
    if len(plan.items) >= MAX_ITEMS:
        raise ServiceError(_l("A plan has at most %(count)s tasks.", count=MAX_ITEMS))
    weight = _check_item(session, plan, data)
    link_ref = _check_link(session, plan, data)
    item = PlanItem(
        organization_id=plan.organization_id,
        title=data.title.strip()[:200],
        description=data.description.strip(),
        due_on=data.due_on,
        weight=weight,
        measure=data.measure.strip()[:200],
        link_kind=data.link_kind or None,
        link_ref=link_ref,
    )
    plan.items.append(item)
    plan.updated_at = utcnow()  # the plan's version moves: what is agreed is what was seen
    session.flush()
    return item


def remove_item(
    session: Session, viewer: Viewer, plan: WorkPlan, item_id: int, version: int | None
) -> None:
    _writer(viewer, plan, version)
    if plan.state not in EDITABLE_PLANS:
        raise ServiceError(_l("Once proposed, a plan's tasks change only after it is returned."))
    item = next((i for i in plan.items if i.id == item_id), None)
    if item is None:
        raise ServiceError(_l("This task is not on the plan."))
    plan.items.remove(item)
    plan.updated_at = utcnow()
    session.flush()


def move(
    session: Session,
    viewer: Viewer,
    plan: WorkPlan,
    action: str,
    version: int | None,
    comment: str = "",
) -> None:
    """Propose, return (with comments) or agree to a plan."""
    rels = _writer(viewer, plan, version)
    if action == "return" and not comment.strip():
        raise ServiceError(_l("Say what should change."), "comment")
    if action == "propose" and not plan.items:
        raise ServiceError(_l("Add at least one task before proposing the plan."))
    if action == "propose":
        total = sum((i.weight for i in plan.items), Decimal(0))
        if total != 100:
            raise ServiceError(
                _l("The tasks' weights add up to %(total)s; they must add up to 100.", total=total)
            )
    try:
        plan.state = workflow.next_plan_state(plan.state, action, rels)
    except workflow.WorkflowRefused as refused:
        raise ServiceError(REFUSALS[refused.code]) from None
    now = utcnow()
    side = "employee" if "employee" in rels else "manager"
    if action == "propose":
        plan.proposed_by = side
        plan.employee_agreed_at = now if side == "employee" else None
        plan.manager_agreed_at = now if side == "manager" else None
    elif action == "return":
        plan.comment = comment.strip()
        plan.employee_agreed_at = plan.manager_agreed_at = None
    elif action == "agree":
        if side == "employee":
            plan.employee_agreed_at = now
        else:
            plan.manager_agreed_at = now
    session.flush()
    _audit(session, viewer, plan, f"plan.{action}")
    events.plan_moved(session, plan, action, _name_of(session, viewer))
    if action == "agree":  # its tasks now count in "tasks completed on time %"
        refresh_employees(session, plan.organization_id, {plan.employee_id})


def add_update(
    session: Session,
    viewer: Viewer,
    plan: WorkPlan,
    item_id: int | None,
    note: str,
    progress: int | None,
    evidence: str,
    today: date,
    sent: evidence_files.Sent | None = None,
) -> PlanUpdate:
    """Progress on an agreed plan; an item at 100 % is complete from today. `sent`: the
    documents and photos that came with it, stored as its evidence."""
    if not relations(viewer, plan) & workflow.PLAN_SIDES:
        raise ServiceError(_l("Only the employee or their manager can change this plan."))
    if plan.state != PlanState.AGREED:
        raise ServiceError(_l("Progress is recorded on an agreed plan that is not closed out."))
    if not note.strip():
        raise ServiceError(_l("Say what was done."), "note")
    item = None
    if item_id:
        item = next((i for i in plan.items if i.id == item_id), None)
        if item is None:
            raise ServiceError(_l("Choose a task of this plan."), "item_id")
    if progress is not None and not 0 <= progress <= 100:
        raise ServiceError(_l("Enter a percentage from 0 to 100."), "progress")
    if progress is not None and item is None:
        raise ServiceError(_l("Choose the task this progress is for."), "item_id")
    evidence = evidence.strip()
    if evidence and not web_link(evidence):
        raise ServiceError(_l("Evidence is a link starting with http:// or https://."), "evidence")
    completed = item.completed_on if item is not None else None
    if item is not None and progress is not None:
        item.progress = progress
        item.completed_on = (item.completed_on or today) if progress == 100 else None
    update = PlanUpdate(
        organization_id=plan.organization_id,
        item_id=item.id if item else None,
        note=note.strip(),
        progress=progress,
        evidence=evidence[:500],
        author_id=viewer.user_id,
    )
    plan.updates.append(update)
    plan.updated_at = utcnow()
    session.flush()
    if sent is not None:
        evidence_files.attach(session, viewer, update, sent)
    if item is not None and item.completed_on != completed:
        refresh_employees(session, plan.organization_id, {plan.employee_id})
    return update


def self_assess(
    session: Session, viewer: Viewer, plan: WorkPlan, text: str, version: int | None
) -> None:
    rels = _writer(viewer, plan, version)
    if not text.strip():
        raise ServiceError(_l("Write your self-assessment."), "self_assessment")
    try:
        plan.state = workflow.next_plan_state(plan.state, "self_assess", rels)
    except workflow.WorkflowRefused as refused:
        raise ServiceError(REFUSALS[refused.code]) from None
    plan.self_assessment = text.strip()
    session.flush()
    _audit(session, viewer, plan, "plan.self_assess")


def rate(
    session: Session,
    viewer: Viewer,
    plan: WorkPlan,
    rating: int | None,
    comment: str,
    version: int | None,
) -> None:
    rels = _writer(viewer, plan, version)
    if rating not in RATINGS:
        raise ServiceError(_l("Choose a rating from 1 to 5."), "rating")
    try:
        plan.state = workflow.next_plan_state(plan.state, "manager_rate", rels)
    except workflow.WorkflowRefused as refused:
        raise ServiceError(REFUSALS[refused.code]) from None
    plan.rating = rating
    plan.rating_comment = comment.strip()
    session.flush()
    _audit(session, viewer, plan, "plan.manager_rate")


def _name_of(session: Session, viewer: Viewer) -> str:
    """The viewer as the other side knows them: their employee name."""
    employee = session.get(Employee, viewer.employee_id) if viewer.employee_id else None
    return employee.name if employee is not None else ""


def _audit(session: Session, viewer: Viewer, plan: WorkPlan, action: str) -> None:
    audit.record(
        session,
        plan.organization_id,
        viewer.user_id,
        action,
        "work_plan",
        plan.id,
        employee=plan.employee.number,
        step=plan.state,
    )
