"""The audit log's filters, read from the query string (a GET: no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Optional

from ..forms import SelectField
from ..labels import AUDIT_ENTITY, RECORDED_BEFORE, label_choices

#: The entity whose name heads an action's group in the select, where the action's area
#: (`area.verb`) is not itself an entity: the same "Saved" reads differently under each.
AREA_ENTITY = {
    "member": "membership",
    "interview": "appraisal",
    "pip": "appraisal",
    "idp": "appraisal",
    "plan": "appraisal",
    "appeal": "appraisal",
    "review": "appraisal",
    "activity": "activity_record",
    "consent": "employee",
    "event": "organization",
    "password": "user",
    "auth": "user",
    "token": "api_token",
    "pack": "organization",
    "employees": "employee",
    "feedback": "employee",
}


def action_choices() -> dict[str, list[tuple[str, object]]]:
    """The actions grouped under their entity's name, as `<optgroup>`s."""
    groups: dict[str, list[tuple[str, object]]] = {}
    for code, words in label_choices("audit_action"):
        if code in RECORDED_BEFORE:
            continue
        area = code.split(".")[0]
        entity = AREA_ENTITY.get(area, area)
        groups.setdefault(str(AUDIT_ENTITY.get(entity, "")), []).append((code, words))
    return groups


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    person = StringField(_l("Person"))
    action = SelectField(_l("Action"), default="")
    entity = SelectField(_l("Entity"), default="")
    since = DateField(_l("First day"), validators=[Optional()])
    until = DateField(_l("Last day"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _l("All"))]
        self.action.choices = {"": every, **action_choices()}
        self.entity.choices = every + label_choices("audit_entity")
