"""The states a cycle, an appraisal, a review, an appeal, a work plan and a field record can
be in, the answers to a location consent, and a background job's progress: declared once here.

Everything else is derived from these enums: the models' check constraints
(`models.base.one_of`), the state machine (`runtime/workflow.py`), the words pages show
(`labels.py`) and the groups below. Pure Python: the models, the workflow and the labels
all import it, so it imports nothing of the project, Flask or the database.
A member's order is the order the workflow goes through (design §8).
"""

from __future__ import annotations

from enum import StrEnum


class CycleState(StrEnum):
    PLANNING = "planning"
    RUNNING = "running"
    CALIBRATION = "calibration"
    PUBLISHED = "published"
    CLOSED = "closed"


class AppraisalState(StrEnum):
    GOAL_SETTING = "goal_setting"
    SELF_REVIEW = "self_review"
    MANAGER_REVIEW = "manager_review"
    CALIBRATION = "calibration"
    PUBLISHED = "published"
    ACKNOWLEDGED = "acknowledged"


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class RecordStatus(StrEnum):
    """A field record (visit, check-in, report...): kept as recorded when its type needs no
    review; otherwise waiting for the manager, then approved or returned with a comment
    (a returned record is corrected and waits again)."""

    RECORDED = "recorded"
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class EventStatus(StrEnum):
    """A business event another system pushed: its person is known (`matched`), or it waits
    for HR to say who the reference is (`held`), or HR set it aside (`dismissed`: not one of
    ours, kept so that sending it again still changes nothing)."""

    MATCHED = "matched"
    HELD = "held"
    DISMISSED = "dismissed"


class ConsentChoice(StrEnum):
    """An employee's answer to a location purpose (PIPL: separate and withdrawable)."""

    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class JobStatus(StrEnum):
    """A background job (`appraisal/jobs`): waiting for a worker, running, then done or
    failed (with its message). Pages poll it while it is queued or running."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class NotificationKind(StrEnum):
    """What a notification tells someone (`appraisal/notifications`): a task assigned, a
    deadline near or passed, an appeal, a result, an interview, a plan check-in, field
    records returned, a work plan proposed, returned or agreed. Each kind has its default
    words (`notifications.catalogue`)."""

    GOALS_TO_CONFIRM = "goals_to_confirm"
    REVIEW_TO_FILL = "review_to_fill"
    FIGURES_TO_ENTER = "figures_to_enter"
    PEER_INVITATION = "peer_invitation"
    DEADLINE_APPROACHING = "deadline_approaching"
    DEADLINE_PASSED = "deadline_passed"
    APPEAL_FILED = "appeal_filed"
    APPEAL_ANSWERED = "appeal_answered"
    RESULT_PUBLISHED = "result_published"
    INTERVIEW_SCHEDULED = "interview_scheduled"
    INTERVIEW_TO_CONFIRM = "interview_to_confirm"
    PLAN_CHECKIN_DUE = "plan_checkin_due"
    RECORDS_RETURNED = "records_returned"
    PLAN_PROPOSED = "plan_proposed"
    PLAN_RETURNED = "plan_returned"
    PLAN_AGREED = "plan_agreed"


class Channel(StrEnum):
    """Where a notification goes: the in-app centre and e-mail are a person's (chosen per
    kind in their preferences); the 企业微信 and 钉钉 group robots are an organization's or a
    department's (HR chooses the kinds they post)."""

    IN_APP = "in_app"
    EMAIL = "email"
    WECOM = "wecom"
    DINGTALK = "dingtalk"


#: The channels a person chooses for themselves; the robots post to groups.
PERSONAL_CHANNELS = (Channel.IN_APP, Channel.EMAIL)
ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK)


class DeliveryStatus(StrEnum):
    """An outbox message: waiting (perhaps until quiet hours end, a retry's back-off or a
    robot's rate limit), sent, merged into a digest that was sent, failed for good after its
    retries, or skipped (nobody to send it to: no e-mail address, an inactive account)."""

    PENDING = "pending"
    SENT = "sent"
    MERGED = "merged"
    FAILED = "failed"
    SKIPPED = "skipped"


class PlanState(StrEnum):
    """A work plan (`runtime/continuous`): written, proposed by the employee or the manager,
    returned with comments or agreed by the other side (so both have agreed), then worked on
    with progress updates, closed out by the employee's self-assessment and rated by the
    manager. The moves are `runtime.workflow.PLAN_TRANSITIONS`."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    RETURNED = "returned"
    AGREED = "agreed"
    SELF_ASSESSED = "self_assessed"
    CLOSED = "closed"


class PlanPeriod(StrEnum):
    """How long a work plan runs: a calendar month or quarter."""

    MONTH = "month"
    QUARTER = "quarter"


class FeedbackKind(StrEnum):
    PRAISE = "praise"
    IMPROVEMENT = "improvement"


class FeedbackVisibility(StrEnum):
    """Who reads a feedback note besides its author: the recipient and their manager
    (`shared`), or only the recipient's manager (`manager`)."""

    SHARED = "shared"
    MANAGER = "manager"


class AppealStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REOPENED = "reopened"


#: Appraisals whose result the employee sees (and that count as done for the cycle).
RESULT_SHOWN = (AppraisalState.PUBLISHED, AppraisalState.ACKNOWLEDGED)
#: Appraisals still before publication: a cycle cannot close while it has any.
UNPUBLISHED = tuple(s for s in AppraisalState if s not in RESULT_SHOWN)
#: Cycles that have started and are not closed (HR's tasks, reviewers' to-do lists).
OPEN_CYCLES = (CycleState.RUNNING, CycleState.CALIBRATION, CycleState.PUBLISHED)
#: Jobs that have not finished: their page keeps polling.
UNFINISHED_JOBS = (JobStatus.QUEUED, JobStatus.RUNNING)
#: Cycles the home page lists as in progress.
IN_PROGRESS_CYCLES = (CycleState.PLANNING, *OPEN_CYCLES)
#: Work plans both sides have agreed: their items count in the on-time figure.
AGREED_PLANS = (PlanState.AGREED, PlanState.SELF_ASSESSED, PlanState.CLOSED)
#: Work plans whose items may still be changed (by either side, before agreement).
EDITABLE_PLANS = (PlanState.DRAFT, PlanState.RETURNED)
