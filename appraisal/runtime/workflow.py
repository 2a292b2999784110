"""The appraisal state machine (design §8): which step follows which, and who may move it.

Pure: it knows states, actions and the viewer's relations to an appraisal (`employee`,
`manager`, `hr`, `reviewer`, and `proxy`: HR or the manager acting for an employee who has
no sign-in), nothing of requests or the database. Services ask it before
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
RELATIONS = ("employee", "manager", "hr", "reviewer", "proxy")
# Who takes the employee's own steps: the employee, or someone acting for them when they
# cannot sign in (recorded as "entered on behalf of").
APPRAISEE = frozenset({"employee", "proxy"})


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    actors: frozenset[str]


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("confirm_goals", "goal_setting", "self_review", APPRAISEE),
        Transition("submit_self", "self_review", "manager_review", APPRAISEE),
        Transition("submit_manager", "manager_review", "calibration", frozenset({"manager"})),
        Transition("publish", "calibration", "published", frozenset({"hr"})),
        Transition("acknowledge", "published", "acknowledged", frozenset({"employee"})),
    )
}

# Which states each part of an appraisal can be edited in, and by whom.
EDITABLE = {
    "targets": (frozenset({"goal_setting"}), frozenset({"manager", "hr"})),
    "self": (frozenset({"self_review"}), APPRAISEE),
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


# The path an appraisal takes through the self-review (shown in the cycle preview).
PATHS = ("employee", "proxy", "skipped", "none")


def self_review_path(has_self_part: bool, signs_in: bool, skip_without_sign_in: bool) -> str:
    """`employee` writes it, a `proxy` writes it for them, it is `skipped` (the scheme skips
    it for people without a sign-in), or the template has `none`."""
    if not has_self_part:
        return "none"
    if signs_in:
        return "employee"
    return "skipped" if skip_without_sign_in else "proxy"


def skipped_steps(path: str) -> frozenset[str]:
    """The states an appraisal on this path passes over."""
    return frozenset({"self_review"}) if path in ("skipped", "none") else frozenset()


def allowed_actions(state: str, relations: Collection[str]) -> list[str]:
    """The transitions these relations may take from this state, in workflow order."""
    return [
        t.action for t in TRANSITIONS.values() if t.source == state and t.actors & set(relations)
    ]


def next_state(
    state: str, action: str, relations: Collection[str], skipped: Collection[str] = ()
) -> str:
    """The state after `action` (passing over `skipped` steps), or WorkflowRefused:
    `wrong_state` (for example a second submission) or `not_allowed` (the action is not this
    person's)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowRefused("unknown_action", action, state)
    if not transition.actors & set(relations):
        raise WorkflowRefused("not_allowed", action, state)
    if transition.source != state:
        raise WorkflowRefused("wrong_state", action, state)
    target = transition.target
    while target in skipped:
        target = STATES[STATES.index(target) + 1]
    return target


def reopen_choices(
    state: str, relations: Collection[str], skipped: Collection[str] = ()
) -> list[str]:
    """The earlier steps HR may send an appraisal back to (never a skipped one)."""
    if "hr" not in relations or state not in STATES:
        return []
    earlier = STATES[: min(STATES.index(state), STATES.index("calibration") + 1)]
    return [s for s in earlier if s not in skipped]


def reopen(
    state: str, to: str, relations: Collection[str], reason: str, skipped: Collection[str] = ()
) -> str:
    if "hr" not in relations:
        raise WorkflowRefused("not_allowed", "reopen", state)
    if not reason.strip():
        raise WorkflowRefused("reason_required", "reopen", state)
    if to not in reopen_choices(state, relations, skipped):
        raise WorkflowRefused("wrong_state", "reopen", state)
    return to


def can_edit(part: str, state: str, relations: Collection[str]) -> bool:
    states, actors = EDITABLE[part]
    return state in states and bool(actors & set(relations))
