"""HTML forms of work plans, check-ins and feedback notes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from ...forms import IdField, PostedForm, SelectField, VersionedForm, version_field
from ...labels import label


class NewPlanForm(PostedForm):
    employee_id = IdField(_l("For"), validators=[Optional()])
    period = SelectField(_l("Period"), choices=[], validate_choice=False)
    day = DateField(_l("A day in the month or quarter"), validators=[Optional()])


class PlanItemForm(PostedForm):
    title = StringField(_l("Task"), default="")
    description = TextAreaField(_l("Description"), default="")
    due_on = DateField(_l("Due"), validators=[Optional()])
    weight = StringField(_l("Weight (%)"), default="")
    measure = StringField(_l("Measure"), default="")
    link_kind = StringField(_l("Linked to"), default="")
    link_item = StringField(_l("Item of the appraisal template"), default="")
    link_ref = StringField(_l("Customer code, link or reference"), default="")
    version = version_field()


class PlanMoveForm(PostedForm):
    action = StringField(default="")
    comment = TextAreaField(_l("Comments"), default="")
    version = version_field()


class PlanUpdateForm(PostedForm):
    item_id = IdField(_l("Task"), validators=[Optional()])
    note = TextAreaField(_l("What was done"), default="")
    progress = IntegerField(_l("Progress (%)"), validators=[Optional()])
    evidence = StringField(_l("Evidence (a link)"), default="")
    files = MultipleFileField(
        _l("Files"), description=_l("PDF, Word, Excel or PowerPoint; at most 8 MB each")
    )
    photos = MultipleFileField(_l("Photos"))


class SelfAssessForm(PostedForm):
    self_assessment = TextAreaField(_l("Self-assessment"), default="")
    version = version_field()


class RateForm(PostedForm):
    rating = IntegerField(_l("Rating (1–5)"), validators=[Optional()])
    rating_comment = TextAreaField(_l("Comment"), default="")
    version = version_field()


class CheckInForm(VersionedForm):
    employee_id = IdField(_l("With"), validators=[Optional()])
    held_on = DateField(_l("Held on"), validators=[Optional()])
    agenda = TextAreaField(_l("Agenda"), default="")
    notes = TextAreaField(_l("Notes"), default="")
    blockers = TextAreaField(_l("Blockers"), default="")
    actions = TextAreaField(_l("Agreed actions"), default="")
    next_on = DateField(_l("Next check-in"), validators=[Optional()])


class FeedbackForm(PostedForm):
    recipient_id = IdField(_l("To"), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    text = TextAreaField(_l("Feedback"), default="")
    indicator_id = IdField(_l("About the indicator"), validators=[Optional()])
    private = BooleanField(_l("Only for their manager"))
    request_id = IdField(validators=[Optional()])


class FeedbackRequestForm(PostedForm):
    asked_id = IdField(_l("Ask"), validators=[Optional()])
    about_id = IdField(_l("About"), validators=[Optional()])
    message = TextAreaField(_l("Message"), default="")


def vocabulary_choices(codes, vocabulary: str) -> list[tuple[str, str]]:
    return [(str(code), label(code, vocabulary)) for code in codes]
