"""HTML forms of schemes and cycles: a scheme, a cycle, and who of a launch preview is
included."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...forms import PostedForm, SelectField, SelectMultipleField, VersionedForm, choices, id_coerce
from ...labels import label_choices


class SchemeForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    template_version_id = SelectField(_l("Template version"), coerce=id_coerce)
    staff_kind = SelectField(_l("Staff kind"), choices=choices(label_choices("staff_kind")))
    period = SelectField(_l("Period"), choices=choices(label_choices("period")), default="quarter")
    department_ids = SelectMultipleField(_l("Departments (none: all)"), coerce=id_coerce)
    position_ids = SelectMultipleField(_l("Positions (none: all)"), coerce=id_coerce)
    skip_self_review_without_sign_in = BooleanField(
        _l("Skip the self-review for people without a sign-in"),
        description=_l("Otherwise HR or their manager writes it on their behalf."),
    )
    submit = SubmitField(_l("Save"))


class CycleForm(FlaskForm):
    scheme_id = SelectField(_l("Scheme"), coerce=id_coerce)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    starts_on = DateField(_l("Period starts"), validators=[DataRequired()])
    ends_on = DateField(_l("Period ends"), validators=[DataRequired()])
    goals_due = DateField(_l("Goals due"), validators=[Optional()])
    self_review_due = DateField(_l("Self-reviews due"), validators=[Optional()])
    manager_review_due = DateField(_l("Manager reviews due"), validators=[Optional()])
    anonymity_threshold = IntegerField(
        _l("Peer responses needed before the employee sees them"),
        default=3,
        validators=[DataRequired(), NumberRange(min=1, max=20)],
    )
    reminder_days = StringField(
        _l("Reminder days"),
        default="-3, 0, 1",
        description=_l(
            "Days from each due date, separated by commas: -3 is three days before, 0 the "
            "day itself, 1 the day after (an overdue reminder). Empty: no reminders."
        ),
    )
    submit = SubmitField(_l("Create and preview"))


class LaunchForm(PostedForm):
    """Launch for everyone the scheme covers, except the employee numbers HR leaves out (a
    rule with exceptions: no form of ten thousand checkboxes)."""

    leave_out = TextAreaField(
        _l("Leave out"),
        description=_l("Employee numbers of people not to appraise, separated by commas or lines."),
        validators=[Length(max=200_000)],
    )
