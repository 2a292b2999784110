"""Issue 19: an event becomes in-app entries and outbox messages once per person and
channel (however often it is raised), as each person's preferences say; e-mail waits for
the end of quiet hours or for the daily digest; a group robot hears only its kinds, only
about its department's people, and never a private kind; delivery claims, retries with
back-off and fails for good after the last attempt."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from appraisal.models import (
    Department,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Robot,
)
from appraisal.notifications import delivery
from appraisal.notifications.services import Event, notify
from appraisal.states import Channel, NotificationKind

NOON_SHANGHAI = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


@pytest.fixture
def people(make, db):
    org = make.org("acme")
    a = make.member(org, "a@acme.example", roles=("employee",)).user_id
    b = make.member(org, "b@acme.example", roles=("employee",)).user_id
    return org, a, b


def _event(org, users, key="appraisal:1:self", kind=NotificationKind.REVIEW_TO_FILL):
    return Event(
        organization_id=org.id,
        kind=kind,
        key=key,
        user_ids=users,
        context={"cycle": "2026 Q4", "employee": "Li Lei", "step": "self", "due": "2026-12-10"},
        link="/appraisals/1",
    )


def _count(db, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return db.scalar(query)


def test_an_event_told_twice_reaches_each_person_once_per_channel(db, people):
    org, a, b = people
    notify(db, _event(org, [a, b, a]), NOON_SHANGHAI)
    notify(db, _event(org, [a, b]), NOON_SHANGHAI)
    db.commit()
    assert _count(db, Notification) == 2
    assert _count(db, OutboxMessage, channel=Channel.EMAIL) == 2
    notify(db, _event(org, [a], key="appraisal:2:self"), NOON_SHANGHAI)
    db.commit()
    assert _count(db, Notification, user_id=a) == 2


def test_a_kind_turned_off_is_heard_nowhere_and_the_bell_only_sends_no_mail(db, people):
    org, a, b = people
    db.add(NotificationPreference(user_id=a, channels={NotificationKind.REVIEW_TO_FILL: []}))
    db.add(
        NotificationPreference(user_id=b, channels={NotificationKind.REVIEW_TO_FILL: ["in_app"]})
    )
    db.commit()
    notify(db, _event(org, [a, b]), NOON_SHANGHAI)
    db.commit()
    assert _count(db, Notification, user_id=a) == 0
    assert _count(db, Notification, user_id=b) == 1
    assert _count(db, OutboxMessage) == 0


def test_mail_waits_for_the_end_of_quiet_hours_in_the_organizations_zone(db, people):
    org, a, b = people
    # 22:00–07:00 in Shanghai; 23:30 local is 15:30 UTC
    db.add(NotificationPreference(user_id=a, quiet_from=time(22), quiet_until=time(7)))
    db.commit()
    late = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    notify(db, _event(org, [a, b]), late)
    db.commit()
    waits = {m.user_id: m.not_before for m in db.scalars(select(OutboxMessage))}
    assert waits[b].replace(tzinfo=UTC) == late
    assert waits[a].replace(tzinfo=UTC) == datetime(
        2026, 12, 1, 23, 0, tzinfo=UTC
    )  # 07:00 next day
    assert delivery.claim_due(db, late, 10) == [
        m.id for m in db.scalars(select(OutboxMessage).where(OutboxMessage.user_id == b))
    ]


def test_a_robot_hears_its_kinds_about_its_departments_people_and_never_a_private_kind(
    db, make, people
):
    org, a, b = people
    sales = Department(organization_id=org.id, name="Sales")
    east = Department(organization_id=org.id, name="East", parent=sales)
    db.add_all([sales, east])
    db.flush()
    make.employee(org, "E1", user_id=a, department_id=east.id)
    make.employee(org, "E2", user_id=b)
    kinds = [NotificationKind.REVIEW_TO_FILL, NotificationKind.RESULT_PUBLISHED]
    robot = Robot(
        organization_id=org.id,
        channel=Channel.DINGTALK,
        name="Sales group",
        department_id=sales.id,
        webhook_encrypted="x",
        kinds=kinds,
    )
    db.add(robot)
    db.commit()
    notify(db, _event(org, [a, b]), NOON_SHANGHAI)
    notify(db, _event(org, [a, b], key="cycle:1:published", kind=NotificationKind.RESULT_PUBLISHED))
    db.commit()
    posted = list(db.scalars(select(OutboxMessage).where(OutboxMessage.robot_id == robot.id)))
    assert [(m.kind, m.context["employee"]) for m in posted] == [
        (NotificationKind.REVIEW_TO_FILL, "Li Lei")
    ]


def test_a_message_claimed_by_one_run_is_not_handed_to_another(db, people):
    org, a, b = people
    notify(db, _event(org, [a, b]), NOON_SHANGHAI)
    db.commit()
    first = delivery.claim_due(db, NOON_SHANGHAI, 1)
    second = delivery.claim_due(db, NOON_SHANGHAI, 10)
    assert len(first) == 1 and len(second) == 1 and first != second
    assert delivery.claim_due(db, NOON_SHANGHAI, 10) == []
    # a run that died mid-way leaves its claim; the lease runs out and the message is due again
    assert sorted(delivery.claim_due(db, NOON_SHANGHAI + delivery.LEASE, 10)) == sorted(
        first + second
    )


def test_old_delivered_messages_and_read_entries_are_pruned_and_nothing_waiting(db, people):
    """The delivery log and the bell keep NOTIFICATIONS_KEEP_DAYS, not for ever; a message
    still to send and an entry never opened stay whatever their age."""
    from datetime import timedelta

    from appraisal.models import utcnow
    from appraisal.states import DeliveryStatus

    org, a, b = people
    long_ago = utcnow() - timedelta(days=200)
    notify(db, _event(org, [a, b], key="old"), long_ago)
    notify(db, _event(org, [a, b], key="new"))
    db.commit()
    old_mail = db.scalars(
        select(OutboxMessage).where(OutboxMessage.created_at < utcnow() - timedelta(days=100))
    ).all()
    old_mail[0].status = DeliveryStatus.SENT  # a's old e-mail went; b's still waits
    old_entries = db.scalars(
        select(Notification).where(Notification.dedupe_key == "old").order_by(Notification.user_id)
    ).all()
    old_entries[0].read_at = long_ago  # a read the old one; b never opened it
    db.commit()
    assert delivery.prune_old(db, utcnow(), 180) == {"outbox": 1, "entries": 1}
    db.commit()
    assert _count(db, OutboxMessage) == 3 and _count(db, Notification) == 3
    assert _count(db, Notification, dedupe_key="old", user_id=b) == 1
