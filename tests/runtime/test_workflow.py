"""The appraisal state machine on its own: every move, every actor, every refusal."""

from __future__ import annotations

import pytest

from appraisal.runtime import workflow
from appraisal.runtime.workflow import WorkflowRefused, allowed_actions, next_state
from appraisal.states import CycleState

EVERYONE = ("employee", "manager", "hr", "reviewer")
MOVES = [
    ("confirm_goals", "goal_setting", "self_review", {"employee"}),
    ("submit_self", "self_review", "manager_review", {"employee"}),
    ("submit_manager", "manager_review", "calibration", {"manager"}),
    ("publish", "calibration", "published", {"hr"}),
    ("acknowledge", "published", "acknowledged", {"employee"}),
]


@pytest.mark.parametrize(("action", "source", "target", "actors"), MOVES)
@pytest.mark.parametrize("actor", EVERYONE)
def test_each_move_belongs_to_its_actors(action, source, target, actors, actor):
    if actor in actors:
        assert next_state(source, action, {actor}) == target
        assert action in allowed_actions(source, {actor})
    else:
        with pytest.raises(WorkflowRefused) as refused:
            next_state(source, action, {actor})
        assert refused.value.code == "not_allowed"
        assert action not in allowed_actions(source, {actor})


@pytest.mark.parametrize(("action", "source", "target", "actors"), MOVES)
def test_a_move_from_any_other_state_is_refused(action, source, target, actors):
    for state in workflow.STATES:
        if state == source:
            continue
        with pytest.raises(WorkflowRefused) as refused:
            next_state(state, action, actors)
        assert refused.value.code == "wrong_state"


def test_the_whole_path_in_order():
    state = "goal_setting"
    for action, _source, _target, actors in MOVES:
        state = next_state(state, action, actors)
    assert state == "acknowledged"


def test_submitting_twice_is_refused_as_wrong_state():
    after = next_state("self_review", "submit_self", {"employee"})
    with pytest.raises(WorkflowRefused) as refused:
        next_state(after, "submit_self", {"employee"})
    assert refused.value.code == "wrong_state"


def test_unknown_action():
    with pytest.raises(WorkflowRefused) as refused:
        next_state("goal_setting", "approve_everything", EVERYONE)
    assert refused.value.code == "unknown_action"


def test_hr_reopens_only_earlier_steps_and_only_with_a_reason():
    assert workflow.reopen_choices("manager_review", {"hr"}) == ["goal_setting", "self_review"]
    assert workflow.reopen_choices("goal_setting", {"hr"}) == []
    assert workflow.reopen_choices("acknowledged", {"hr"})[-1] == "calibration"
    assert workflow.reopen_choices("calibration", {"manager", "employee"}) == []
    assert workflow.reopen("calibration", "self_review", {"hr"}, "wrong figures") == "self_review"
    for to, rels, reason, code in [
        ("self_review", {"hr"}, "  ", "reason_required"),
        ("self_review", {"manager"}, "why", "not_allowed"),
        ("manager_review", {"hr"}, "why", "wrong_state"),  # not earlier than self_review
    ]:
        with pytest.raises(WorkflowRefused) as refused:
            workflow.reopen(
                "self_review" if to == "manager_review" else "calibration", to, rels, reason
            )
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("part", "open_states", "actors"),
    [
        ("targets", {"goal_setting"}, {"manager", "hr"}),
        ("self", {"self_review"}, {"employee"}),
        ("manager", {"self_review", "manager_review"}, {"manager"}),
        ("peer", {"goal_setting", "self_review", "manager_review"}, {"reviewer"}),
        ("hr", {"goal_setting", "self_review", "manager_review", "calibration"}, {"hr"}),
        ("data", {"goal_setting", "self_review", "manager_review", "calibration"}, {"hr"}),
        ("invitations", {"goal_setting", "self_review", "manager_review"}, {"manager", "hr"}),
    ],
)
def test_who_edits_which_part_when(part, open_states, actors):
    for state in workflow.STATES:
        for actor in EVERYONE:
            expected = state in open_states and actor in actors
            assert workflow.can_edit(part, state, {actor}) is expected, (state, actor)


@pytest.mark.parametrize(
    ("path", "after_goals", "reopenable"),
    [
        ("employee", "self_review", ["goal_setting", "self_review", "manager_review"]),
        ("proxy", "self_review", ["goal_setting", "self_review", "manager_review"]),
        ("skipped", "manager_review", ["goal_setting", "manager_review"]),
        ("none", "manager_review", ["goal_setting", "manager_review"]),
    ],
)
def test_the_self_review_path_is_part_of_the_transition_table(path, after_goals, reopenable):
    """Skipping the self-review is a row of the table, not a special case after it."""
    assert next_state("goal_setting", "confirm_goals", {"employee"}, path) == after_goals
    assert workflow.reopen_choices("calibration", {"hr"}, path) == reopenable
    skipped = workflow.skipped_steps(path)
    assert skipped == ({"self_review"} if after_goals == "manager_review" else set())
    assert all(t.target not in skipped for t in workflow.TRANSITIONS if path in t.paths)
    state = "goal_setting"
    for action, _source, _target, actors in MOVES:
        if state == _source:
            state = next_state(state, action, actors, path)
    assert state == "acknowledged"


def test_every_state_is_entered_and_left_by_the_table():
    """A state added to the enum without a row in the transition table fails here."""
    sources = {t.source for t in workflow.TRANSITIONS}
    targets = {t.target for t in workflow.TRANSITIONS}
    assert set(workflow.STATES) - targets == {"goal_setting"}
    assert set(workflow.STATES) - sources == {"acknowledged"}
    cycle_targets = {t.target for t in workflow.CYCLE_TRANSITIONS.values()}
    cycle_sources = set().union(*(t.sources for t in workflow.CYCLE_TRANSITIONS.values()))
    assert set(CycleState) - cycle_targets == {"planning"}
    assert set(CycleState) - cycle_sources == {"closed"}


CYCLE_MOVES = [
    ("launch", {"planning"}, "running"),
    ("calibrate", {"running"}, "calibration"),
    ("publish", {"calibration", "published"}, "published"),
    ("close", {"planning", "running", "calibration", "published"}, "closed"),
]


@pytest.mark.parametrize(("action", "sources", "target"), CYCLE_MOVES)
def test_each_cycle_move_from_its_states_only(action, sources, target):
    for state in CycleState:
        if state in sources:
            assert workflow.next_cycle_state(state, action) == target
        else:
            with pytest.raises(WorkflowRefused) as refused:
                workflow.next_cycle_state(state, action)
            assert refused.value.code == "wrong_state"
