"""The group robot page's form. Choices are not validated here: `robot_services.check_robot`
refuses a private kind, another organization's department or a foreign host with words of
its own, next to the field, whatever a client posts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import Length

from ..forms import NONE_CHOICE, SelectField, VersionedForm, choices, id_coerce
from ..users.forms import CheckboxesField
from .robot_services import NAME_LIMIT, ROBOT_CHANNEL, ROBOT_LANGUAGES, RobotValues, robot_kinds


class RobotForm(VersionedForm):
    name = StringField(
        _l("Name"),
        validators=[Length(max=NAME_LIMIT)],
        description=_l("The group chat it posts to, e.g. Sales East."),
    )
    channel = SelectField(
        _l("Platform"), choices=choices(ROBOT_CHANNEL.items()), validate_choice=False
    )
    # Never filled from the row: the URL holds the robot's token and is stored encrypted.
    webhook = StringField(
        _l("Webhook URL"),
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"},
        description=_l(
            "From the robot's settings in the group: https://qyapi.weixin.qq.com/… (WeCom) or "
            "https://oapi.dingtalk.com/robot/send?access_token=… (DingTalk)."
        ),
    )
    secret = PasswordField(
        _l("Signing secret (DingTalk)"),
        render_kw={"autocomplete": "new-password"},
        description=_l("The 加签 secret that starts with SEC, when the robot has one."),
    )
    clear_secret = BooleanField(_l("Remove the stored signing secret"))
    department_id = SelectField(
        _l("Whose tasks it posts"), coerce=id_coerce, validate_choice=False, default=NONE_CHOICE
    )
    language = SelectField(
        _l("Language of the group"),
        choices=choices(ROBOT_LANGUAGES),
        validate_choice=False,
        default="zh",
    )
    kinds = CheckboxesField(_l("Messages it posts"), validate_choice=False)
    submit = SubmitField(_l("Save"))

    def offer(self, departments: list[tuple[int, str]]) -> None:
        """The choices: the whole organization or a department (with the ones below it), and
        only the kinds a group may read."""
        self.department_id.choices = choices(departments, none_label=_l("The whole organization"))
        self.kinds.choices = choices(robot_kinds())
        if self.department_id.data is None:
            self.department_id.data = NONE_CHOICE

    def describe_stored(self, webhook: str | None, has_secret: bool) -> None:
        """On a robot's page: what is stored, never the secret itself."""
        self.webhook.description = _l(
            "Stored: %(url)s… (its token is not shown). Leave empty to keep it; paste a new "
            "URL to replace it.",
            url=webhook or "",
        )
        self.secret.description = (
            _l("A secret is set; leave empty to keep it.") if has_secret else _l("No secret set.")
        )

    def values(self, channel: str) -> RobotValues:
        return RobotValues(
            name=self.name.data or "",
            channel=channel,
            webhook=self.webhook.data or "",
            secret=self.secret.data or "",
            clear_secret=bool(self.clear_secret.data),
            department_id=self.department_id.data or None,
            language=self.language.data or "",
            kinds=list(self.kinds.data or []),
        )
