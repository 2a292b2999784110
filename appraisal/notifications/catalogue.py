"""Every kind of notification: its name on the preferences page, the placeholders its words
may use, its default words in both languages, and whether a group robot may post it.

Words are `{placeholder}` text (HR's own templates use the same syntax and are checked
against `placeholders`). Every kind also knows `{name}` (the recipient) and `{organization}`.
Group robots post to a chat many people read, so a kind that names a private matter (a
result, an appeal, an interview) is never a robot's, whatever HR ticks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..states import Channel, NotificationKind

#: `{cycle}`, `{due}`… — a placeholder in a template's subject or body.
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: What every kind knows about its recipient.
COMMON = ("name", "organization")


@dataclass(frozen=True)
class Kind:
    key: NotificationKind
    label: object  # a lazy string: the kind's name on the preferences and template pages
    placeholders: tuple[str, ...]
    subject: object
    body: object
    robot_safe: bool = False
    channels: tuple[Channel, ...] = (Channel.IN_APP, Channel.EMAIL)

    @property
    def allowed(self) -> tuple[str, ...]:
        return COMMON + self.placeholders


K = NotificationKind

KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            K.GOALS_TO_CONFIRM,
            _l("Goals to confirm"),
            ("cycle", "employee", "due"),
            _l("Goals to confirm: {employee}, {cycle}"),
            _l("The goals of {employee} in {cycle} wait for confirmation (due {due})."),
            robot_safe=True,
        ),
        Kind(
            K.REVIEW_TO_FILL,
            _l("A review to fill"),
            ("cycle", "employee", "step", "due"),
            _l("A review to fill: {employee}, {cycle}"),
            _l("The {step} of {employee} in {cycle} waits for you (due {due})."),
            robot_safe=True,
        ),
        Kind(
            K.FIGURES_TO_ENTER,
            _l("Figures to enter"),
            ("cycle", "count", "due"),
            _l("Figures to enter in {cycle}"),
            _l("{count} people in {cycle} wait for their figures (due {due})."),
            robot_safe=True,
        ),
        Kind(
            K.PEER_INVITATION,
            _l("An invitation to review a colleague"),
            ("cycle", "employee", "due"),
            _l("Please review {employee} ({cycle})"),
            _l("You are invited to give feedback on {employee} in {cycle} (due {due})."),
        ),
        Kind(
            K.DEADLINE_APPROACHING,
            _l("A deadline approaching"),
            ("cycle", "step", "due", "days"),
            _l("{cycle}: the {step} is due in {days} days"),
            _l("The {step} in {cycle} is due on {due}, in {days} days."),
            robot_safe=True,
        ),
        Kind(
            K.DEADLINE_PASSED,
            _l("A deadline passed"),
            ("cycle", "step", "due", "days"),
            _l("{cycle}: the {step} is overdue"),
            _l("The {step} in {cycle} was due on {due}, {days} days ago."),
            robot_safe=True,
        ),
        Kind(
            K.APPEAL_FILED,
            _l("An appeal filed"),
            ("cycle", "employee"),
            _l("{employee} appealed the result of {cycle}"),
            _l("{employee} filed an appeal against the result of {cycle}."),
        ),
        Kind(
            K.APPEAL_ANSWERED,
            _l("An appeal answered"),
            ("cycle", "decision"),
            _l("Your appeal in {cycle} was answered"),
            _l("Your appeal against the result of {cycle} was answered: {decision}."),
        ),
        Kind(
            K.RESULT_PUBLISHED,
            _l("A result published"),
            ("cycle",),
            _l("Your result in {cycle} is published"),
            _l("Your result in {cycle} is published. You may read it and, if needed, appeal."),
        ),
        Kind(
            K.INTERVIEW_SCHEDULED,
            _l("An interview scheduled"),
            ("cycle", "employee", "when"),
            _l("Interview on {when} ({cycle})"),
            _l("A performance interview with {employee} is scheduled for {when} ({cycle})."),
        ),
        Kind(
            K.INTERVIEW_TO_CONFIRM,
            _l("An interview to confirm"),
            ("cycle", "employee"),
            _l("Please confirm your interview record ({cycle})"),
            _l(
                "The record of your interview with {employee} in {cycle} waits for your "
                "confirmation."
            ),
        ),
        Kind(
            K.PLAN_CHECKIN_DUE,
            _l("A plan check-in due"),
            ("plan", "due"),
            _l("Check-in due: {plan}"),
            _l("A check-in of {plan} is due on {due}."),
        ),
        Kind(
            K.RECORDS_RETURNED,
            _l("Field records returned"),
            ("count", "day", "employee"),
            _l("{count} field records returned"),
            _l("{employee} returned {count} of your field records of {day} with comments."),
        ),
        Kind(
            K.PLAN_PROPOSED,
            _l("A work plan proposed"),
            ("plan", "employee", "by"),
            _l("Work plan to agree: {employee}, {plan}"),
            _l(
                "{by} proposed the work plan of {employee} for {plan}. Agree to it, or return "
                "it with comments."
            ),
        ),
        Kind(
            K.PLAN_RETURNED,
            _l("A work plan returned"),
            ("plan", "employee", "by", "comment"),
            _l("Work plan returned: {employee}, {plan}"),
            _l("{by} returned the work plan of {employee} for {plan} with comments: {comment}"),
        ),
        Kind(
            K.PLAN_AGREED,
            _l("A work plan agreed"),
            ("plan", "employee", "by"),
            _l("Work plan agreed: {employee}, {plan}"),
            _l("The work plan of {employee} for {plan} is agreed by both sides ({by} agreed)."),
        ),
    )
}

#: How a `{step}` value reads (the context stores the code).
STEPS = {
    "goals": _l("goal setting"),
    "self": _l("self review"),
    "manager": _l("manager review"),
    "peer": _l("peer review"),
    "figures": _l("figures"),
}


def unknown_placeholders(kind: str, text: str) -> list[str]:
    """The placeholders in `text` that `kind` does not know (HR's template is refused)."""
    allowed = KINDS[kind].allowed
    return sorted({p for p in PLACEHOLDER.findall(text) if p not in allowed})


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each known placeholder replaced by its value (nothing is evaluated: a
    value is inserted as it is, and a placeholder without a value reads as empty)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
