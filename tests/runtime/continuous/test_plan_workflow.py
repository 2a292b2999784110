"""The work plan's state machine, pure: every move from every state by every side, allowed
exactly where `PLAN_TRANSITIONS` says, refused with its reason elsewhere."""

from __future__ import annotations

import pytest

from appraisal.runtime import workflow
from appraisal.states import PlanState

S = PlanState
#: (action, from, relations) → to: the only moves there are.
ALLOWED = {
    ("propose", S.DRAFT, "employee"): S.PROPOSED,
    ("propose", S.DRAFT, "manager"): S.PROPOSED,
    ("propose", S.RETURNED, "employee"): S.PROPOSED,
    ("propose", S.RETURNED, "manager"): S.PROPOSED,
    ("return", S.PROPOSED, "counterpart"): S.RETURNED,
    ("agree", S.PROPOSED, "counterpart"): S.AGREED,
    ("self_assess", S.AGREED, "employee"): S.SELF_ASSESSED,
    ("manager_rate", S.SELF_ASSESSED, "manager"): S.CLOSED,
}
ACTIONS = ["propose", "return", "agree", "self_assess", "manager_rate"]
SIDES = {
    "employee": {"employee"},
    "manager": {"manager"},
    "counterpart": {"counterpart"},
    "hr": {"hr"},
    "nobody": set(),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("side", SIDES)
def test_every_move_is_allowed_only_where_the_table_says(action, state, side):
    expected = ALLOWED.get((action, state, side))
    if expected is not None:
        assert workflow.next_plan_state(state, action, SIDES[side]) == expected
        assert action in workflow.plan_actions(state, SIDES[side])
        return
    with pytest.raises(workflow.WorkflowRefused) as refused:
        workflow.next_plan_state(state, action, SIDES[side])
    may = any(a == action and r == side for a, _s, r in ALLOWED)
    assert refused.value.code == ("wrong_state" if may else "not_allowed")
    assert action not in workflow.plan_actions(state, SIDES[side])


def test_an_unknown_move_is_refused():
    with pytest.raises(workflow.WorkflowRefused) as refused:
        workflow.next_plan_state(S.DRAFT, "publish", {"employee"})
    assert refused.value.code == "unknown_action"


@pytest.mark.parametrize(
    ("sides", "proposed_by", "expected"),
    [
        ({"employee"}, None, {"employee"}),
        ({"employee"}, "employee", {"employee"}),  # the proposer cannot agree with themselves
        ({"employee"}, "manager", {"employee", "counterpart"}),
        ({"manager"}, "employee", {"manager", "counterpart"}),
        ({"manager"}, "manager", {"manager"}),
        (set(), "employee", set()),  # HR or a colleague takes no side
    ],
)
def test_only_the_other_side_of_a_proposal_answers_it(sides, proposed_by, expected):
    assert workflow.plan_relations(sides, proposed_by) == expected
