"""What the goal pages read: each node's actual and attainment from the period's figures,
and each place's weighted attainment across the period's goal types, for a goal's tree and
"My goals". Lean rows (ids, owners, targets), never ORM nodes: at 10,000 employees a page
that loaded every tree of the period and every appraisal of its cycles as objects took
5-10 s. A person's "My goals" reads only its branches (their own leaf, the nodes they lead,
everything below those) and those people's figures, whatever the size of the company; a
goal's tree reads the period's trees whole, once each, and names only the rows it shows.
Services take a Session and never commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session, aliased

from ..db import in_chunks
from ..models import Cycle, Department, Employee, Goal, GoalNode
from ..paging import Page, paginate_list
from ..people.services import below, department_children
from ..runtime.cycles import figures
from .tree import (
    Branches,
    GoalViewer,
    Node,
    Tree,
    attainment,
    can_split,
    roll_up,
    share,
    visible_ids,
    weighted_attainment,
)

#: What the pages read of a node (`tree.Node`, and `locked` for the tree page's badge).
NODE_COLUMNS = (
    GoalNode.id,
    GoalNode.goal_id,
    GoalNode.parent_id,
    GoalNode.department_id,
    GoalNode.employee_id,
    GoalNode.lead_id,
    GoalNode.target,
    GoalNode.locked,
)

Period = tuple[date, date]
Owner = tuple[int | None, int | None]


def owner(node: Node) -> Owner:
    """Who a node is across the goals of a period: the company (None, None), a department
    or a person (each appears once per goal)."""
    return (node.department_id, node.employee_id)


def _owned_by(owners: Iterable[Owner]) -> ColumnElement[bool]:
    """The nodes of these owners (a department's, a person's, the company's: the root),
    each term one an index answers."""
    owners = set(owners)
    departments = [d for d, _e in owners if d is not None]
    people = [e for _d, e in owners if e is not None]
    clauses = []
    if departments:
        clauses.append(GoalNode.department_id.in_(departments))
    if people:
        clauses.append(GoalNode.employee_id.in_(people))
    if (None, None) in owners:
        clauses.append(GoalNode.parent_id.is_(None))
    return or_(*clauses) if clauses else false()


# -- reading: cycles, goals, nodes, people ------------------------------------------------------


def period_cycles(session: Session, org_id: int, starts_on: date, ends_on: date) -> list[Cycle]:
    """The launched cycles inside a period, whose figures count towards its goals."""
    return _cycles_of_periods(session, org_id, [(starts_on, ends_on)])[starts_on, ends_on]


def _cycles_of_periods(
    session: Session, org_id: int, periods: Sequence[Period]
) -> dict[Period, list[Cycle]]:
    """`period_cycles` of each period, in one statement."""
    launched = list(
        session.scalars(
            select(Cycle).where(
                Cycle.organization_id == org_id,
                Cycle.launched_at.is_not(None),
                Cycle.starts_on >= min(s for s, _e in periods),
                Cycle.ends_on <= max(e for _s, e in periods),
            )
        )
    )
    return {
        (s, e): [c for c in launched if c.starts_on >= s and c.ends_on <= e] for s, e in periods
    }


def _goals_of_periods(
    session: Session, org_id: int, periods: Sequence[Period]
) -> dict[Period, list[Goal]]:
    """Every goal type of each period (same start and end), in one statement."""
    found: dict[Period, list[Goal]] = {period: [] for period in periods}
    goals = session.scalars(
        select(Goal)
        .where(
            Goal.organization_id == org_id,
            or_(*(and_(Goal.starts_on == s, Goal.ends_on == e) for s, e in periods)),
        )
        .order_by(Goal.id)
    )
    for goal in goals:
        found[goal.starts_on, goal.ends_on].append(goal)
    return found


def _nodes(session: Session, where: ColumnElement[bool]) -> list[Any]:
    return list(session.execute(select(*NODE_COLUMNS).where(where).order_by(GoalNode.id)))


def _branches(session: Session, goal_ids: list[int], tops: ColumnElement[bool]) -> list[Any]:
    """The nodes of these goals matching `tops` and everything below them, in one
    statement (a recursive CTE, each node once however the branches nest)."""
    found = (
        select(*NODE_COLUMNS)
        .where(GoalNode.goal_id.in_(goal_ids), tops)
        .cte("branches", recursive=True)
    )
    found = found.union(
        select(*NODE_COLUMNS).join(found, GoalNode.parent_id == found.c.id),
    )
    return list(session.execute(select(found).order_by(found.c.id)))


def people_of_departments(
    session: Session, org_id: int, departments: Iterable[int] | None = None
) -> dict[int, set[int]]:
    """Each department's employees, its sub-departments' included: of `departments` only
    when given (a person's page reads their branches' people, not the company's)."""
    children = department_children(session, org_id)
    query = select(Employee.id, Employee.department_id).where(
        Employee.organization_id == org_id, Employee.department_id.is_not(None)
    )
    if departments is None:
        rows = list(session.execute(query))
    else:
        departments = set(departments)
        covered = sorted(below(children, departments))
        rows = [
            row
            for chunk in in_chunks(covered)
            for row in session.execute(query.where(Employee.department_id.in_(chunk)))
        ]
    direct: dict[int, set[int]] = {}
    for employee_id, department_id in rows:
        direct.setdefault(department_id, set()).add(employee_id)
    if departments is None:
        departments = {d for d in children if d is not None} | set(direct)
    return {
        d: set().union(*(direct.get(sub, set()) for sub in below(children, [d])))
        for d in departments
    }


# -- actuals -----------------------------------------------------------------------------------


def leaf_actual(
    by_employee: dict[int, Decimal], people: dict[int, set[int]]
) -> Callable[[Node], Decimal | None]:
    """A leaf's actual from employees' figures: a person's own, a department's people's
    (sub-departments included); blank when none has one."""

    def leaf(node: Node) -> Decimal | None:
        if node.employee_id is not None:
            return by_employee.get(node.employee_id)
        covered = people.get(node.department_id, set()) if node.department_id else set()
        known = [by_employee[e] for e in covered if e in by_employee]
        return sum(known, Decimal(0)) if known else None

    return leaf


def _department_leaves(trees: Iterable[Branches]) -> set[int]:
    return {
        node.department_id
        for tree in trees
        for node in tree.nodes.values()
        if node.department_id is not None and not tree.children_of(node)
    }


def _readers(tree: Branches, people: dict[int, set[int]]) -> set[int] | None:
    """Whose figures the leaves of `tree` read; None (everyone's) for a whole tree."""
    if any(node.parent_id is None for node in tree.nodes.values()):
        return None
    found: set[int] = set()
    for node in tree.nodes.values():
        if node.employee_id is not None:
            found.add(node.employee_id)
        elif node.department_id is not None and not tree.children_of(node):
            found |= people.get(node.department_id, set())
    return found


@dataclass(frozen=True)
class PeriodGoal:
    """One goal of a period with the nodes read of its tree and each one's actual."""

    goal: Goal
    tree: Branches
    actual: dict[int, Decimal | None]


def _with_actuals(
    session: Session,
    org_id: int,
    trees: list[tuple[Goal, Branches]],
    cycles: dict[Period, list[Cycle]],
) -> list[PeriodGoal]:
    """Each goal's nodes with their actuals: the figures of the people its nodes cover, read
    once for every goal type of a period that covers the same people (HR's whole trees:
    one read a period, not one a goal type)."""
    departments = _department_leaves(tree for _goal, tree in trees)
    people = people_of_departments(session, org_id, departments) if departments else {}
    groups = [
        ((goal.starts_on, goal.ends_on), _frozen(_readers(tree, people))) for goal, tree in trees
    ]
    keys: dict[tuple[Period, frozenset[int] | None], set[str]] = {}
    for (goal, _tree), group in zip(trees, groups, strict=True):
        keys.setdefault(group, set()).add(goal.key)
    read = {
        group: figures.figures_by_key(session, cycles[group[0]], sorted(names), group[1])
        for group, names in keys.items()
    }
    found = []
    for (goal, tree), group in zip(trees, groups, strict=True):
        by_employee = read[group][goal.key]
        found.append(PeriodGoal(goal, tree, roll_up(tree, leaf_actual(by_employee, people))))
    return found


def _frozen(ids: set[int] | None) -> frozenset[int] | None:
    return None if ids is None else frozenset(ids)


def weighted_by_owner(
    goals: list[PeriodGoal],
    owners: set[Owner] | None = None,
    counted: Mapping[int, AbstractSet[int]] | None = None,
) -> dict[Owner, Decimal | None]:
    """Each node owner's weighted attainment across the period's goals it appears in (of
    `owners` only, when given). With `counted` (goal id → node ids) a goal counts for an
    owner only where the viewer sees that owner's node in it: a figure that mixed in a
    goal's tree the viewer may not see would give that attainment away by arithmetic."""
    parts: dict[Owner, list[tuple[Decimal, Decimal | None]]] = {}
    for item in goals:
        seen = None if counted is None else counted.get(item.goal.id, frozenset())
        for node in item.tree.nodes.values():
            who = owner(node)
            if (owners is None or who in owners) and (seen is None or node.id in seen):
                parts.setdefault(who, []).append(
                    (item.goal.weight, share(item.actual[node.id], node.target))
                )
    return {who: weighted_attainment(pairs) for who, pairs in parts.items()}


# -- a goal's tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    node: Any  # a lean row (`NODE_COLUMNS`)
    names: Any  # number, name (a person's), department, lead: what the line shows
    depth: int
    actual: Decimal | None
    attainment: Decimal | None
    adds_up: bool
    children_total: Decimal
    can_split: bool
    weighted: Decimal | None = None  # across the period's goal types, by their weights


def _names(session: Session, goal_id: int, node_ids: list[int] | None) -> dict[int, Any]:
    """What the shown nodes are called (all of the goal's when `node_ids` is None)."""
    lead = aliased(Employee)
    query = (
        select(
            GoalNode.id,
            Employee.number,
            Employee.name,
            Department.name.label("department"),
            lead.name.label("lead"),
        )
        .outerjoin(Employee, Employee.id == GoalNode.employee_id)
        .outerjoin(Department, Department.id == GoalNode.department_id)
        .outerjoin(lead, lead.id == GoalNode.lead_id)
        .where(GoalNode.goal_id == goal_id)
    )
    if node_ids is None:
        return {row.id: row for row in session.execute(query)}
    return {
        row.id: row
        for chunk in in_chunks(node_ids)
        for row in session.execute(query.where(GoalNode.id.in_(chunk)))
    }


#: Lines of a page of a goal's tree: a company-wide goal has a line per person.
TREE_LINES = 200


def tree_lines(
    session: Session, goal: Goal, viewer: GoalViewer, page: int = 1
) -> Page[Line] | None:
    """A page of the nodes of `goal` the viewer sees, depth first, with attainment from the
    period's figures and each node's weighted attainment across the period's goal types
    (None: they see none, a 404). Reads the period's trees whole, lean (the company's line
    adds up everyone); names and lines are made for the page's nodes only: HR's tree of a
    10,000-person goal was one 6 MB page."""
    period = (goal.starts_on, goal.ends_on)
    goals = _goals_of_periods(session, viewer.org_id, [period])[period]
    rows = _nodes(session, GoalNode.goal_id.in_([g.id for g in goals]))
    by_goal: dict[int, list[Any]] = {}
    for row in rows:
        by_goal.setdefault(row.goal_id, []).append(row)
    tree = Tree(by_goal[goal.id])
    visible = visible_ids(tree, viewer)
    if not visible:
        return None
    trees = [(g, tree if g.id == goal.id else Tree(by_goal[g.id])) for g in goals]
    period_goals = _with_actuals(
        session, viewer.org_id, trees, _cycles_of_periods(session, viewer.org_id, [period])
    )
    actual = next(item.actual for item in period_goals if item.goal.id == goal.id)
    found = paginate_list(
        [node for node in tree.subtree(tree.root) if node.id in visible], page, TREE_LINES
    )
    shown = found.items
    seen = {g.id: visible if g.id == goal.id else visible_ids(t, viewer) for g, t in trees}
    weighted = weighted_by_owner(period_goals, {owner(node) for node in shown}, seen)
    names = _names(
        session, goal.id, None if len(shown) == len(tree.nodes) else [n.id for n in shown]
    )
    lines = [
        Line(
            node,
            names[node.id],
            tree.depth(node),
            actual[node.id],
            attainment(actual[node.id], node.target),
            tree.adds_up(node),
            tree.children_total(node),
            can_split(tree, node, viewer),
            weighted[owner(node)],
        )
        for node in shown
    ]
    return Page(lines, found.page, found.per_page, found.total)


# -- "My goals" ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mine:
    """A node of the viewer's on the "My goals" page: its weighted attainment in a period."""

    starts_on: date
    ends_on: date
    department: str | None  # its name, for a department's node
    yours: bool  # the viewer's own leaf
    weighted: Decimal | None
    goals: int  # how many of the period's goal types it appears in


#: Periods whose weighted attainment "My goals" shows, newest first: each reads its figures.
MINE_PERIODS = 4


def led_or_owned(viewer: GoalViewer) -> ColumnElement[bool]:
    """SQL over `GoalNode`: the viewer's own leaf and the nodes they lead (`tree.leads`: only
    while they are a manager)."""
    if viewer.employee_id is None:
        return false()
    clauses = [GoalNode.employee_id == viewer.employee_id]
    if viewer.is_manager:
        clauses.append(GoalNode.lead_id == viewer.employee_id)
    return or_(*clauses)


def _is_mine(viewer: GoalViewer) -> ColumnElement[bool]:
    """The viewer's own leaf, the nodes they lead and (HR) the company's."""
    if viewer.is_hr:
        return or_(GoalNode.parent_id.is_(None), led_or_owned(viewer))
    return led_or_owned(viewer)


def my_attainment(session: Session, viewer: GoalViewer, goals: list[Goal]) -> list[Mine]:
    """The viewer's own leaf, the nodes they lead (and the company, for HR) in the newest
    periods of `goals`, each with its weighted attainment across the period's goal types.
    Reads only those places' branches in every goal of the periods, and the figures of
    the people in them: an employee's page costs the same in a company of any size."""
    periods = sorted({(g.starts_on, g.ends_on) for g in goals}, reverse=True)[:MINE_PERIODS]
    if not periods or (viewer.employee_id is None and not viewer.is_hr):
        return []
    by_period = _goals_of_periods(session, viewer.org_id, periods)
    goal_ids = [g.id for found in by_period.values() for g in found]
    mine = _nodes(session, GoalNode.goal_id.in_(goal_ids) & _is_mine(viewer))
    owners = {owner(node) for node in mine}
    if not owners:
        return []
    by_goal: dict[int, list[Any]] = {}
    for row in _branches(session, goal_ids, _owned_by(owners)):
        by_goal.setdefault(row.goal_id, []).append(row)
    read = _with_actuals(
        session,
        viewer.org_id,
        [(g, Branches(by_goal.get(g.id, []))) for found in by_period.values() for g in found],
        _cycles_of_periods(session, viewer.org_id, periods),
    )
    places: dict[int, set[int]] = {}  # per goal, the viewer's own places in it
    for node in mine:
        places.setdefault(node.goal_id, set()).add(node.id)
    weighted = {
        period: weighted_by_owner(
            [item for item in read if (item.goal.starts_on, item.goal.ends_on) == period],
            owners,
            places,
        )
        for period in periods
    }
    department_names = _department_names(session, [d for d, _e in owners if d is not None])
    period_of = {g.id: (g.starts_on, g.ends_on) for found in by_period.values() for g in found}
    counted: dict[tuple[Period, Owner], int] = {}
    for node in sorted(mine, key=lambda n: (n.goal_id, n.id)):
        key = (period_of[node.goal_id], owner(node))
        counted[key] = counted.get(key, 0) + 1
    return [
        Mine(
            starts_on,
            ends_on,
            department_names.get(department) if department is not None else None,
            employee is not None,
            weighted[starts_on, ends_on][department, employee],
            count,
        )
        for period in periods
        for ((starts_on, ends_on), (department, employee)), count in counted.items()
        if (starts_on, ends_on) == period
    ]


def _department_names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(Department.id, Department.name).where(Department.id.in_(ids))
    return {id_: name for id_, name in session.execute(query)}
