"""The goal cascade: goals per period, their trees, splits, forecasts, attainment and the
cycle targets filled from the leaves. Services take a Session and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..concurrency import EditConflict, expect_version
from ..db import get_in_org, in_chunks
from ..errors import ServiceError
from ..models import Cycle, Department, Employee, EmployeeStatus, Goal, GoalNode
from ..people.services import (
    PICKER_LIMIT,
    below,
    department_children,
    department_choices,
    employee_choices,
)
from ..rules import typed_number
from ..runtime.cycles import figures
from ..runtime.cycles.targets import CENT, SplitRefused, split_exact, sum_matches
from ..runtime.reviews.access import Viewer
from ..states import AppraisalState
from ..uploads import Table
from .attainment import led_or_owned, people_of_departments, period_cycles
from .tree import GoalViewer, Tree, visible_ids

MAX_AMOUNT = Decimal("9999999999999.99")  # what a goal column holds (15 digits, 2 decimals)
SPLIT_METHODS = ("equal", "basis", "last_actual", "last_year", "forecast")
NO_BASIS = {
    "basis": _l("Enter a basis for at least one part that is not locked."),
    "last_actual": _l("Nobody under these parts has a figure for last period."),
    "last_year": _l("Nobody under these parts has a figure for the same period last year."),
    "forecast": _l("Import a forecast for at least one part that is not locked."),
}


class RowsRefused(ServiceError):
    """Cells of the split that need correcting; `errors` maps each input's name to why."""

    def __init__(self, errors: dict[str, Any], message: Any = None) -> None:
        super().__init__(message or _l("Correct the marked values; nothing was saved."))
        self.errors = errors


def amount(text: Any, field: str) -> Decimal:
    """A typed target: a number of at most two decimals, not negative."""
    value = typed_number(str(text).replace(",", ""))
    if value is None:
        raise ServiceError(_l("Enter a number, for example 120000 or 95.5."), field)
    if value < 0 or value > MAX_AMOUNT:
        raise ServiceError(_l("Enter a number from 0 to 9999999999999.99."), field)
    if value != value.quantize(CENT):
        raise ServiceError(_l("Targets are in cents: use at most two decimals."), field)
    return value.quantize(CENT)


def shown_total(parts: Iterable[GoalNode], typed: Mapping[str, str]) -> Decimal:
    """What the targets a split page shows add up to: the typed or proposed ones where the
    page shows those (a split is proposed before it is saved), else the saved ones; a
    target the page refuses counts as nothing, its message is beside it."""
    total = Decimal(0)
    for part in parts:
        text = typed.get(f"target|{part.id}")
        if text is None:
            total += part.target
            continue
        with suppress(ServiceError):
            total += amount(text, "")
    return total


def plain(value: Decimal | None) -> str:
    """120000 and 95.5, as typed, rather than 120000.00."""
    if value is None:
        return ""
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- goals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalFields:
    key: str
    name: str
    unit: str
    weight: Decimal
    starts_on: date
    ends_on: date
    target: str


def save_goal(
    session: Session,
    org_id: int,
    goal: Goal | None,
    fields: GoalFields,
    version: int | None,
    user_id: int | None,
) -> Goal:
    """Create a goal with its company node, or change one; the company target is the root's."""
    expect_version(goal, version)
    if fields.ends_on < fields.starts_on:
        raise ServiceError(_l("The period must end after it starts."), "ends_on")
    target = amount(fields.target, "target")
    clash = session.scalar(
        select(Goal.id).where(
            Goal.organization_id == org_id,
            Goal.key == fields.key,
            Goal.starts_on == fields.starts_on,
            Goal.id != (goal.id if goal else -1),
        )
    )
    if clash:
        raise ServiceError(_l("This period already has a goal for this item."), "key")
    before = _goal_fields(goal)
    if goal is None:
        goal = Goal(organization_id=org_id)
        session.add(goal)
        root = GoalNode(organization_id=org_id, goal=goal, target=target, updated_by_id=user_id)
        session.add(root)
    else:
        root = Tree(goal.nodes).root
        if root.target != target:
            root.target, root.updated_by_id = target, user_id
    for name in GOAL_FIELDS:
        setattr(goal, name, getattr(fields, name))
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "goal.saved",
        "goal",
        goal.id,
        key=goal.key,
        changes=audit.changes(before, _goal_fields(goal)),
    )
    return goal


#: What the goal form edits, beside the company target (the root node's).
GOAL_FIELDS = ("key", "name", "unit", "weight", "starts_on", "ends_on")


def _goal_fields(goal: Goal | None) -> dict[str, Any]:
    if goal is None:
        return {}
    return audit.snapshot(goal, GOAL_FIELDS) | {"target": Tree(goal.nodes).root.target}


def goal_list(session: Session, viewer: GoalViewer) -> list[Goal]:
    """Goals by period, newest first: all for HR, else those with a node the viewer leads
    or owns."""
    query = select(Goal).where(Goal.organization_id == viewer.org_id)
    if not viewer.is_hr:
        if viewer.employee_id is None:
            return []
        query = query.where(Goal.id.in_(select(GoalNode.goal_id).where(led_or_owned(viewer))))
    return list(
        session.scalars(query.order_by(Goal.starts_on.desc(), Goal.weight.desc(), Goal.key))
    )


def load_tree(session: Session, goal: Goal) -> Tree:
    """A goal's nodes to edit, without their people and departments (10,000 of each in a
    large company's tree): `with_names` loads those of the nodes a page shows."""
    return Tree(session.scalars(select(GoalNode).where(GoalNode.goal_id == goal.id)))


def with_names(session: Session, nodes: Iterable[GoalNode]) -> None:
    """Load the people, leads and departments of `nodes` (a few statements, whatever their
    number), which the split page and the forecast import read."""
    for chunk in in_chunks(sorted({node.id for node in nodes})):
        session.scalars(
            select(GoalNode)
            .where(GoalNode.id.in_(chunk))
            .options(
                selectinload(GoalNode.department),
                selectinload(GoalNode.employee),
                selectinload(GoalNode.lead),
            )
        ).all()


@dataclass
class Seen:
    """A node the viewer may see, with its goal's tree."""

    goal: Goal
    tree: Tree
    node: GoalNode
    visible: set[int]

    @property
    def parts(self) -> list[GoalNode]:
        """The node's parts the viewer may see: all of them for whoever splits it, else
        only those on the viewer's own path (never a colleague's leaf or another region)."""
        return [part for part in self.tree.children_of(self.node) if part.id in self.visible]


def seen_node(session: Session, viewer: GoalViewer, node_id: int) -> Seen | None:
    """A node of the viewer's organization that they may see; None (a 404) otherwise."""
    node = get_in_org(session, GoalNode, viewer.org_id, node_id)
    if node is None:
        return None
    tree = load_tree(session, node.goal)
    visible = visible_ids(tree, viewer)
    if node.id not in visible:
        return None
    seen = Seen(node.goal, tree, tree.nodes[node.id], visible)
    with_names(session, [*tree.path(seen.node), *tree.children_of(seen.node)])
    return seen


# -- splitting a node among its parts ----------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One part of a split as the page posted it."""

    node_id: int
    target: str
    locked: bool
    version: int | None
    basis: str = ""


def year_before(day: date) -> date:
    """The same day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _last_period(session: Session, goal: Goal) -> list[Cycle]:
    """Every launched cycle inside the period of the latest cycle that ended before the goal
    starts (one per scheme, not just one: the sales figures may be in any)."""
    earlier = figures.cycle_before(session, goal.organization_id, goal.starts_on)
    if earlier is None:
        return []
    return period_cycles(session, goal.organization_id, earlier.starts_on, earlier.ends_on)


def period_year_before(starts_on: date, ends_on: date) -> tuple[date, date]:
    """The same period a year earlier. A period that ends on a month's last day ends on that
    month's last day then too: February 2029 (to the 28th) a year back is February 2028 to
    the 29th, or a cycle of the whole month would not count."""
    end = year_before(ends_on)
    if (ends_on + timedelta(days=1)).day == 1:
        end = (end.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return year_before(starts_on), end


def _same_period_last_year(session: Session, goal: Goal) -> list[Cycle]:
    """Every launched cycle inside the goal's period moved one year back."""
    return period_cycles(
        session, goal.organization_id, *period_year_before(goal.starts_on, goal.ends_on)
    )


#: The split methods whose basis is the parts' actuals in earlier cycles, and which cycles.
ACTUALS_FROM = {"last_actual": _last_period, "last_year": _same_period_last_year}


def _earlier_actuals(
    session: Session, goal: Goal, parts: list[GoalNode], cycles: list[Cycle]
) -> dict[int, Decimal]:
    """Each part's actual over `cycles`: a person's own, a department's people's (its
    sub-departments' included)."""
    if not cycles:
        return {}
    departments = [p.department_id for p in parts if p.employee_id is None and p.department_id]
    people = people_of_departments(session, goal.organization_id, departments)
    covered: dict[int, set[int]] = {}
    for part in parts:
        if part.employee_id is not None:
            covered[part.id] = {part.employee_id}
        elif part.department_id is not None:
            covered[part.id] = people.get(part.department_id, set())
        else:
            covered[part.id] = set()
    by_employee = figures.figures_by_employee(
        session, cycles, goal.key, set().union(*covered.values())
    )
    return {
        part.id: sum((by_employee.get(e, Decimal(0)) for e in covered[part.id]), Decimal(0))
        for part in parts
    }


def _basis(
    session: Session, seen: Seen, method: str, open_parts: list[GoalNode], rows: dict[int, Row]
) -> dict[int, Decimal] | None:
    if method == "equal":
        return None
    if method == "basis":
        errors, found = {}, {}
        for part in open_parts:
            text = rows[part.id].basis.strip()
            try:
                found[part.id] = amount(text or "0", f"basis|{part.id}")
            except ServiceError as refused:
                errors[refused.field] = refused.message
        if errors:
            raise RowsRefused(errors)
        return found
    if method in ACTUALS_FROM:
        cycles = ACTUALS_FROM[method](session, seen.goal)
        return _earlier_actuals(session, seen.goal, open_parts, cycles)
    if method == "forecast":
        return {part.id: part.forecast or Decimal(0) for part in open_parts}
    raise ServiceError(_l("Choose how to split."), "method")


def _typed_rows(seen: Seen, rows: Iterable[Row]) -> dict[int, Row]:
    """The posted rows, which must be the node's parts as they are now (someone adding or
    removing a part meanwhile is a conflict)."""
    by_id = {row.node_id: row for row in rows}
    if set(by_id) != {part.id for part in seen.tree.children_of(seen.node)}:
        raise EditConflict(
            seen.node,
            _l("Someone added or removed a part meanwhile; the page shows them as they are now."),
        )
    return by_id


def split_node(
    session: Session, seen: Seen, method: str, rows: Iterable[Row]
) -> dict[int, Decimal]:
    """The targets of the parts not locked (by node id): the node's target less the locked
    parts' typed targets, split equally, by the typed basis, by last period's or the same
    period last year's actuals, or by the imported forecast. Nothing is saved: the page
    shows them to review and save."""
    parts = seen.tree.children_of(seen.node)
    typed = _typed_rows(seen, rows)
    locked_total = Decimal(0)
    errors: dict[str, Any] = {}
    for part in parts:
        if typed[part.id].locked:
            try:
                locked_total += amount(typed[part.id].target, f"target|{part.id}")
            except ServiceError as refused:
                errors[refused.field] = refused.message
    if errors:
        raise RowsRefused(errors)
    rest = seen.node.target - locked_total
    if rest < 0:
        raise ServiceError(
            _l(
                "The locked parts add up to %(locked)s, more than the target %(total)s.",
                locked=plain(locked_total),
                total=plain(seen.node.target),
            ),
            "total",
        )
    open_parts = [part for part in parts if not typed[part.id].locked]
    basis = _basis(session, seen, method, open_parts, typed)
    try:
        return split_exact(rest, [part.id for part in open_parts], basis)
    except SplitRefused as refused:
        if refused.code == "no_basis":
            raise ServiceError(NO_BASIS[method], "method") from None
        if refused.code == "no_members" and rest:
            raise ServiceError(
                _l(
                    "Every part is locked and they add up to %(locked)s, not the target "
                    "%(total)s: unlock one to split the rest.",
                    locked=plain(locked_total),
                    total=plain(seen.node.target),
                ),
                "method",
            ) from None
        if refused.code == "no_members":
            raise ServiceError(
                _l("Every part is locked and they add up to the target: save them."), "method"
            ) from None
        raise ServiceError(_l("Basis values cannot be negative."), "method") from None


def save_split(
    session: Session,
    seen: Seen,
    parent_version: int | None,
    rows: Iterable[Row],
    user_id: int | None,
) -> int:
    """Save the parts' targets and locks, all or nothing: each a number in cents, together
    equal to the node's target to the cent; a part or the node someone else changed since
    the page was opened is a conflict. Returns how many parts changed."""
    expect_version(seen.node, parent_version)
    typed = _typed_rows(seen, rows)
    parts = seen.tree.children_of(seen.node)
    errors: dict[str, Any] = {}
    targets: dict[int, Decimal] = {}
    for part in parts:
        try:
            targets[part.id] = amount(typed[part.id].target, f"target|{part.id}")
        except ServiceError as refused:
            errors[refused.field] = refused.message
    if errors:
        raise RowsRefused(errors)
    stale = [part for part in parts if typed[part.id].version not in (None, part.version)]
    if stale:
        raise EditConflict(stale)
    if not sum_matches(seen.node.target, list(targets.values())):
        total = sum(targets.values(), Decimal(0))
        message = _l(
            "The parts add up to %(sum)s, not the target %(total)s (a difference of "
            "%(difference)s); nothing was saved.",
            sum=plain(total),
            total=plain(seen.node.target),
            difference=plain(seen.node.target - total),
        )
        raise RowsRefused({"total": message}, message)
    before = _split_fields(parts)
    changed = 0
    for part in parts:
        if part.target != targets[part.id] or part.locked != typed[part.id].locked:
            part.target, part.locked = targets[part.id], typed[part.id].locked
            part.updated_by_id = user_id
            changed += 1
    audit.record(
        session,
        seen.goal.organization_id,
        user_id,
        "goal.split_saved",
        "goal_node",
        seen.node.id,
        goal=seen.goal.key,
        changed=changed,
        changes=audit.changes(before, _split_fields(parts)),
    )
    return changed


def _split_fields(parts: list[GoalNode]) -> dict[str, Any]:
    """What a split edits, by part: its target (`"12"`) and whether it is locked
    (`"12.locked"`), which keeps the target through the next split."""
    fields: dict[str, Any] = {}
    for part in parts:
        fields[f"{part.id}"] = part.target
        fields[f"{part.id}.locked"] = part.locked
    return fields


# -- adding and removing parts -------------------------------------------------------------------


@dataclass(frozen=True)
class PartScope:
    """Where a node's new parts and their leads may come from. HR: the whole organization
    (`departments` None). A manager: the department of the node being split (its nearest
    on the path up) and those below it; its people may be parts, only the ones below it
    may be departments."""

    departments: frozenset[int] | None
    own: int | None = None

    def has_department(self, department_id: int) -> bool:
        return department_id != self.own and (
            self.departments is None or department_id in self.departments
        )

    def has_person(self, person: Employee) -> bool:
        return self.departments is None or person.department_id in self.departments


def part_scope(session: Session, seen: Seen, viewer: GoalViewer) -> PartScope:
    if viewer.is_hr:
        return PartScope(None)
    path = seen.tree.path(seen.node)
    own = next((n.department_id for n in reversed(path) if n.department_id), None)
    if own is None:
        return PartScope(frozenset())
    children = department_children(session, seen.goal.organization_id)
    return PartScope(frozenset(below(children, [own])), own)


@dataclass(frozen=True)
class PartPickers:
    departments: list[tuple[int, str]]
    employees: list[tuple[int, str]]  # the people, and the leads, that may be chosen
    capped: bool  # more matched than are listed: search to narrow
    limit: int = PICKER_LIMIT


def part_pickers(
    session: Session,
    seen: Seen,
    viewer: GoalViewer,
    search: str = "",
    keep_departments: Iterable[int | None] = (),
    keep_people: Iterable[int | None] = (),
) -> PartPickers:
    """The pickers of a node's new part: what the viewer may choose (`part_scope`) matching
    `search`, at most PICKER_LIMIT each, plus the in-scope ones kept (what was chosen,
    shown again when the form is refused)."""
    org_id = seen.goal.organization_id
    scope = part_scope(session, seen, viewer)
    search = " ".join(search.split())[:100].lower()
    allowed = [d for d in department_choices(session, org_id) if scope.has_department(d[0])]
    departments = [d for d in allowed if search in d[1].lower()]
    employees = employee_choices(
        session, org_id, departments=scope.departments, search=search, limit=PICKER_LIMIT + 1
    )
    capped = len(employees) > PICKER_LIMIT or len(departments) > PICKER_LIMIT
    employees, departments = employees[:PICKER_LIMIT], departments[:PICKER_LIMIT]
    departments += [d for d in allowed if d[0] in set(keep_departments) and d not in departments]
    kept_people = {id_ for id_ in keep_people if id_} - {id_ for id_, _label in employees}
    if kept_people:
        employees += employee_choices(
            session, org_id, departments=scope.departments, ids=kept_people
        )
    return PartPickers(departments, employees, capped)


def add_part(
    session: Session,
    seen: Seen,
    viewer: GoalViewer,
    department_id: int | None,
    employee_id: int | None,
    lead_id: int | None,
) -> GoalNode:
    """A department (with the manager who splits it) or a person under the node, target 0;
    only from the viewer's `part_scope` (a manager's region), whatever the page offered."""
    org_id, user_id = seen.goal.organization_id, viewer.user_id
    scope = part_scope(session, seen, viewer)
    if seen.node.employee_id is not None:
        raise ServiceError(_l("A person's own target has no parts."))
    if bool(department_id) == bool(employee_id):
        raise ServiceError(_l("Choose a department or a person (one of them)."), "department_id")
    if department_id:
        department = get_in_org(session, Department, org_id, department_id)
        if department is None or not department.active:
            raise ServiceError(_l("Choose a department of this organization."), "department_id")
        if not scope.has_department(department_id):
            raise ServiceError(
                _l("Choose a department below the one being split."), "department_id"
            )
    for field, chosen in (("employee_id", employee_id), ("lead_id", lead_id)):
        if not chosen:
            continue
        person = get_in_org(session, Employee, org_id, chosen)
        if person is None or person.status != EmployeeStatus.ACTIVE.value:
            raise ServiceError(_l("Choose an active employee."), field)
        if not scope.has_person(person):
            raise ServiceError(_l("Choose someone below the department being split."), field)
    for node in seen.tree.nodes.values():
        if (department_id and node.department_id == department_id) or (
            employee_id and node.employee_id == employee_id
        ):
            field = "department_id" if department_id else "employee_id"
            raise ServiceError(_l("Already has a place in this goal's tree."), field)
    part = GoalNode(
        organization_id=org_id,
        goal_id=seen.goal.id,
        parent_id=seen.node.id,
        department_id=department_id or None,
        employee_id=employee_id or None,
        lead_id=(lead_id or None) if department_id else None,
        target=Decimal(0),
        updated_by_id=user_id,
    )
    session.add(part)
    session.flush()
    audit.record(
        session, org_id, user_id, "goal.part_added", "goal_node", part.id, parent=seen.node.id
    )
    return part


def remove_part(
    session: Session, seen: Seen, part_id: int, version: int | None, user_id: int | None
) -> None:
    """Take a part without parts of its own out, once its target is 0 (so its parent still
    adds up)."""
    part = next((p for p in seen.tree.children_of(seen.node) if p.id == part_id), None)
    if part is None:
        raise EditConflict(seen.node, _l("This part was removed meanwhile."))
    expect_version(part, version)
    if seen.tree.children_of(part):
        raise ServiceError(_l("Remove its own parts first."))
    if part.target:
        raise ServiceError(_l("Split its target to the other parts first (set it to 0 and save)."))
    session.delete(part)
    audit.record(
        session,
        seen.goal.organization_id,
        user_id,
        "goal.part_removed",
        "goal_node",
        part.id,
        parent=seen.node.id,
    )


# -- forecasts from a file -----------------------------------------------------------------------

PART_COLUMNS = (
    "employee_number",
    "number",
    "工号",
    "员工编号",
    "code",
    "department",
    "部门",
    "部门编码",
    "编号",
)
FORECAST_COLUMNS = ("forecast", "预测", "预测值", "预测销售额")


def _column(header: list[str], names: Iterable[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def import_forecast(session: Session, seen: Seen, table: Table, user_id: int | None) -> int:
    """Each part's forecast from a file with a column naming the part (employee number, or
    department code or name) and a `forecast` (预测) column; all or nothing."""
    who, value = _column(table.header, PART_COLUMNS), _column(table.header, FORECAST_COLUMNS)
    if who is None or value is None:
        raise ServiceError(
            _l(
                "The file needs a column naming the part (工号 / employee_number, or 部门 / "
                "department) and one named forecast (预测)."
            ),
            "file",
        )
    parts: dict[str, GoalNode] = {}
    for part in seen.tree.children_of(seen.node):
        if part.employee is not None:
            parts[part.employee.number.strip().lower()] = part
        if part.department is not None:
            for name in (part.department.code, part.department.name):
                if name:
                    parts[name.strip().lower()] = part
    problems, found = [], {}
    for number, row in enumerate(table.rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        part = parts.get(row[who].strip().lower())
        if part is None:
            problems.append(
                _l("row %(row)d: %(name)s is not a part of this node", row=number, name=row[who])
            )
            continue
        try:
            found[part.id] = amount(row[value], "file")
        except ServiceError as refused:
            problems.append(_l("row %(row)d: %(problem)s", row=number, problem=refused.message))
    if problems:
        raise ServiceError("; ".join(str(p) for p in problems[:10]), "file")
    for part in seen.tree.children_of(seen.node):
        if part.id in found:
            part.forecast, part.updated_by_id = found[part.id], user_id
    audit.record(
        session,
        seen.goal.organization_id,
        user_id,
        "goal.forecast_imported",
        "goal_node",
        seen.node.id,
        rows=len(found),
    )
    return len(found)


# -- cycle targets from the leaves --------------------------------------------------------------


@dataclass(frozen=True)
class Filled:
    changed: int  # targets written
    kept: int  # people whose goals are confirmed: their targets stay
    outside: int  # leaves without an appraisal in the cycle


def fill_cycle_targets(
    session: Session, cycle: Cycle, goal_ids: list[int], viewer: Viewer
) -> Filled:
    """Each person's target for the chosen goals' items, from their leaf; people whose goals
    are confirmed keep theirs (as the team split does). The goals' period must be the cycle's."""
    if not goal_ids:
        raise ServiceError(_l("Choose at least one goal."), "goal_ids")
    item_keys = {f.key for f in figures.cycle_target_fields(cycle)}
    appraisals = {a.employee_id: a for a in figures.cycle_appraisals(session, cycle)}
    entries, kept, outside = [], 0, 0
    for goal_id in goal_ids:
        goal = get_in_org(session, Goal, cycle.organization_id, goal_id)
        if goal is None:
            raise ServiceError(_l("Choose at least one goal."), "goal_ids")
        if (goal.starts_on, goal.ends_on) != (cycle.starts_on, cycle.ends_on):
            raise ServiceError(
                _l("%(goal)s is for another period than the cycle.", goal=goal.name), "goal_ids"
            )
        if goal.key not in item_keys:
            raise ServiceError(
                _l(
                    "%(goal)s: the cycle's template has no per-person target %(key)s.",
                    goal=goal.name,
                    key=goal.key,
                ),
                "goal_ids",
            )
        for node in load_tree(session, goal).nodes.values():
            if node.employee_id is None:
                continue
            appraisal = appraisals.get(node.employee_id)
            if appraisal is None:
                outside += 1
            elif appraisal.state != AppraisalState.GOAL_SETTING:
                kept += 1
            else:
                entries.append(
                    figures.Entry(appraisal.employee.number, goal.key, plain(node.target))
                )
    changed = figures.set_targets(session, cycle, entries, viewer) if entries else 0
    audit.record(
        session,
        cycle.organization_id,
        viewer.user_id,
        "goal.targets_filled",
        "cycle",
        cycle.id,
        goals=goal_ids,
        changed=changed,
    )
    return Filled(changed, kept, outside)


def fill_choices(
    session: Session, org_id: int
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Running or planned cycles, and goals, for the fill form."""
    cycles = session.scalars(
        select(Cycle)
        .where(Cycle.organization_id == org_id, Cycle.closed_at.is_(None))
        .order_by(Cycle.starts_on.desc())
    )
    goals = session.scalars(
        select(Goal).where(Goal.organization_id == org_id).order_by(Goal.starts_on.desc(), Goal.key)
    )
    return (
        [(c.id, c.name) for c in cycles],
        [(g.id, f"{g.name} ({g.starts_on} – {g.ends_on})") for g in goals],
    )
