"""The preferences page's form: a checkbox per kind × personal channel (`<kind>__<channel>`),
quiet hours and the daily digest. Whether quiet hours make sense is the service's to say
(`preferences.check_quiet_hours`), so the page and any other caller refuse alike."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField, TimeField
from wtforms.validators import Optional

from ..concurrency import NO_ROW_YET
from ..forms import VersionedForm
from ..labels import label
from ..models import NotificationPreference
from ..states import PERSONAL_CHANNELS
from .catalogue import KINDS
from .preferences import Choices, current_choices


def channel_field(kind: str, channel: str) -> str:
    return f"{kind}__{channel}"


class _ChannelLabel:
    """The words a screen reader gives a checkbox of the matrix ("A deadline passed:
    E-mail"), drawn in the reader's language when the page is."""

    def __init__(self, kind: str, channel: str) -> None:
        self.kind, self.channel = kind, channel

    def __str__(self) -> str:
        return f"{KINDS[self.kind].label}: {label(self.channel, 'channel')}"


class PreferenceForm(VersionedForm):
    quiet_from = TimeField(_l("Quiet from"), validators=[Optional()])
    quiet_until = TimeField(_l("Quiet until"), validators=[Optional()])
    daily_digest = BooleanField(_l("One e-mail a day instead of one per notification"))
    submit = SubmitField(_l("Save"))

    @classmethod
    def for_choices(cls, choices: Choices, row: NotificationPreference | None) -> PreferenceForm:
        """The form showing `choices` (a post's values win over them)."""
        data: dict[str, Any] = {
            channel_field(kind, channel): channel in chosen
            for kind, chosen in choices.channels.items()
            for channel in PERSONAL_CHANNELS
        }
        data |= {
            "quiet_from": choices.quiet_from,
            "quiet_until": choices.quiet_until,
            "daily_digest": choices.daily_digest,
            "version": str(row.version if row is not None else NO_ROW_YET),
        }
        return cls(data=data)

    def choices(self) -> Choices:
        """What was posted, as the service takes it."""
        return Choices(
            channels={
                kind: [c for c in PERSONAL_CHANNELS if self[channel_field(kind, c)].data]
                for kind in KINDS
            },
            quiet_from=self.quiet_from.data,
            quiet_until=self.quiet_until.data,
            daily_digest=bool(self.daily_digest.data),
        )


for _kind in KINDS:
    for _channel in PERSONAL_CHANNELS:
        setattr(
            PreferenceForm,
            channel_field(_kind, _channel),
            BooleanField(_ChannelLabel(_kind, _channel)),
        )
del _kind, _channel


def initial_form(row: NotificationPreference | None) -> PreferenceForm:
    return PreferenceForm.for_choices(current_choices(row), row)
