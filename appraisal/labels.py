"""Every vocabulary of codes the product shows, with its words in the user's language.

One place per vocabulary: pages (`{{ code|label('state') }}`), form choices, exports and
API messages all take their words from here, and the Chinese-pages test takes the codes it
must never see from here too. Codes stay codes in storage, JSON and formulas.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from babel import Locale
from flask import g, has_app_context, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .states import (
    AppealStatus,
    AppraisalState,
    Channel,
    ConsentChoice,
    CycleState,
    DeliveryStatus,
    EventStatus,
    FeedbackKind,
    FeedbackVisibility,
    JobStatus,
    PlanPeriod,
    PlanState,
    RecordStatus,
    ReviewStatus,
)

# The states' words, keyed by the enums of `states.py` (a test checks every member has words
# in both languages). Pages show both kinds through `state`: a code the two share has the
# same words in both.
CYCLE_STATE = {
    CycleState.PLANNING: _l("Planning"),
    CycleState.RUNNING: _l("Running"),
    CycleState.CALIBRATION: _l("Calibration"),
    CycleState.PUBLISHED: _l("Published"),
    CycleState.CLOSED: _l("Closed"),
}
APPRAISAL_STATE = {
    AppraisalState.GOAL_SETTING: _l("Goal setting"),
    AppraisalState.SELF_REVIEW: _l("Self-review"),
    AppraisalState.MANAGER_REVIEW: _l("Manager review"),
    AppraisalState.CALIBRATION: _l("Calibration"),
    AppraisalState.PUBLISHED: _l("Published"),
    AppraisalState.ACKNOWLEDGED: _l("Acknowledged"),
}
STATE = CYCLE_STATE | APPRAISAL_STATE
RATER = {
    "data": _l("Imported data"),
    "self": _l("Self"),
    "manager": _l("Manager"),
    "peer": _l("Peer"),
    "subordinate": _l("Subordinate"),
    "hr": _l("HR"),
    "targets": _l("Targets"),
}
ROLE = {
    "admin": _l("HR admin"),
    "implementer": _l("Implementer"),
    "manager": _l("Manager"),
    "employee": _l("Employee"),
    "hr_partner": _l("HR business partner"),
    "department_head": _l("Department head"),
    "auditor": _l("Auditor"),
}
STAFF_KIND = {"any": _l("Any staff"), "office": _l("Office staff"), "field": _l("Field staff")}
EMPLOYEE_STATUS = {"active": _l("Active"), "left": _l("Left")}
PERIOD = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "half_year": _l("Half year"),
    "year": _l("Year"),
}
CATEGORY = {
    "result": _l("Result"),
    "process": _l("Process"),
    "behaviour": _l("Behaviour"),
    "competency": _l("Competency"),
}
DIRECTION = {"higher": _l("Higher is better"), "lower": _l("Lower is better")}
ITEM_TYPE = {
    "number": _l("Number"),
    "rating": _l("Rating"),
    "choice": _l("Choice"),
    "bool": _l("Yes/no"),
    "text": _l("Text"),
    "date": _l("Date"),
}
METHOD = {
    "ratio": _l("Ratio to target"),
    "reverse_ratio": _l("Reverse ratio (lower is better)"),
    "bands": _l("Bands"),
    "linear": _l("Linear points"),
    "deduction": _l("Deduction"),
    "rating": _l("Rating scale"),
    "formula": _l("Formula"),
    "none": _l("Not scored"),
}
SCORING_ON = {"actual": _l("Actual value"), "achievement": _l("Achievement (percent of target)")}
ADJUSTMENT_KIND = {"bonus": _l("Bonus"), "deduction": _l("Deduction"), "veto": _l("Veto")}
PLAN_KIND = {"pip": _l("Improvement plan (PIP)"), "idp": _l("Development plan (IDP)")}
#: Written-feedback items the designer adds in one step; the item's name is the label, in
#: both languages (`i18n.in_each_language`).
FEEDBACK_PROMPT = {
    "strengths": _l("Strengths"),
    "improvements": _l("Areas to improve"),
    "comments": _l("Comments"),
}
APPEAL_STATUS = {
    AppealStatus.OPEN: _l("waiting for an answer"),
    AppealStatus.UPHELD: _l("answered: result upheld"),
    AppealStatus.REOPENED: _l("answered: step reopened"),
}
REVIEW_STATUS = {ReviewStatus.DRAFT: _l("Draft"), ReviewStatus.SUBMITTED: _l("Submitted")}
#: Activity forms (`rules.FIELD_TYPES`, `rules.LOCATION_PURPOSES`) as the builder names them.
FIELD_TYPE = {
    "text": _l("Text"),
    "long_text": _l("Long text"),
    "number": _l("Number"),
    "money": _l("Money (yuan)"),
    "date": _l("Date"),
    "datetime": _l("Date and time"),
    "choice": _l("One choice"),
    "multi_choice": _l("Several choices"),
    "yes_no": _l("Yes / no"),
    "customer": _l("Customer"),
    "photos": _l("Photos"),
    "location": _l("Location"),
}
#: Keys of `models.LocationPurpose` (models import no labels; a test checks they match).
LOCATION_PURPOSE = {"check_in": _l("Check-in at a site"), "visit": _l("Customer visit")}
REQUIRED_MODE = {
    "never": _l("Optional"),
    "always": _l("Always required"),
    "when": _l("Required when a condition holds"),
}

RECORD_STATUS = {
    RecordStatus.RECORDED: _l("Recorded"),
    RecordStatus.PENDING: _l("Waiting for review"),
    RecordStatus.APPROVED: _l("Approved"),
    RecordStatus.RETURNED: _l("Returned for correction"),
}
#: A work plan's state (`states.PlanState`).
PLAN_STATE = {
    PlanState.DRAFT: _l("Being written"),
    PlanState.PROPOSED: _l("Proposed, waiting for agreement"),
    PlanState.RETURNED: _l("Returned with comments"),
    PlanState.AGREED: _l("Agreed"),
    PlanState.SELF_ASSESSED: _l("Self-assessed, waiting for the rating"),
    PlanState.CLOSED: _l("Closed"),
}
PLAN_PERIOD = {PlanPeriod.MONTH: _l("Monthly"), PlanPeriod.QUARTER: _l("Quarterly")}
#: What a plan task is linked to (`models.continuous.LINK_KINDS`).
PLAN_LINK = {
    "template_item": _l("Appraisal template item"),
    "appraisal_target": _l("Target"),
    "customer": _l("Customer (code)"),
    "external": _l("External reference"),
}
#: A plan move (`workflow.PLAN_TRANSITIONS`), as its button reads.
PLAN_ACTION = {
    "propose": _l("Propose"),
    "return": _l("Return with comments"),
    "agree": _l("Agree"),
    "self_assess": _l("Close out"),
    "manager_rate": _l("Rate"),
}
#: A line of the review's evidence timeline (`runtime/continuous/timeline.py`).
EVIDENCE_KIND = {
    "plan": _l("Plan progress"),
    "checkin": _l("1:1 check-in"),
    "feedback": _l("Feedback"),
    "record": _l("Field record"),
    "metric": _l("Computed figure"),
}
FEEDBACK_KIND = {FeedbackKind.PRAISE: _l("Praise"), FeedbackKind.IMPROVEMENT: _l("To improve")}
FEEDBACK_VISIBILITY = {
    FeedbackVisibility.SHARED: _l("The recipient and their manager"),
    FeedbackVisibility.MANAGER: _l("Only the recipient's manager"),
}
EVENT_STATUS = {
    EventStatus.MATCHED: _l("Counted"),
    EventStatus.HELD: _l("Waiting for a person"),
    EventStatus.DISMISSED: _l("Set aside"),
}
JOB_STATUS = {
    JobStatus.QUEUED: _l("Waiting to start"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.DONE: _l("Done"),
    JobStatus.FAILED: _l("Failed"),
}
#: What a background job does (`jobs.registry`: the kinds areas register).
JOB_KIND = {
    "metrics.recompute_cycle": _l("Recomputing a cycle's computed figures"),
    "metrics.sweep": _l("Recomputing every open cycle's computed figures"),
    "jobs.prune": _l("Deleting old jobs and their files"),
    "imports.employees": _l("Importing employees"),
    "imports.customers": _l("Importing customers"),
    "imports.events": _l("Importing business events"),
    "imports.figures": _l("Importing a cycle's figures"),
    "exports.cycle": _l("Preparing a cycle's file"),
    "backup.database": _l("Backing up the database"),
    "backup.archive": _l("Making a backup"),
    "backup.scheduled": _l("Making the scheduled backup"),
}
#: Where a notification goes (`notifications`): a person's own channels, a group's robots.
CHANNEL = {
    Channel.IN_APP: _l("In the app"),
    Channel.EMAIL: _l("E-mail"),
    Channel.WECOM: _l("WeCom group robot"),
    Channel.DINGTALK: _l("DingTalk custom robot"),
}
#: An outbox message's state (`states.DeliveryStatus`), as the delivery log shows it.
DELIVERY_STATUS = {
    DeliveryStatus.PENDING: _l("Waiting to be sent"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.MERGED: _l("Sent in a digest"),
    DeliveryStatus.FAILED: _l("Failed"),
    DeliveryStatus.SKIPPED: _l("Not sent"),
}


class KindNames(Mapping[str, object]):
    """The kinds of notification by name: `notifications.catalogue` declares them with their
    words, read here when first asked, since the catalogue's package loads the senders, which
    may read labels themselves."""

    @staticmethod
    @cache
    def _names() -> dict[str, object]:
        from .notifications.catalogue import KINDS

        return {str(key): kind.label for key, kind in KINDS.items()}

    def __getitem__(self, key: str) -> object:
        return self._names()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


NOTIFICATION_KIND = KindNames()
CONSENT_CHOICE = {
    ConsentChoice.GRANTED: _l("Agreed"),
    ConsentChoice.REFUSED: _l("Refused"),
    ConsentChoice.WITHDRAWN: _l("Withdrawn"),
}
LOCATION_SOURCE = {
    "gps": _l("Satellite (GPS)"),
    "network": _l("Network"),
    "device": _l("Device (browser)"),
}
#: What the audit trail records (`audit.record`'s action, always `area.verb`), as the history
#: pages show it. A history page shows one thing's events, so the words can be short.
AUDIT_ACTION = {
    "indicator.saved": _l("Saved"),
    "indicator.deleted": _l("Deleted"),
    "indicator.archived": _l("Archived"),
    "indicator.restored": _l("Restored"),
    "template.created": _l("Created"),
    "template.draft_saved": _l("Draft saved"),
    "template.published": _l("Published"),
    "template.imported": _l("Imported"),
    "template.cloned": _l("Copied"),
    "member.added": _l("Added"),
    "member.invited": _l("Invited"),
    "member.updated": _l("Updated"),
    "member.activated": _l("Activated"),
    "member.deactivated": _l("Deactivated"),
    "department.saved": _l("Saved"),
    "department.deleted": _l("Deleted"),
    "department.activated": _l("Activated"),
    "department.deactivated": _l("Deactivated"),
    "position.saved": _l("Saved"),
    "position.deleted": _l("Deleted"),
    "position.activated": _l("Activated"),
    "position.deactivated": _l("Deactivated"),
    "employee.saved": _l("Saved"),
    "employee.status_changed": _l("Employment status changed"),
    "interview.scheduled": _l("Interview scheduled"),
    "plan.created": _l("Work plan started"),
    "plan.propose": _l("Work plan proposed"),
    "plan.return": _l("Work plan returned with comments"),
    "plan.agree": _l("Work plan agreed"),
    "plan.self_assess": _l("Work plan closed out by the employee"),
    "plan.manager_rate": _l("Work plan rated"),
    "checkin.recorded": _l("Check-in recorded"),
    "checkin.edited": _l("Check-in changed"),
    "feedback.given": _l("Feedback given"),
    "feedback.requested": _l("Feedback requested"),
    "interview.recorded": _l("Interview recorded"),
    "interview.confirmed": _l("Interview confirmed"),
    "pip.created": _l("Improvement plan created"),
    "idp.created": _l("Development plan created"),
    "plan.checkin": _l("Plan check-in"),
    "plan.closed": _l("Plan closed"),
    "activity.recorded": _l("Field record made"),
    "activity_type.created": _l("Created"),
    "activity_type.draft_saved": _l("Draft saved"),
    "activity_type.published": _l("Published"),
    "activity_type.archived": _l("Archived"),
    "activity_type.restored": _l("Restored"),
    "activity_type.imported": _l("Imported"),
    "metric.saved": _l("Saved"),
    "metric.archived": _l("Archived"),
    "metric.restored": _l("Restored"),
    "activity.approved": _l("Field record approved"),
    "activity.returned": _l("Field record returned for correction"),
    "activity.edited": _l("Field record corrected and sent again"),
    "consent.granted": _l("Location consent given"),
    "consent.refused": _l("Location consent refused"),
    "consent.withdrawn": _l("Location consent withdrawn"),
    "customer.created": _l("Customer created"),
    "customer.saved": _l("Customer saved"),
    "customer.deactivated": _l("Customer deactivated"),
    "customer.reactivated": _l("Customer reactivated"),
    "customer.imported": _l("Customers imported"),
    "robot.created": _l("Group robot added"),
    "robot.saved": _l("Group robot changed"),
    "robot.turned_off": _l("Group robot turned off"),
    "robot.turned_on": _l("Group robot turned on"),
    "robot.deleted": _l("Group robot deleted"),
    "event.received": _l("Business events received"),
    "event.person_mapped": _l("Held events mapped to an employee"),
    "event.set_aside": _l("Held events set aside"),
    "photo.uploaded": _l("Field photo uploaded"),
    "cycle.created": _l("Cycle created"),
    "cycle.launched": _l("Cycle launched"),
    "cycle.quotas_set": _l("Grade quotas set"),
    "cycle.calibration": _l("Calibration started"),
    "cycle.locked": _l("Calibration locked"),
    "cycle.published": _l("Results published"),
    "cycle.closed": _l("Cycle closed"),
    "cycle.figures_set": _l("Figures imported"),
    "cycle.targets_set": _l("Targets imported"),
    "scheme.saved": _l("Scheme saved"),
    "scheme.metrics_bound": _l("Figures bound to metrics"),
    "metric.overridden": _l("Computed figure overridden"),
    "metric.override_cleared": _l("Override of a computed figure cleared"),
    "appraisal.targets_set": _l("Targets set"),
    "appraisal.grade_overridden": _l("Grade overridden"),
    "appraisal.grade_proposed": _l("Grade proposed by the department head"),
    "appraisal.reopened": _l("Reopened"),
    "appraisal.rescored": _l("Rescored"),
    "appraisal.acknowledge": _l("Result acknowledged"),
    "appraisal.confirm_goals": _l("Goals confirmed"),
    "appraisal.submit_self": _l("Self-review submitted"),
    "appraisal.submit_manager": _l("Manager review submitted"),
    "appraisal.publish": _l("Result published"),
    "appraisal.appealed": _l("Appeal lodged"),
    "appeal.resolved": _l("Appeal answered"),
    "review.saved": _l("Review saved"),
    "review.submitted": _l("Review submitted"),
    "review.invited": _l("Reviewer invited"),
    "review.withdrawn": _l("Invitation withdrawn"),
    "invitation.cancelled": _l("Invitation cancelled"),
    "invitation.accepted": _l("Invitation accepted"),
    "invitation.declined": _l("Invitation declined"),
    "organization.settings": _l("Settings changed"),
    "organization.created": _l("Organization created"),
    "password.reset_link": _l("Password reset link made"),
    "password.reset": _l("Password reset"),
    "password.changed": _l("Password changed"),
    "password.set": _l("Password set"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "pack.loaded": _l("Industry pack loaded"),
    "employees.imported": _l("Employees imported"),
    "message_template.saved": _l("Message template saved"),
    "message_template.reset": _l("Message template reset to the default"),
    "goal.saved": _l("Goal saved"),
    "goal.split_saved": _l("Goal split saved"),
    "goal.part_added": _l("Part added to a goal"),
    "goal.part_removed": _l("Part removed from a goal"),
    "goal.forecast_imported": _l("Goal forecast imported"),
    "goal.targets_filled": _l("Targets filled from the goal cascade"),
    "auth.signed_in": _l("Signed in"),
    "auth.sign_in_failed": _l("Sign-in failed"),
    "auth.signed_out": _l("Signed out"),
    "token.used": _l("API token used"),
    "export.downloaded": _l("File downloaded"),
    "course.saved": _l("Training course added"),
}
#: What an audit event is about (`audit.record`'s entity), for the organization's log.
AUDIT_ENTITY = {
    "activity_record": _l("Field record"),
    "activity_type": _l("Activity form"),
    "api_token": _l("API token"),
    "appraisal": _l("Appraisal"),
    "checkin": _l("1:1 check-in"),
    "course": _l("Training course"),
    "customer": _l("Customer"),
    "cycle": _l("Cycle"),
    "department": _l("Department"),
    "employee": _l("Employee"),
    "goal": _l("Goal"),
    "goal_node": _l("Part of a goal"),
    "export": _l("Export"),
    "indicator": _l("Indicator"),
    "invitation": _l("Invitation"),
    "membership": _l("Member"),
    "message_template": _l("Message template"),
    "metric": _l("Metric"),
    "organization": _l("Organization"),
    "photo": _l("Field photo"),
    "position": _l("Position"),
    "robot": _l("Group robot"),
    "scheme": _l("Scheme"),
    "template": _l("Template"),
    "user": _l("Account"),
    "work_plan": _l("Work plan"),
}
#: The fields of an edit as the audit log names them (`audit.changes`), with the vocabulary
#: their values are codes of (None: shown as they are). Others show their own name.
AUDIT_FIELD: dict[str, tuple[Any, str | None]] = {
    "name": (_l("Name"), None),
    "name_zh": (_l("Name (Chinese)"), None),
    "name_en": (_l("Name (English)"), None),
    "key": (_l("Key"), None),
    "code": (_l("Code"), None),
    "number": (_l("Employee number"), None),
    "email": (_l("Email"), None),
    "description": (_l("Description"), None),
    "unit": (_l("Unit"), None),
    "status": (_l("Status"), "employee_status"),
    "staff_kind": (_l("Staff"), "staff_kind"),
    "category": (_l("Category"), "category"),
    "direction": (_l("Direction"), "direction"),
    "item_type": (_l("Type"), "item_type"),
    "period": (_l("Period"), "period"),
    "raters": (_l("Raters"), "rater"),
    "roles": (_l("Roles"), None),
    "language": (_l("Language"), None),
    "hire_date": (_l("Hire date"), None),
    "department_id": (_l("Department"), None),
    "position_id": (_l("Position"), None),
    "manager_id": (_l("Manager"), None),
    "user_id": (_l("Sign-in"), None),
    "parent_id": (_l("Parent department"), None),
    "grade": (_l("Grade"), None),
    "proposed_grade": (_l("Proposed grade"), None),
    "total": (_l("Total"), None),
    "complete": (_l("Complete"), None),
    "target": (_l("Target"), None),
    "weight": (_l("Weight"), None),
    "starts_on": (_l("Starts"), None),
    "ends_on": (_l("Ends"), None),
    "held_on": (_l("Held on"), None),
    "next_on": (_l("Next check-in"), None),
    "agenda": (_l("Agenda"), None),
    "notes": (_l("Notes"), None),
    "blockers": (_l("Blockers"), None),
    "actions": (_l("Actions"), None),
    "subject": (_l("Subject"), None),
    "body": (_l("Body"), None),
    "kinds": (_l("Messages"), None),
    "webhook_url": (_l("Webhook address"), None),
    "secret": (_l("Signing secret"), None),
    "quotas": (_l("Grade quotas"), None),
    "two_level_calibration": (_l("Two-level calibration"), None),
    "managers_see_chain": (_l("Managers see their whole reporting chain"), None),
    "hr_reads_checkins": (_l("HR admins read 1:1 check-ins"), None),
    "skip_self_review_without_sign_in": (_l("Skip the self-review without a sign-in"), None),
    "template_version_id": (_l("Template version"), None),
    "department_ids": (_l("Departments"), None),
    "position_ids": (_l("Positions"), None),
    "rep_ids": (_l("Sales reps"), None),
    "address": (_l("Address"), None),
    "scoring": (_l("Scoring"), None),
}

#: Actions as recorded before every action was named `area.verb`: older history still
#: reads in words. Nothing records these any more.
RECORDED_BEFORE = {
    "saved": "indicator.saved",
    "deleted": "indicator.deleted",
    "archived": "indicator.archived",
    "restored": "indicator.restored",
    "created": "template.created",
    "draft saved": "template.draft_saved",
    "published": "template.published",
    "imported": "template.imported",
    "cloned": "template.cloned",
    "added": "member.added",
    "invited": "member.invited",
    "updated": "member.updated",
    "activated": "member.activated",
    "deactivated": "member.deactivated",
    "status": "employee.status_changed",
}
AUDIT_ACTION.update({old: AUDIT_ACTION[new] for old, new in RECORDED_BEFORE.items()})

#: Columns of the CSV/XLSX exports. English files keep the keys (the API's and the import's
#: names); other languages get words the import's aliases also accept.
COLUMN = {
    "employee_number": _l("Employee number"),
    "number": _l("Employee number"),
    "name": _l("Full name"),
    "email": _l("Email"),
    "department": _l("Department"),
    "position": _l("Position"),
    "manager_number": _l("Manager's employee number"),
    "hire_date": _l("Hire date"),
    "status": _l("Status"),
    "state": _l("State"),
    "complete": _l("Complete"),
    "base_total": _l("Base total"),
    "total": _l("Total"),
    "computed_grade": _l("Computed grade"),
    "grade": _l("Grade"),
    "veto": _l("Veto"),
    "item": _l("Item"),
    "from": _l("From"),
    "comment": _l("Comment"),
}
#: A field record's state (`states.RecordStatus`), as the phone and the manager read it.
#: What an activity form is for (`rules.activities.ACTIVITY_KINDS`).
ACTIVITY_KIND = {
    "plan": _l("Daily plan"),
    "report": _l("Daily report"),
    "visit": _l("Customer visit"),
    "check_in": _l("Check-in at a site"),
    "check_out": _l("Check-out from a site"),
    "expense": _l("Expense"),
    "service": _l("Service"),
    "other": _l("Other"),
}
YES_NO = {True: _l("yes"), False: _l("no")}
#: How a metric turns records into one number (`rules.metrics.AGGREGATIONS`), as the builder
#: offers it.
METRIC_AGGREGATION = {
    "count": _l("Count of records"),
    "distinct": _l("Count of different values"),
    "sum": _l("Sum"),
    "avg": _l("Average"),
    "min": _l("Smallest value"),
    "max": _l("Largest value"),
    "duration_avg": _l("Average duration"),
    "ratio": _l("Ratio of two metrics"),
    "share": _l("Share of records meeting a condition"),
}
#: A metric filter's comparison (`rules.metrics.OPERATORS`).
METRIC_OPERATOR = {
    "eq": _l("is"),
    "ne": _l("is not"),
    "gt": _l("is more than"),
    "ge": _l("is at least"),
    "lt": _l("is less than"),
    "le": _l("is at most"),
    "in": _l("is one of"),
    "not_in": _l("is none of"),
    "contains": _l("includes the option"),
    "empty": _l("is blank"),
    "not_empty": _l("is filled in"),
}
#: What a record or an event says of itself beside its fields (`rules.metrics` builtins).
METRIC_BUILTIN = {
    "customer": _l("Customer"),
    "outside_geofence": _l("Recorded outside the customer's geofence"),
    "has_location": _l("Has a location"),
    "occurred_at": _l("When it happened (time)"),
    "occurred_on": _l("When it happened (day)"),
    "source": _l("Sending system"),
}

VOCABULARIES = {
    "state": STATE,
    "event_status": EVENT_STATUS,
    "cycle_state": CYCLE_STATE,
    "appraisal_state": APPRAISAL_STATE,
    "rater": RATER,
    "role": ROLE,
    "staff_kind": STAFF_KIND,
    "employee_status": EMPLOYEE_STATUS,
    "period": PERIOD,
    "category": CATEGORY,
    "direction": DIRECTION,
    "item_type": ITEM_TYPE,
    "method": METHOD,
    "scoring_on": SCORING_ON,
    "adjustment_kind": ADJUSTMENT_KIND,
    "plan_kind": PLAN_KIND,
    "feedback_prompt": FEEDBACK_PROMPT,
    "appeal_status": APPEAL_STATUS,
    "review_status": REVIEW_STATUS,
    "record_status": RECORD_STATUS,
    "plan_state": PLAN_STATE,
    "plan_period": PLAN_PERIOD,
    "plan_link": PLAN_LINK,
    "plan_action": PLAN_ACTION,
    "feedback_kind": FEEDBACK_KIND,
    "evidence_kind": EVIDENCE_KIND,
    "feedback_visibility": FEEDBACK_VISIBILITY,
    "job_status": JOB_STATUS,
    "job_kind": JOB_KIND,
    "channel": CHANNEL,
    "delivery_status": DELIVERY_STATUS,
    "notification_kind": NOTIFICATION_KIND,
    "consent_choice": CONSENT_CHOICE,
    "location_purpose": LOCATION_PURPOSE,
    "location_source": LOCATION_SOURCE,
    "audit_action": AUDIT_ACTION,
    "audit_entity": AUDIT_ENTITY,
    "activity_kind": ACTIVITY_KIND,
    "field_type": FIELD_TYPE,
    "required_mode": REQUIRED_MODE,
    "metric_aggregation": METRIC_AGGREGATION,
    "metric_operator": METRIC_OPERATOR,
    "column": COLUMN,
}


def label(code: object, vocabulary: str) -> str:
    """The words for `code` in the user's language; an unknown code is shown as it is."""
    if code is None:
        return ""
    key = str(code)
    words = VOCABULARIES[vocabulary].get(key)
    if words is None:
        return key
    if not has_request_context():
        return str(words)
    found_key = (current_language(), vocabulary, key)
    found = _SHOWN.get(found_key)
    if found is None:  # a catalogue never changes while the process runs
        found = _SHOWN[found_key] = str(words)
    return found


#: Each label already put into words, by (locale, vocabulary, code): a list page shows a
#: state or role on every row, and each lazy text finds its catalogue again (about 10 µs).
#: Bounded by the vocabularies' size times the languages.
_SHOWN: dict[tuple[str, str, str], str] = {}


def reader_locale() -> Locale | None:
    """Flask-Babel's `get_locale()`, read where it keeps the request's choice once made:
    a page asks for it a hundred times (each translated text and label), and each
    `get_locale()` goes through Flask's context proxies four times (issue 20). A
    `force_locale` block sets the same place; before the choice is made (or should
    Flask-Babel keep it elsewhere one day) `get_locale()` itself answers."""
    if not has_app_context():
        return None
    chosen = getattr(g.get("_flask_babel"), "babel_locale", None)
    return chosen if chosen is not None else get_locale()


@cache
def _language_code(locale: Locale) -> str:
    return str(locale)


def current_language() -> str:
    """The reader's language code ("zh" or "en"); Chinese outside a request."""
    locale = reader_locale()
    return "zh" if locale is None else _language_code(locale)


def in_english() -> bool:
    return current_language() == "en"


def export_header(columns: Iterable[str], names: dict[str, str] | None = None) -> list[str]:
    """A file's header row in the user's language (the CLI's: the default language).

    English keeps the keys; `names` gives the words for columns of the user's own (a
    template's outputs), which otherwise keep their key."""
    names = names or {}
    if in_english():
        return list(columns)
    return [names.get(c) or str(COLUMN.get(c, c)) for c in columns]


def export_value(code: object, vocabulary: str) -> object:
    """A code in a file: kept in English files (scripts read them), words otherwise."""
    return code if in_english() else label(code, vocabulary)


def yes_no(value: bool) -> str:
    return ("yes" if value else "no") if in_english() else str(YES_NO[bool(value)])


def label_choices(vocabulary: str, only: Iterable[str] | None = None) -> list[tuple[str, object]]:
    """(code, lazy label) pairs for a select, in the vocabulary's order (or `only`'s)."""
    words = VOCABULARIES[vocabulary]
    return [(code, words[code]) for code in (only if only is not None else words)]
