"""The goal tree's pure rules, without a database: who sees and splits which node, how
actuals roll up, attainment's rounding, and the "parts no longer add up" flag. Every figure
is computed by hand in the comments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisal.goals.tree import (
    Branches,
    GoalViewer,
    Tree,
    attainment,
    can_split,
    roll_up,
    visible_ids,
)
from appraisal.models import GoalNode

BO, ANN, PAT, OLGA, OSCAR, TEAM_LEAD = 100, 101, 102, 200, 201, 300


def goal_tree() -> Tree:
    """Company 100,000 → North 60,000 (led by Bo: Ann 35,000, Pat 25,000, and a team led by
    someone else, 0) and South 40,000 (led by Olga: Oscar 40,000)."""

    def n(id_, parent, target, **owner) -> GoalNode:
        return GoalNode(
            id=id_, parent_id=parent, target=Decimal(target), organization_id=1, **owner
        )

    return Tree(
        [
            n(6, 3, "40000", employee_id=OSCAR),  # out of order on purpose
            n(1, None, "100000"),
            n(2, 1, "60000", department_id=10, lead_id=BO),
            n(3, 1, "40000", department_id=20, lead_id=OLGA),
            n(4, 2, "35000", employee_id=ANN),
            n(5, 2, "25000", employee_id=PAT),
            n(7, 2, "0", department_id=11, lead_id=TEAM_LEAD),
        ]
    )


def viewer(employee_id=None, *, hr=False, manager=False) -> GoalViewer:
    return GoalViewer(1, 1, employee_id, hr, manager)


def test_the_tree_orders_paths_subtrees_and_depths():
    tree = goal_tree()
    assert tree.root.id == 1
    assert [n.id for n in tree.subtree(tree.root)] == [1, 2, 4, 5, 7, 3, 6]  # depth first
    assert [n.id for n in tree.path(tree.nodes[5])] == [1, 2, 5]
    assert [tree.depth(tree.nodes[i]) for i in (1, 2, 5)] == [0, 1, 2]
    assert [n.id for n in tree.children_of(tree.nodes[4])] == []


@pytest.mark.parametrize(
    "who, seen",
    [
        (viewer(hr=True), {1, 2, 3, 4, 5, 6, 7}),
        (viewer(BO, manager=True), {1, 2, 4, 5, 7}),  # North and everything in it
        (viewer(ANN), {1, 2, 4}),  # her leaf and the path above, not Pat's
        (viewer(OSCAR), {1, 3, 6}),
        (viewer(BO), set()),  # leads North on paper, but without the manager role
        (viewer(999, manager=True), set()),  # leads nothing, owns nothing
        (viewer(None, manager=True), set()),  # a manager without an employee record
    ],
)
def test_who_sees_which_nodes(who, seen):
    assert visible_ids(goal_tree(), who) == seen


@pytest.mark.parametrize(
    "who, node_id, allowed",
    [
        (viewer(hr=True), 1, True),
        (viewer(hr=True), 4, False),  # a person's own target is never split
        (viewer(BO, manager=True), 2, True),  # the region he leads
        (viewer(BO, manager=True), 7, True),  # a team below it, led by someone else
        (viewer(BO, manager=True), 1, False),  # the company above him
        (viewer(BO, manager=True), 3, False),  # another region
        (viewer(TEAM_LEAD, manager=True), 7, True),
        (viewer(TEAM_LEAD, manager=True), 2, False),
        (viewer(ANN), 2, False),
    ],
)
def test_who_splits_which_node(who, node_id, allowed):
    tree = goal_tree()
    assert can_split(tree, tree.nodes[node_id], who) is allowed


def test_actuals_roll_up_from_the_leaves_that_have_one():
    tree = goal_tree()
    figures = {4: Decimal("31500.50"), 5: Decimal("20000")}  # Oscar and the team: none yet
    actual = roll_up(tree, lambda node: figures.get(node.id))
    # North = 31,500.50 + 20,000 = 51,500.50 (the team's blank is left out, not a 0);
    # South has no figure at all: blank; the company = North's only.
    assert actual == {
        4: Decimal("31500.50"),
        5: Decimal("20000"),
        7: None,
        2: Decimal("51500.50"),
        6: None,
        3: None,
        1: Decimal("51500.50"),
    }
    # 51,500.50 / 60,000 = 85.8341…% → 85.8; 31,500.50 / 35,000 = 90.0014…% → 90.0;
    # the company: 51,500.50 / 100,000 = 51.5005% → 51.5
    assert attainment(actual[2], tree.nodes[2].target) == Decimal("85.8")
    assert attainment(actual[4], tree.nodes[4].target) == Decimal("90.0")
    assert attainment(actual[1], tree.root.target) == Decimal("51.5")


def test_branches_read_alone_roll_up_as_in_the_whole_tree():
    """A person's page reads only North (which Bo leads) and Oscar's leaf: each node's
    actual is the one the whole tree gives it, since it depends only on what is below."""
    tree = goal_tree()
    figures = {4: Decimal("31500.50"), 5: Decimal("20000"), 6: Decimal("7")}
    whole = roll_up(tree, lambda node: figures.get(node.id))
    branches = Branches(tree.nodes[i] for i in (2, 4, 5, 7, 6))
    assert [n.id for n in branches.tops] == [2, 6]
    assert roll_up(branches, lambda node: figures.get(node.id)) == {
        i: whole[i] for i in (2, 4, 5, 7, 6)
    }


def test_a_leaf_with_an_actual_of_zero_counts_as_zero_not_blank():
    tree = goal_tree()
    actual = roll_up(tree, lambda node: Decimal(0) if node.id == 6 else None)
    assert (actual[3], actual[1], actual[2]) == (Decimal(0), Decimal(0), None)
    assert attainment(actual[3], tree.nodes[3].target) == Decimal("0.0")


@pytest.mark.parametrize(
    "actual, target, shown",
    [
        ("1.25", "100", "1.3"),  # half away from zero, not to even (1.2)
        ("1.35", "100", "1.4"),
        ("2", "3", "66.7"),  # 66.666…
        ("1", "3", "33.3"),  # 33.333…
        ("120000", "100000", "120.0"),  # over-achievement is not capped
        ("5", "0", None),  # no target: no attainment
        (None, "100", None),  # no actual: blank, never 0 %
    ],
)
def test_attainment_to_one_decimal(actual, target, shown):
    result = attainment(Decimal(actual) if actual else None, Decimal(target))
    assert result == (Decimal(shown) if shown else None)


def test_a_parent_whose_parts_no_longer_add_up_is_flagged_to_the_cent():
    tree = goal_tree()
    # 35,000 + 25,000 + 0 = 60,000 and 60,000 + 40,000 = 100,000: everything adds up
    assert all(tree.adds_up(node) for node in tree.nodes.values())
    tree.nodes[5].target = Decimal("24999.99")  # one cent short below North
    assert tree.children_total(tree.nodes[2]) == Decimal("59999.99")
    assert not tree.adds_up(tree.nodes[2])
    assert tree.adds_up(tree.root)  # the company's own parts still add up
    tree.root.target = Decimal("100000.01")  # HR raised the company target by a cent
    assert not tree.adds_up(tree.root)
    assert tree.adds_up(tree.nodes[4])  # a leaf has no parts to disagree with
