from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import SelectField, SelectMultipleField, choices, optional_id_coerce
from ..labels import ROLE

ROLE_CHOICES = choices(list(ROLE.items()))
LANGUAGE_CHOICES = choices([("", _l("Browser default")), ("zh", "中文"), ("en", "English")])


class ScopeField(SelectField):
    """The department a scoped role is limited to; its choices are set by the view."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            _l("Department (for an HR business partner, a department head or an auditor)"),
            coerce=optional_id_coerce,
            validate_choice=False,
            description=_l(
                "They act in this department and every department below it. An auditor "
                "without a department reads the whole organization."
            ),
            **kwargs,
        )


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewMemberForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "For a new account only. A person who already has an account is invited and "
            "keeps their own password."
        ),
    )
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="")
    roles = CheckboxesField(_l("Roles"), choices=ROLE_CHOICES, default=["employee"])
    department = ScopeField()
    submit = SubmitField(_l("Save"))


class MemberRolesForm(FlaskForm):
    """The roles of a member whose account another organization shares: only roles here."""

    roles = CheckboxesField(_l("Roles"), choices=ROLE_CHOICES)
    department = ScopeField()
    submit = SubmitField(_l("Save"))


class EditMemberForm(MemberRolesForm):
    """A member whose account only this organization uses: its name and language too."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="")


class OrganizationSettingsForm(FlaskForm):
    managers_see_chain = BooleanField(
        _l("Managers also review and follow their reports' teams (not only their direct reports)")
    )
    hr_reads_checkins = BooleanField(
        _l("HR admins may read 1:1 check-ins (otherwise only the manager and the report)")
    )
