"""A goal's tree as read from the database, and the pure rules on it: who sees and who
splits which node, and how attainment rolls up. No queries here: services load the nodes
and the figures and pass them in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

TENTH = Decimal("0.1")


class Node(Protocol):
    """What the rules read of a node: a `GoalNode` being split, or the lean row the pages
    read (ten thousand ORM objects per goal type cost seconds)."""

    @property
    def id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def department_id(self) -> int | None: ...
    @property
    def employee_id(self) -> int | None: ...
    @property
    def lead_id(self) -> int | None: ...
    @property
    def target(self) -> Decimal: ...


@dataclass(frozen=True)
class GoalViewer:
    """The signed-in person as the cascade sees them: HR edits everything; a manager splits
    below the nodes they lead; everyone sees their own leaf and the path above it."""

    org_id: int
    user_id: int | None
    employee_id: int | None
    is_hr: bool
    is_manager: bool


class Branches:
    """Some nodes of one goal, each with everything below it (a person's page reads only
    their own leaf and the nodes they lead), each node's children in a stable order."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = {node.id: node for node in nodes}
        self.children: dict[int | None, list[Node]] = {}
        for node in sorted(self.nodes.values(), key=lambda n: n.id):
            self.children.setdefault(node.parent_id, []).append(node)

    @property
    def tops(self) -> list[Node]:
        """The nodes whose parent is not among them: the root of a whole tree."""
        return [
            node
            for parent, nodes in self.children.items()
            if parent not in self.nodes
            for node in nodes
        ]

    def children_of(self, node: Node) -> list[Node]:
        return self.children.get(node.id, [])

    def subtree(self, node: Node) -> list[Node]:
        """`node` and everything below it, depth first (the order the tree page shows)."""
        found, stack = [], [node]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(reversed(self.children_of(current)))
        return found


class Tree(Branches):
    """The nodes of one goal, from its root (the company)."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        super().__init__(nodes)
        self.root = self.children[None][0]

    def path(self, node: Node) -> list[Node]:
        """The root, then every node down to `node` itself."""
        found: list[Node] = []
        seen: set[int] = set()  # by id: a cycle in the data ends the walk
        current: Node | None = node
        while current is not None and current.id not in seen:
            found.append(current)
            seen.add(current.id)
            current = self.nodes.get(current.parent_id) if current.parent_id else None
        return found[::-1]

    def depth(self, node: Node) -> int:
        return len(self.path(node)) - 1

    def children_total(self, node: Node) -> Decimal:
        return sum((child.target for child in self.children_of(node)), Decimal(0))

    def adds_up(self, node: Node) -> bool:
        """A node without parts, or whose parts add up to it to the cent."""
        children = self.children_of(node)
        return not children or self.children_total(node) == node.target


def leads(viewer: GoalViewer, node: Node) -> bool:
    return (
        viewer.is_manager and viewer.employee_id is not None and node.lead_id == viewer.employee_id
    )


def can_split(tree: Tree, node: Node, viewer: GoalViewer) -> bool:
    """HR splits any node; a manager splits a node they lead or any node below one. A
    person's own leaf is never split."""
    if node.employee_id is not None:
        return False
    return viewer.is_hr or any(leads(viewer, above) for above in tree.path(node))


def visible_ids(tree: Tree, viewer: GoalViewer) -> set[int]:
    """HR: every node. A manager: the subtrees they lead and the path above them. Everyone:
    their own leaf and the path above it, never a colleague's leaf."""
    if viewer.is_hr:
        return set(tree.nodes)
    seen: set[int] = set()
    for node in tree.nodes.values():
        if leads(viewer, node):
            seen |= {n.id for n in tree.subtree(node)} | {n.id for n in tree.path(node)}
        elif viewer.employee_id is not None and node.employee_id == viewer.employee_id:
            seen |= {n.id for n in tree.path(node)}
    return seen


def roll_up(
    tree: Branches, leaf_actual: Callable[[Node], Decimal | None]
) -> dict[int, Decimal | None]:
    """Each node's actual: a leaf's own (`leaf_actual`), a parent's the sum of its parts'
    that have one (None while none has). A node's actual depends only on what is below it,
    so branches read alone roll up as in the whole tree."""
    actual: dict[int, Decimal | None] = {}
    for top in tree.tops:
        for node in reversed(tree.subtree(top)):  # children before their parent
            children = tree.children_of(node)
            if not children:
                actual[node.id] = leaf_actual(node)
                continue
            known = [actual[c.id] for c in children if actual[c.id] is not None]
            actual[node.id] = sum(known, Decimal(0)) if known else None
    return actual


def share(actual: Decimal | None, target: Decimal) -> Decimal | None:
    """Actual as a percentage of the target, unrounded; None without an actual or a target."""
    if actual is None or not target:
        return None
    return actual * 100 / target


def shown(percent: Decimal | None) -> Decimal | None:
    """A percentage as the pages show it: one decimal, half away from zero."""
    return None if percent is None else percent.quantize(TENTH, rounding=ROUND_HALF_UP)


def attainment(actual: Decimal | None, target: Decimal) -> Decimal | None:
    """Actual as a percentage of the target, to one decimal (half away from zero); blank
    without an actual or a target."""
    return shown(share(actual, target))


def weighted_attainment(parts: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    """One node's attainment across the goal types of a period, each counted by its goal's
    weight: Σ weight × attainment / Σ weight over the goals with an attainment (unrounded,
    so rounding happens once), to one decimal. Blank when no goal with a weight has one: a
    goal without figures yet neither counts as 0 nor dilutes the others."""
    known = [(weight, percent) for weight, percent in parts if percent is not None and weight]
    total = sum((weight for weight, _percent in known), Decimal(0))
    if not total:
        return None
    return shown(sum((weight * percent for weight, percent in known), Decimal(0)) / total)
