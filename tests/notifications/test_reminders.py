"""Issue 19: deadline reminders on the days each cycle's reminder days name, counted on the
organization's clock (23:30 UTC is already the next day in Shanghai), once per person however
often the job runs, only to people whose step is still open; a missed day is caught up once
by the latest reminder; HR types the days on the cycle form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from appraisal.jobs import registry
from appraisal.models import Cycle, Notification, OutboxMessage, User
from appraisal.notifications import reminders
from appraisal.notifications.reminders import Reminder, remind_due, reminder_due
from appraisal.runtime.cycles import cycles
from appraisal.runtime.reviews import invitations
from appraisal.states import NotificationKind
from tests.conftest import field_errors
from tests.runtime.conftest import appraisal_of

K = NotificationKind
DUE = date(2026, 12, 5)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def reminded(db) -> list[tuple[str, str, str, dict]]:
    rows = db.execute(
        select(User.email, Notification.kind, Notification.dedupe_key, Notification.context)
        .join(User, User.id == Notification.user_id)
        .where(Notification.kind.in_([K.DEADLINE_APPROACHING, K.DEADLINE_PASSED]))
        .order_by(Notification.id)
    )
    return [tuple(row) for row in rows]


@pytest.fixture
def self_reviews(db, company, launched) -> Cycle:
    """Ann still in her self-review (due 5 December), Pat past it; no other deadline."""
    launched.goals_due, launched.self_review_due = None, DUE
    launched.reminder_days = [-3, 0, 1]
    appraisal_of(db, company, "ann").state = "self_review"
    appraisal_of(db, company, "pat").state = "manager_review"
    db.commit()
    return launched


def test_reminder_days_pick_the_latest_reached_and_never_an_approaching_one_late():
    offsets = [-3, 0, 1]
    assert reminder_due(DUE, offsets, date(2026, 12, 1)) is None
    assert reminder_due(DUE, offsets, date(2026, 12, 2)) == Reminder(-3, K.DEADLINE_APPROACHING, 3)
    assert reminder_due(DUE, offsets, date(2026, 12, 4)) == Reminder(-3, K.DEADLINE_APPROACHING, 1)
    assert reminder_due(DUE, offsets, DUE) == Reminder(0, K.DEADLINE_APPROACHING, 0)
    assert reminder_due(DUE, offsets, date(2026, 12, 9)) == Reminder(1, K.DEADLINE_PASSED, 4)
    assert reminder_due(DUE, [-3, 0], date(2026, 12, 6)) is None  # no overdue reminder asked
    assert reminder_due(DUE, [], DUE) is None


def test_reminders_arrive_on_the_organizations_day_once_and_not_for_finished_steps(
    app, db, company, self_reviews
):
    key = f"cycle:{self_reviews.id}:self:2026-12-05"
    with app.app_context():
        remind_due(db, at(1, 15, 0))  # 23:00 on 1 December in Shanghai: not yet
        db.commit()
        assert reminded(db) == []
        remind_due(db, at(1, 23, 30))  # 07:30 on 2 December in Shanghai: three days before
        remind_due(db, at(2, 3, 0))  # the job again, the same day
        db.commit()
        remind_due(db, at(5, 2))  # the day itself
        remind_due(db, at(6, 2))  # the day after: overdue
        remind_due(db, at(6, 9))
        db.commit()
    context = {"cycle": "2026-Q4", "step": "self", "due": "2026-12-05"}
    assert reminded(db) == [
        ("ann@acme.example", K.DEADLINE_APPROACHING, f"{key}:-3", {**context, "days": 3}),
        ("ann@acme.example", K.DEADLINE_APPROACHING, f"{key}:0", {**context, "days": 0}),
        ("ann@acme.example", K.DEADLINE_PASSED, f"{key}:1", {**context, "days": 1}),
    ]
    assert {n.link for n in db.scalars(select(Notification))} == {"/tasks"}
    assert len(list(db.scalars(select(OutboxMessage)))) == 3  # one e-mail each


def test_a_worker_down_over_the_reminder_days_sends_only_the_latest_once(
    app, db, company, self_reviews
):
    with app.app_context():
        remind_due(db, at(8, 1))  # first run since 30 November: 3 days overdue
        remind_due(db, at(9, 1))
        db.commit()
    assert [(r[1], r[3]["days"]) for r in reminded(db)] == [(K.DEADLINE_PASSED, 3)]


def test_the_people_whose_part_is_open_are_each_told_once(app, db, company, launched):
    """Goal setting with targets missing: each employee, and their manager who sets them
    (Bo once, although three of his people wait; HR for Bo and Olga, who have none); a peer
    who has not answered hears of the manager's review's deadline; who left hears nothing."""
    launched.goals_due = launched.manager_review_due = DUE
    launched.reminder_days = [0]
    company.people["oscar"].status = "left"
    ann = appraisal_of(db, company, "ann")
    bo = company.viewer(db, "boss@acme.example")
    invitations.invite(db, ann, bo, "peer", company.people["olga"].user_id)
    db.commit()
    with app.app_context():
        remind_due(db, at(5, 1))
        db.commit()
    by_step: dict[str, list[str]] = {}
    for email, _kind, _key, context in reminded(db):
        by_step.setdefault(context["step"], []).append(email)
    assert sorted(by_step["goals"]) == [
        "ann@acme.example",
        "boss@acme.example",
        "hr@acme.example",
        "olga@acme.example",
        "pat@acme.example",
        "quinn@acme.example",
    ]
    assert by_step["peer"] == ["olga@acme.example"]
    assert set(by_step) == {"goals", "peer"}


def test_the_cycle_form_takes_the_reminder_days_and_refuses_bad_ones_at_the_field(
    client, auth, db, company, launched
):
    auth.login("hr@acme.example")
    data = {
        "scheme_id": launched.scheme_id,
        "name": "2027-Q1",
        "starts_on": "2027-01-01",
        "ends_on": "2027-03-31",
        "anonymity_threshold": "3",
    }
    for typed, message in (
        ("-3, soon", "Type whole numbers of days separated by commas, for example -3, 0, 1."),
        ("-31, 0", "Reminder days lie between -30 and 30."),
        ("1, 2, 3, 4, 5, 6, 7", "At most 6 reminder days."),
    ):
        refused = client.post("/cycles/new", data={**data, "reminder_days": typed})
        assert refused.status_code == 422
        assert field_errors(refused.text) == [message]
        assert f'value="{typed}"' in refused.text
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    refused = client.post("/cycles/new", data={**data, "reminder_days": "-31"})
    assert field_errors(refused.text) == ["提醒日须在 -30 到 30 之间。"]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    saved = client.post("/cycles/new", data={**data, "reminder_days": "2, -1, 2"})
    assert saved.status_code == 302
    cycle = db.scalar(select(Cycle).where(Cycle.name == "2027-Q1"))
    assert cycle.reminder_days == [-1, 2]
    page = client.get(saved.headers["Location"]).text
    assert "Reminders: 1 days before, 2 days after" in page


def test_reminders_follow_the_days_typed_for_the_cycle(app, db, company, self_reviews):
    self_reviews.reminder_days = cycles.parse_reminder_days("-1")
    db.commit()
    with app.app_context():
        for day in range(1, 8):
            remind_due(db, at(day, 2))
        db.commit()
    assert [(r[2].rsplit(":", 1)[1], r[3]["days"]) for r in reminded(db)] == [("-1", 1)]


def test_the_reminder_job_has_a_fixed_name_and_its_period_from_the_configuration(app):
    job = registry.PERIODIC[reminders.REMIND]
    assert job.name == "notifications.remind"
    assert job.every == "NOTIFICATIONS_REMIND_MINUTES" and app.config[job.every] == 60


def test_a_group_robot_hears_the_deadlines_but_never_who_owes_a_peer_review(
    app, db, company, launched
):
    """A peer reminder names its reviewer: it goes to the reviewer, never to a group chat."""
    from appraisal.models import Robot
    from appraisal.states import Channel

    launched.goals_due = launched.manager_review_due = DUE
    launched.reminder_days = [0]
    robot = Robot(
        organization_id=company.org.id,
        channel=Channel.DINGTALK,
        name="Everyone",
        webhook_encrypted="not read here",
        kinds=[K.DEADLINE_APPROACHING, K.DEADLINE_PASSED],
    )
    db.add(robot)
    ann = appraisal_of(db, company, "ann")
    bo = company.viewer(db, "boss@acme.example")
    invitations.invite(db, ann, bo, "peer", company.people["olga"].user_id)
    db.commit()
    with app.app_context():
        remind_due(db, at(5, 1))
        db.commit()
    posted = db.scalars(select(OutboxMessage).where(OutboxMessage.robot_id == robot.id)).all()
    assert posted and {m.context["step"] for m in posted} == {"goals"}
    assert ("olga@acme.example", "peer") in {(e, c["step"]) for e, _k, _key, c in reminded(db)}
