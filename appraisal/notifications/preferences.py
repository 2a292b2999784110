"""A person's own notification choices: the personal channels of each kind, quiet hours
and the daily digest (`NotificationPreference`, read by `services.notify`). Never commits.

Only choices that differ from the catalogue are stored for a kind, so a kind whose default
changes later (or a new kind) follows the catalogue for everyone who never changed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..concurrency import expect_version
from ..errors import ServiceError
from ..models import NotificationPreference
from ..states import PERSONAL_CHANNELS
from .catalogue import KINDS
from .services import channels_for

BOTH_OR_NEITHER = _l("Give both the start and the end of your quiet hours, or neither.")
SAME_TIME = _l("Quiet hours must end at another time than they start.")


@dataclass(frozen=True)
class Choices:
    """What the preferences page shows and saves: every kind's personal channels."""

    channels: Mapping[str, Sequence[str]]
    quiet_from: time | None = None
    quiet_until: time | None = None
    daily_digest: bool = False


def preference_of(session: Session, user_id: int) -> NotificationPreference | None:
    """The person's saved choices; None until their first save (the defaults apply)."""
    return session.get(NotificationPreference, user_id)


def current_choices(preference: NotificationPreference | None) -> Choices:
    """The choices in force: the saved ones, the catalogue's default where none is saved."""
    channels = {kind: channels_for(preference, kind) for kind in KINDS}
    if preference is None:
        return Choices(channels)
    return Choices(channels, preference.quiet_from, preference.quiet_until, preference.daily_digest)


def check_quiet_hours(start: time | None, end: time | None) -> None:
    """Quiet hours are a span: both ends or neither, and not empty (22:00–07:00 is fine)."""
    if (start is None) != (end is None):
        raise ServiceError(BOTH_OR_NEITHER, "quiet_until" if end is None else "quiet_from")
    if start is not None and start == end:
        raise ServiceError(SAME_TIME, "quiet_until")


def save_preferences(
    session: Session, user_id: int, choices: Choices, version: int | None
) -> NotificationPreference:
    """Save the person's choices (the first save creates the row); `version` is what the
    page showed (`concurrency.NO_ROW_YET` before the first save), None for no expectation."""
    row = preference_of(session, user_id)
    expect_version(row, version)
    check_quiet_hours(choices.quiet_from, choices.quiet_until)
    stored: dict[str, list[str]] = {}
    for kind, chosen in choices.channels.items():
        if kind not in KINDS:
            raise ServiceError(_l("Unknown kind of notification: %(kind)s", kind=kind))
        picked = [c for c in PERSONAL_CHANNELS if c in set(chosen)]
        if set(chosen) - set(picked):
            raise ServiceError(_l("A notification goes only to you in the app or by e-mail."))
        if set(picked) != set(KINDS[kind].channels):
            stored[kind] = [str(c) for c in picked]
    if row is None:
        row = NotificationPreference(user_id=user_id)
        session.add(row)
    row.channels = stored
    row.quiet_from = choices.quiet_from
    row.quiet_until = choices.quiet_until
    row.daily_digest = choices.daily_digest
    session.flush()
    return row
