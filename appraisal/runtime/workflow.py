"""The state machines of appraisals and cycles (design §8): which step follows which, and
who may move it. The only place a state moves: services assign `.state` only from a
function here (an architecture test checks).

Pure: it knows states (`appraisal.states`), actions and the viewer's relations to an
appraisal (`employee`, `manager`, `hr`, `reviewer`, and `proxy`: HR or the manager acting
for an employee who has no sign-in), nothing of requests or the database. Services ask it
before they change anything, and the pages ask it which buttons to show.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from ..states import UNPUBLISHED, AppraisalState, CycleState, PlanState

# Unpacked so that a new state fails here until the tables below say where it goes.
GOAL_SETTING, SELF_REVIEW, MANAGER_REVIEW, CALIBRATION, PUBLISHED, ACKNOWLEDGED = AppraisalState
STATES = tuple(AppraisalState)
# Who takes the employee's own steps: the employee, or someone acting for them when they
# cannot sign in (recorded as "entered on behalf of").
APPRAISEE = frozenset({"employee", "proxy"})

# The path an appraisal takes through the self-review (shown in the cycle preview): the
# `employee` writes it, a `proxy` writes it for them, it is `skipped` (the scheme skips it for
# people without a sign-in), or the template has `none`.
PATHS = ("employee", "proxy", "skipped", "none")
WITH_SELF_REVIEW = frozenset({"employee", "proxy"})
WITHOUT_SELF_REVIEW = frozenset({"skipped", "none"})


@dataclass(frozen=True)
class Transition:
    action: str
    source: AppraisalState
    target: AppraisalState
    actors: frozenset[str]
    paths: frozenset[str] = frozenset(PATHS)  # the self-review paths this move is on


# Every move of an appraisal. An action has one row per path it takes differently, so an
# appraisal without a self-review goes from goal setting straight to the manager's review.
TRANSITIONS = (
    Transition("confirm_goals", GOAL_SETTING, SELF_REVIEW, APPRAISEE, WITH_SELF_REVIEW),
    Transition("confirm_goals", GOAL_SETTING, MANAGER_REVIEW, APPRAISEE, WITHOUT_SELF_REVIEW),
    Transition("submit_self", SELF_REVIEW, MANAGER_REVIEW, APPRAISEE),
    Transition("submit_manager", MANAGER_REVIEW, CALIBRATION, frozenset({"manager"})),
    Transition("publish", CALIBRATION, PUBLISHED, frozenset({"hr"})),
    Transition("acknowledge", PUBLISHED, ACKNOWLEDGED, frozenset({"employee"})),
)
# HR sends an appraisal back at most to this step.
REOPEN_UP_TO = CALIBRATION

# Which states each part of an appraisal can be edited in, and by whom.
BEFORE_PUBLICATION = frozenset(UNPUBLISHED)
REVIEWING = frozenset({GOAL_SETTING, SELF_REVIEW, MANAGER_REVIEW})  # before calibration
EDITABLE = {
    "targets": (frozenset({GOAL_SETTING}), frozenset({"manager", "hr"})),
    "self": (frozenset({SELF_REVIEW}), APPRAISEE),
    "manager": (frozenset({SELF_REVIEW, MANAGER_REVIEW}), frozenset({"manager"})),
    "peer": (REVIEWING, frozenset({"reviewer"})),
    "subordinate": (REVIEWING, frozenset({"reviewer"})),
    "hr": (BEFORE_PUBLICATION, frozenset({"hr"})),
    "data": (BEFORE_PUBLICATION, frozenset({"hr"})),
    "invitations": (REVIEWING, frozenset({"manager", "hr"})),
}

# The step a review's submission belongs to: submitting it is that step's transition.
SUBMITS = {"self": "submit_self", "manager": "submit_manager"}
# The step each of those reviews is submitted in (reopening it makes the review a draft).
SUBMITTED_IN = {
    rater: next(t.source for t in TRANSITIONS if t.action == action)
    for rater, action in SUBMITS.items()
}


@dataclass(frozen=True)
class CycleTransition:
    action: str
    sources: frozenset[CycleState]
    target: CycleState


# Every move of a cycle (design §8). Publishing moves the cycle once nothing is left before
# publication (again after a reopened appraisal is published); a cycle with nothing unpublished
# may close from any open state.
CYCLE_TRANSITIONS = {
    t.action: t
    for t in (
        CycleTransition("launch", frozenset({CycleState.PLANNING}), CycleState.RUNNING),
        CycleTransition("calibrate", frozenset({CycleState.RUNNING}), CycleState.CALIBRATION),
        CycleTransition(
            "publish",
            frozenset({CycleState.CALIBRATION, CycleState.PUBLISHED}),
            CycleState.PUBLISHED,
        ),
        CycleTransition("close", frozenset(CycleState) - {CycleState.CLOSED}, CycleState.CLOSED),
    )
}


class WorkflowRefused(Exception):
    """A move the state machine does not allow; `code` says why, for the page to word."""

    def __init__(self, code: str, action: str, state: str) -> None:
        super().__init__(f"{action} refused in {state}: {code}")
        self.code = code
        self.action = action
        self.state = state


def self_review_path(has_self_part: bool, signs_in: bool, skip_without_sign_in: bool) -> str:
    """Which of `PATHS` an appraisal takes through the self-review."""
    if not has_self_part:
        return "none"
    if signs_in:
        return "employee"
    return "skipped" if skip_without_sign_in else "proxy"


def _moves(path: str) -> list[Transition]:
    if path not in PATHS:
        raise ValueError(f"unknown self-review path {path!r}")
    return [t for t in TRANSITIONS if path in t.paths]


@cache  # a handful of paths; every official result asks
def skipped_steps(path: str) -> frozenset[str]:
    """The states an appraisal on this path passes over: those no move on it enters."""
    entered = {t.target for t in _moves(path)}
    return frozenset(t.target for t in TRANSITIONS) - entered


def allowed_actions(state: str, relations: Collection[str], path: str = "employee") -> list[str]:
    """The transitions these relations may take from this state, in workflow order."""
    return [t.action for t in _moves(path) if t.source == state and t.actors & set(relations)]


def next_state(state: str, action: str, relations: Collection[str], path: str = "employee") -> str:
    """The state after `action` on this self-review path, or WorkflowRefused:
    `wrong_state` (for example a second submission) or `not_allowed` (the action is not this
    person's)."""
    moves = [t for t in _moves(path) if t.action == action]
    if not moves:
        raise WorkflowRefused("unknown_action", action, state)
    if not any(t.actors & set(relations) for t in moves):
        raise WorkflowRefused("not_allowed", action, state)
    for transition in moves:
        if transition.source == state:
            return transition.target.value
    raise WorkflowRefused("wrong_state", action, state)


def reopen_choices(state: str, relations: Collection[str], path: str = "employee") -> list[str]:
    """The earlier steps HR may send an appraisal back to (never a skipped one)."""
    if "hr" not in relations or state not in STATES:
        return []
    earlier = STATES[: min(STATES.index(state), STATES.index(REOPEN_UP_TO) + 1)]
    skipped = skipped_steps(path)
    return [s for s in earlier if s not in skipped]


def reopen(
    state: str, to: str, relations: Collection[str], reason: str, path: str = "employee"
) -> str:
    """The step HR sends the appraisal back to, or WorkflowRefused."""
    if "hr" not in relations:
        raise WorkflowRefused("not_allowed", "reopen", state)
    if not reason.strip():
        raise WorkflowRefused("reason_required", "reopen", state)
    if to not in reopen_choices(state, relations, path):
        raise WorkflowRefused("wrong_state", "reopen", state)
    return AppraisalState(to).value


def next_cycle_state(state: str, action: str) -> str:
    """The cycle's state after `action`, or WorkflowRefused `wrong_state`."""
    transition = CYCLE_TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowRefused("unknown_action", action, state)
    if state not in transition.sources:
        raise WorkflowRefused("wrong_state", action, state)
    return transition.target.value


def can_edit(part: str, state: str, relations: Collection[str]) -> bool:
    states, actors = EDITABLE[part]
    return state in states and bool(actors & set(relations))


# -- work plans (`runtime/continuous`) ---------------------------------------------------------

# A plan's relations: `employee` (whose plan), `manager` (theirs), and `counterpart`: the side
# that did not make the proposal on the table, who alone may return or agree to it (so an
# agreed plan has been agreed by both: one proposed it, the other accepted it).
PLAN_SIDES = frozenset({"employee", "manager"})


@dataclass(frozen=True)
class PlanTransition:
    action: str
    sources: frozenset[PlanState]
    target: PlanState
    actors: frozenset[str]


PLAN_TRANSITIONS = {
    t.action: t
    for t in (
        PlanTransition(
            "propose",
            frozenset({PlanState.DRAFT, PlanState.RETURNED}),
            PlanState.PROPOSED,
            PLAN_SIDES,
        ),
        PlanTransition(
            "return",
            frozenset({PlanState.PROPOSED}),
            PlanState.RETURNED,
            frozenset({"counterpart"}),
        ),
        PlanTransition(
            "agree", frozenset({PlanState.PROPOSED}), PlanState.AGREED, frozenset({"counterpart"})
        ),
        PlanTransition(
            "self_assess",
            frozenset({PlanState.AGREED}),
            PlanState.SELF_ASSESSED,
            frozenset({"employee"}),
        ),
        PlanTransition(
            "manager_rate",
            frozenset({PlanState.SELF_ASSESSED}),
            PlanState.CLOSED,
            frozenset({"manager"}),
        ),
    )
}


def plan_relations(sides: Collection[str], proposed_by: str | None) -> frozenset[str]:
    """The viewer's sides of a plan (`employee`, `manager`), plus `counterpart` when the
    proposal on the table came from the other side."""
    rels = frozenset(sides) & PLAN_SIDES
    if proposed_by is not None and rels - {proposed_by}:
        rels |= {"counterpart"}
    return rels


def plan_actions(state: str, relations: Collection[str]) -> list[str]:
    """The moves these relations may make on a plan in this state, in workflow order."""
    return [
        t.action
        for t in PLAN_TRANSITIONS.values()
        if state in t.sources and t.actors & set(relations)
    ]


def next_plan_state(state: str, action: str, relations: Collection[str]) -> str:
    """The plan's state after `action`, or WorkflowRefused (`unknown_action`,
    `not_allowed`: not this side's move, `wrong_state`)."""
    transition = PLAN_TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowRefused("unknown_action", action, state)
    if not transition.actors & set(relations):
        raise WorkflowRefused("not_allowed", action, state)
    if state not in transition.sources:
        raise WorkflowRefused("wrong_state", action, state)
    return transition.target.value
