"""Issue 19: a person's own notification settings. The page shows every kind × personal
channel (the catalogue's defaults until the first save), quiet hours (both ends or neither,
refused next to the field with what was typed kept, 422) and the daily digest; what is saved
is what `notify` then does; a page opened before another save is refused (409)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from appraisal.models import Notification, NotificationPreference, OutboxMessage
from appraisal.notifications.catalogue import KINDS
from appraisal.notifications.services import Event, notify
from appraisal.states import PERSONAL_CHANNELS, NotificationKind
from tests.conftest import field_errors

NOON_SHANGHAI = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
LATE_SHANGHAI = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 23:30 in Asia/Shanghai
URL = "/notifications/preferences"


@pytest.fixture
def ann(make, auth):
    org = make.org("acme", "Acme")
    user_id = make.member(org, "ann@acme.example", roles=("employee",)).user_id
    auth.login("ann@acme.example")
    return org, user_id


def everything(**changes) -> dict[str, str]:
    """The form as first shown (every kind on both channels), with `changes`; a value of
    None leaves that input out (an unticked box, an empty time)."""
    data = {f"{kind}__{channel}": "y" for kind in KINDS for channel in PERSONAL_CHANNELS}
    data |= {"quiet_from": "", "quiet_until": "", "version": "0"}
    data |= changes
    return {k: v for k, v in data.items() if v is not None}


def checked(html: str) -> set[str]:
    return set(re.findall(r'<input checked[^>]*name="([a-z_]+__[a-z_]+)"', html)) | set(
        re.findall(r'<input[^>]*name="([a-z_]+__[a-z_]+)"[^>]*checked', html)
    )


def saved(db, user_id) -> NotificationPreference | None:
    db.expire_all()
    return db.get(NotificationPreference, user_id)


def tell(db, org, user_id, kind=NotificationKind.REVIEW_TO_FILL, key="appraisal:1:self", now=None):
    notify(
        db,
        Event(org.id, kind, key, [user_id], {"cycle": "2026 Q4", "employee": "Li Lei"}, "/x"),
        now or NOON_SHANGHAI,
    )
    db.commit()


def test_the_page_shows_every_kind_on_each_personal_channel_with_the_catalogues_defaults(
    client, ann
):
    html = client.get(URL).text
    assert checked(html) == {
        f"{kind.key}__{channel}" for kind in KINDS.values() for channel in kind.channels
    }
    for kind in KINDS.values():
        assert str(kind.label) in html
    assert "WeCom" not in re.search(r'id="channel-matrix".*?</table>', html, re.S).group()
    assert re.search(r'<a href="/account/" id="account-link">', html)
    assert 'name="version" type="hidden" value="0"' in html


def test_settings_round_trip_and_change_what_notify_writes(client, ann, db):
    org, user_id = ann
    posted = everything(
        review_to_fill__email=None,  # the bell only
        deadline_passed__in_app=None,  # e-mail only
        result_published__in_app=None,
        result_published__email=None,  # not at all
        quiet_from="22:00",
        quiet_until="07:00",
    )
    response = client.post(URL, data=posted)
    assert response.status_code == 302
    row = saved(db, user_id)
    assert row.version == 1
    assert row.quiet_from == time(22) and row.quiet_until == time(7)
    assert row.daily_digest is False
    # only what differs from the catalogue is stored
    assert row.channels == {
        "review_to_fill": ["in_app"],
        "deadline_passed": ["email"],
        "result_published": [],
    }
    html = client.get(URL).text
    assert checked(html) == {k for k in posted if "__" in k}
    assert 'value="22:00"' in html and 'value="07:00"' in html
    assert 'name="version" type="hidden" value="1"' in html

    tell(db, org, user_id)  # review_to_fill: the bell, no e-mail
    tell(db, org, user_id, NotificationKind.RESULT_PUBLISHED, "cycle:1:published")  # nothing
    tell(db, org, user_id, NotificationKind.DEADLINE_PASSED, "d:1", LATE_SHANGHAI)  # e-mail
    tell(db, org, user_id, NotificationKind.PEER_INVITATION, "p:1", LATE_SHANGHAI)  # both
    assert sorted(db.scalars(select(Notification.kind))) == ["peer_invitation", "review_to_fill"]
    mail = {m.kind: m.not_before for m in db.scalars(select(OutboxMessage))}
    assert set(mail) == {"deadline_passed", "peer_invitation"}
    # 23:30 is inside the quiet hours: the e-mail waits for 07:00 (23:00 UTC)
    assert mail["deadline_passed"].replace(tzinfo=UTC) == datetime(2026, 12, 1, 23, tzinfo=UTC)


def test_the_daily_digest_holds_mail_until_the_end_of_quiet_hours(client, ann, db):
    org, user_id = ann
    posted = everything(quiet_from="21:30", quiet_until="06:45", daily_digest="y", version="0")
    assert client.post(URL, data=posted).status_code == 302
    assert saved(db, user_id).daily_digest is True
    assert re.search(r'<input checked[^>]*name="daily_digest"', client.get(URL).text)
    tell(db, org, user_id)  # at noon: not quiet, but the digest waits for 06:45 tomorrow
    message = db.scalar(select(OutboxMessage))
    assert message.not_before.replace(tzinfo=UTC) == datetime(2026, 12, 1, 22, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "at"),
    [("22:00", "", "quiet_until"), ("", "07:00", "quiet_from"), ("08:00", "08:00", "quiet_until")],
)
def test_quiet_hours_need_both_ends_and_are_refused_next_to_the_field(
    client, ann, db, start, end, at
):
    _org, user_id = ann
    response = client.post(
        URL, data=everything(quiet_from=start, quiet_until=end, review_to_fill__email=None)
    )
    assert response.status_code == 422
    html = response.text
    errors = field_errors(html)
    assert len(errors) == 1
    assert errors[0] in (
        "Give both the start and the end of your quiet hours, or neither.",
        "Quiet hours must end at another time than they start.",
    )
    # the message sits with its own field, and what was typed is kept
    field_html = html[html.index(f'id="{at}"') :]
    assert field_html.index("invalid-feedback") < field_html.index("<input", 10)
    for typed in (start, end):
        if typed:
            assert f'value="{typed}"' in html
    assert "review_to_fill__email" not in checked(html)
    assert saved(db, user_id) is None


def test_a_time_that_is_no_time_is_refused_in_the_users_language(client, ann, db):
    _org, user_id = ann
    response = client.post(URL, data=everything(quiet_from="25:99", quiet_until="07:00"))
    assert response.status_code == 422
    assert field_errors(response.text)
    assert 'value="25:99"' in response.text
    assert saved(db, user_id) is None
    client.post("/language", data={"language": "zh"})
    response = client.post(URL, data=everything(quiet_from="22:00", quiet_until=""))
    assert response.status_code == 422
    assert field_errors(response.text) == ["请同时填写免打扰的开始和结束时间，或都不填。"]


def test_a_page_opened_before_another_save_is_refused_with_409(client, ann, db):
    _org, user_id = ann
    assert client.post(URL, data=everything(quiet_from="22:00", quiet_until="07:00")).status_code
    assert saved(db, user_id).version == 1
    # a second tab opened before the first save (no row then) posts version 0
    stale = client.post(URL, data=everything(review_to_fill__in_app=None, version="0"))
    assert stale.status_code == 409
    assert "Someone else saved this form" in stale.text
    assert 'name="version" type="hidden" value="1"' in stale.text  # saving again overwrites
    assert "review_to_fill__in_app" not in checked(stale.text)  # what was typed is kept
    row = saved(db, user_id)
    assert row.version == 1 and row.channels == {} and row.quiet_from == time(22)
    # and one that showed version 1 after the row moved to 2
    assert client.post(URL, data=everything(version="1")).status_code == 302
    assert saved(db, user_id).version == 2
    assert client.post(URL, data=everything(version="1")).status_code == 409
