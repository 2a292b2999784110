"""HTML forms of the act phase: appeals and their answers, interviews, development plans
and the training catalogue, each post read through one so a value of the wrong kind is
refused rather than dropped."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from ...forms import PostedForm, version_field


class AppealForm(PostedForm):
    reason = TextAreaField(_l("Reason"), default="")


class ResolveForm(PostedForm):
    decision = StringField(default="")
    reply = TextAreaField(_l("Reply"), default="")
    to = StringField(_l("Back to step"), default="")


class ScheduleForm(PostedForm):
    scheduled_at = DateTimeLocalField(_l("When"), validators=[Optional()])
    location = StringField(_l("Where"), default="")


class InterviewRecordForm(PostedForm):
    notes = TextAreaField(_l("What was discussed"), default="")
    actions = TextAreaField(_l("Agreed actions"), default="")
    version = version_field()


class PlanForm(PostedForm):
    kind = StringField(_l("Kind of plan"), default="")
    goals = TextAreaField(_l("Goals"), default="")
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    resources = StringField(_l("Resources"), default="")


class CheckinForm(PostedForm):
    note = StringField(_l("Check-in"), default="")


class ClosePlanForm(PostedForm):
    outcome = StringField(_l("Outcome"), default="")


class CourseForm(PostedForm):
    name = StringField(_l("Course"), default="")
    where = StringField(_l("Link or place"), default="")
    indicators = StringField(_l("Indicators it develops (keys, comma-separated)"), default="")
    below = IntegerField(_l("Suggest below the score"), validators=[Optional()])
