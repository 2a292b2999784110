"""The appraisal state machine (design §8): which step follows which, and who may move it.

Pure: it knows states, actions and the viewer's relations to an appraisal (`employee`,
`manager`, `hr`, `reviewer`), nothing of requests or the database. Services ask it before
they change anything, and the pages ask it which buttons to show.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

STATES = (
    "goal_setting",
    "self_review",
    "manager_review",
    "calibration",
    "published",
    "acknowledged",
)
RELATIONS = ("employee", "manager", "hr", "reviewer")


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    actors: frozenset[str]


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("confirm_goals", "goal_setting", "self_review", frozenset({"employee"})),
        Transition("submit_self", "self_review", "manager_review", frozenset({"employee"})),
        Transition("submit_manager", "manager_review", "calibration", frozenset({"manager"})),
        Transition("publish", "calibration", "published", frozenset({"hr"})),
        Transition("acknowledge", "published", "acknowledged", frozenset({"employee"})),
    )
}

# Which states each part of an appraisal can be edited in, and by whom.
EDITABLE = {
    "targets": (frozenset({"goal_setting"}), frozenset({"manager", "hr"})),
    "self": (frozenset({"self_review"}), frozenset({"employee"})),
    "manager": (frozenset({"self_review", "manager_review"}), frozenset({"manager"})),
    "peer": (frozenset({"goal_setting", "self_review", "manager_review"}), frozenset({"reviewer"})),
    "subordinate": (
        frozenset({"goal_setting", "self_review", "manager_review"}),
        frozenset({"reviewer"}),
    ),
    "hr": (frozenset(STATES[:4]), frozenset({"hr"})),
    "data": (frozenset(STATES[:4]), frozenset({"hr"})),
    "invitations": (frozenset(STATES[:3]), frozenset({"manager", "hr"})),
}

# The step a review's submission belongs to: submitting it is that step's transition.
SUBMITS = {"self": "submit_self", "manager": "submit_manager"}


class WorkflowRefused(Exception):
    """A move the state machine does not allow; `code` says why, for the page to word."""

    def __init__(self, code: str, action: str, state: str) -> None:
        super().__init__(f"{action} refused in {state}: {code}")
        self.code = code
        self.action = action
        self.state = state


def allowed_actions(state: str, relations: Collection[str]) -> list[str]:
    """The transitions these relations may take from this state, in workflow order."""
    return [
        t.action for t in TRANSITIONS.values() if t.source == state and t.actors & set(relations)
    ]


def next_state(state: str, action: str, relations: Collection[str]) -> str:
    """The state after `action`, or WorkflowRefused: `wrong_state` (for example a second
    submission) or `not_allowed` (the action is not this person's)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowRefused("unknown_action", action, state)
    if not transition.actors & set(relations):
        raise WorkflowRefused("not_allowed", action, state)
    if transition.source != state:
        raise WorkflowRefused("wrong_state", action, state)
    return transition.target


def reopen_choices(state: str, relations: Collection[str]) -> list[str]:
    """The earlier steps HR may send an appraisal back to."""
    if "hr" not in relations or state not in STATES:
        return []
    return list(STATES[: min(STATES.index(state), STATES.index("calibration") + 1)])


def reopen(state: str, to: str, relations: Collection[str], reason: str) -> str:
    if "hr" not in relations:
        raise WorkflowRefused("not_allowed", "reopen", state)
    if not reason.strip():
        raise WorkflowRefused("reason_required", "reopen", state)
    if to not in reopen_choices(state, relations):
        raise WorkflowRefused("wrong_state", "reopen", state)
    return to


def can_edit(part: str, state: str, relations: Collection[str]) -> bool:
    states, actors = EDITABLE[part]
    return state in states and bool(actors & set(relations))
