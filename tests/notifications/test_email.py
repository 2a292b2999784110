"""Issue 19, e-mail: an event reaches each person as one e-mail (plain text and HTML, in their
own language, with the link to the task) through a real SMTP server; user text is escaped in
the HTML and never reaches a header; a busy server (4xx) is tried again, a refusal (5xx)
fails that message only; without a mail server nothing is sent and the log says why; a
message goes once however often delivery runs; quiet hours and the daily digest hold; the
periodic job sends through the real queue."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from flask_babel import force_locale
from huey.consumer import Scheduler
from sqlalchemy import select

from appraisal.jobs import queue as jobs_queue
from appraisal.jobs.queue import consumer_in_threads
from appraisal.models import Job, Membership, NotificationPreference, OutboxMessage, User
from appraisal.notifications import delivery
from appraisal.notifications.services import Event, notify
from appraisal.states import Channel, DeliveryStatus, NotificationKind
from tests.jobs.conftest import wait_for

from .smtp_server import BusyFirst, Recorder, Refusing, free_port, smtp_server

NOON_SHANGHAI = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai
PUBLIC_URL = "https://perf.example.cn"


@pytest.fixture
def people(make, db):
    """An English reader and a Chinese reader in Acme."""
    org = make.org("acme", "Acme")
    en = make.member(org, "en@acme.example", roles=("employee",)).user_id
    zh = make.member(org, "zh@acme.example", roles=("employee",)).user_id
    db.get(User, en).language, db.get(User, en).name = "en", "Emma"
    db.get(User, zh).language, db.get(User, zh).name = "zh", "张伟"
    db.commit()
    return org, en, zh


def _mail_to(app, port: int | None) -> None:
    app.config.update(
        MAIL_SERVER="127.0.0.1" if port else None,
        MAIL_PORT=port or 25,
        MAIL_SENDER="Appraisal <perf@acme.example>",
        MAIL_TIMEOUT_SECONDS=5.0,
        PUBLIC_URL=PUBLIC_URL,
    )


def _tell(db, org, users, key="appraisal:1:self", now=NOON_SHANGHAI, **context):
    values = {"cycle": "2026 Q4", "employee": "Li Lei", "step": "self", "due": "2026-12-10"}
    notify(
        db,
        Event(
            organization_id=org.id,
            kind=NotificationKind.REVIEW_TO_FILL,
            key=key,
            user_ids=users,
            context={**values, **context},
            link="/appraisals/1",
        ),
        now,
    )
    db.commit()


def _deliver(app, db, now=NOON_SHANGHAI) -> dict[str, int]:
    with app.app_context(), force_locale("en"):
        handed = delivery.deliver_due(db, now)
    db.commit()
    return handed


def _messages(db, user_id=None) -> list[OutboxMessage]:
    db.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.channel == Channel.EMAIL)
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    return list(db.scalars(query.order_by(OutboxMessage.id)))


def test_each_person_gets_one_email_in_their_language_with_text_html_and_the_link(app, db, people):
    org, en, zh = people
    _tell(db, org, [en, zh])
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        assert _deliver(app, db) == {Channel.EMAIL: 2}
    by_address = {r.rcpt_tos[0]: r for r in server.received}
    assert sorted(by_address) == ["en@acme.example", "zh@acme.example"]
    assert len({r.peer for r in server.received}) == 1  # one connection for the run

    english = by_address["en@acme.example"]
    assert english.mail_from == "perf@acme.example"
    assert english.message["Subject"] == "A review to fill: Li Lei, 2026 Q4"
    assert english.message["To"] == "Emma <en@acme.example>"
    assert english.message.get_content_type() == "multipart/alternative"
    assert "The self review of Li Lei in 2026 Q4 waits for you (due 2026-12-10)." in english.text
    assert f"{PUBLIC_URL}/appraisals/1" in english.text
    assert f'<a href="{PUBLIC_URL}/appraisals/1">Open in the app</a>' in english.html
    assert "The self review of Li Lei in 2026 Q4 waits for you" in english.html

    chinese = by_address["zh@acme.example"]
    assert chinese.message["Subject"] == "待填写的评价：Li Lei，2026 Q4"
    assert "Li Lei 在 2026 Q4 的自评等待您处理（截止 2026-12-10）。" in chinese.text
    assert f'<a href="{PUBLIC_URL}/appraisals/1">在系统中打开</a>' in chinese.html
    assert '<html lang="zh-CN">' in chinese.html

    log = {m.user_id: m for m in _messages(db)}
    assert {m.status for m in log.values()} == {DeliveryStatus.SENT}
    assert log[zh].subject == "待填写的评价：Li Lei，2026 Q4" and log[zh].attempts == 1
    assert "2026-12-10" in log[zh].body


def test_each_email_says_its_language_in_its_headers(app, db, people):
    """RFC 3282: a mail client offers to translate, and a screen reader picks its voice, by
    the message's Content-Language; setting the body must not drop it (found by the browser
    journey: `set_content` clears every Content-* header set before it)."""
    org, en, zh = people
    _tell(db, org, [en, zh])
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db)
    by_address = {r.rcpt_tos[0]: r.message for r in server.received}
    assert by_address["en@acme.example"]["Content-Language"] == "en"
    assert by_address["zh@acme.example"]["Content-Language"] == "zh"


def test_user_text_is_escaped_in_the_html_and_never_starts_a_header(app, db, people):
    org, en, _zh = people
    db.get(User, en).name = "Emma\r\nBcc: name@evil.example"
    db.commit()
    _tell(
        db,
        org,
        [en],
        employee='<script>alert("x")</script>',
        cycle="2026 Q4\r\nBcc: cycle@evil.example",
    )
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db)
    [received] = server.received
    assert received.rcpt_tos == ["en@acme.example"]
    assert "Bcc" not in received.message
    headers = received.raw.split(b"\r\n\r\n")[0]
    assert not [line for line in headers.splitlines() if line.startswith(b"Bcc")]
    assert received.message["Subject"] == (
        'A review to fill: <script>alert("x")</script>, 2026 Q4 Bcc: cycle@evil.example'
    )
    assert received.message["To"].addresses[0].addr_spec == "en@acme.example"
    assert "<script>" not in received.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in received.html
    assert '<script>alert("x")</script>' in received.text  # plain text shows what was typed


def test_a_busy_server_is_tried_again_after_the_back_off(app, db, people):
    org, en, _zh = people
    _tell(db, org, [en])
    server = BusyFirst()
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db)
        [waiting] = _messages(db)
        assert (waiting.status, waiting.attempts) == (DeliveryStatus.PENDING, 1)
        assert waiting.last_error.startswith("SMTP 451 4.3.0 Mailbox busy")
        assert waiting.not_before.replace(tzinfo=UTC) == NOON_SHANGHAI + delivery.BACKOFF[0]
        assert server.received == []
        _deliver(app, db, NOON_SHANGHAI + timedelta(seconds=30))  # not yet
        assert server.received == []
        _deliver(app, db, NOON_SHANGHAI + delivery.BACKOFF[0])
    assert len(server.received) == 1
    [done] = _messages(db)
    assert (done.status, done.attempts, done.last_error) == (DeliveryStatus.SENT, 2, None)


def test_a_recipient_refused_for_good_fails_that_message_only(app, db, people):
    org, en, zh = people
    _tell(db, org, [en, zh])
    server = Refusing("en@acme.example")
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db)
        _deliver(app, db, NOON_SHANGHAI + timedelta(days=1))  # a failed message stays failed
    assert [r.rcpt_tos for r in server.received] == [["zh@acme.example"]]
    log = {m.user_id: m for m in _messages(db)}
    assert log[en].status == DeliveryStatus.FAILED
    assert log[en].last_error == "SMTP 550 5.1.1 No such mailbox here"
    assert log[zh].status == DeliveryStatus.SENT


def test_a_server_that_cannot_be_reached_leaves_the_messages_for_a_retry(app, db, people):
    org, en, zh = people
    _tell(db, org, [en, zh])
    _mail_to(app, free_port())  # nothing listens there
    _deliver(app, db)
    for message in _messages(db):
        assert (message.status, message.attempts) == (DeliveryStatus.PENDING, 1)
        assert message.last_error.startswith("ConnectionRefusedError")


def test_without_a_mail_server_nothing_is_sent_and_the_log_says_why(app, db, people):
    org, en, zh = people
    _tell(db, org, [en, zh])
    _mail_to(app, None)
    _deliver(app, db)
    for message in _messages(db):
        assert message.status == DeliveryStatus.SKIPPED
        assert message.last_error == "E-mail is not configured (MAIL_SERVER is not set)."


def test_nobody_to_send_to_is_skipped(app, db, people):
    org, en, zh = people
    _tell(db, org, [en, zh])
    db.get(User, en).email = "not-an-address"
    membership = db.scalar(select(Membership).where(Membership.user_id == zh))
    membership.active = False
    db.commit()
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db)
    assert server.received == []
    log = {m.user_id: m for m in _messages(db)}
    assert log[en].status == log[zh].status == DeliveryStatus.SKIPPED
    assert log[en].last_error == "The recipient has no usable e-mail address."
    assert log[zh].last_error == (
        "The recipient's account is inactive or no longer in the organization."
    )


def test_a_message_is_sent_once_however_often_delivery_runs(app, db, people):
    org, en, _zh = people
    _tell(db, org, [en])
    _tell(db, org, [en])  # the same event raised again
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db)
        _deliver(app, db)
        _deliver(app, db, NOON_SHANGHAI + delivery.LEASE + timedelta(hours=1))
    assert len(server.received) == 1


def test_an_email_waits_for_the_end_of_quiet_hours(app, db, people):
    org, en, _zh = people
    db.add(NotificationPreference(user_id=en, quiet_from=time(22), quiet_until=time(7)))
    db.commit()
    late = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    _tell(db, org, [en], now=late)
    seven = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 07:00 the next morning
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db, late)
        _deliver(app, db, seven - timedelta(minutes=1))
        assert server.received == []
        _deliver(app, db, seven)
    assert len(server.received) == 1
    [message] = _messages(db)
    assert message.sent_at.replace(tzinfo=UTC) == seven


def test_a_daily_digest_sends_the_days_events_as_one_email(app, db, people):
    org, en, zh = people
    db.add(NotificationPreference(user_id=en, daily_digest=True))
    db.commit()
    for number, employee in enumerate(("Li Lei", "Han Meimei", "Wang Fang"), start=1):
        _tell(db, org, [en, zh], key=f"appraisal:{number}:self", employee=employee)
    digest_time = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 08:00 the next day in Shanghai
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        _deliver(app, db)
        assert [r.rcpt_tos for r in server.received] == [["zh@acme.example"]] * 3
        _deliver(app, db, digest_time - timedelta(minutes=1))
        assert len(server.received) == 3
        _deliver(app, db, digest_time)
    [digest] = server.received[3:]
    assert digest.rcpt_tos == ["en@acme.example"]
    assert digest.message["Subject"] == "Acme: 3 notifications"
    for employee in ("Li Lei", "Han Meimei", "Wang Fang"):
        assert f"* A review to fill: {employee}, 2026 Q4" in digest.text
        assert f"<h3>A review to fill: {employee}, 2026 Q4</h3>" in digest.html
    first, *rest = _messages(db, en)
    assert (first.status, first.subject) == (DeliveryStatus.SENT, "Acme: 3 notifications")
    assert [(m.status, m.merged_into_id) for m in rest] == [(DeliveryStatus.MERGED, first.id)] * 2
    assert rest[0].subject == "A review to fill: Han Meimei, 2026 Q4"


def test_the_periodic_job_sends_the_outbox_through_the_queue(app, db, people, tmp_path):
    org, en, _zh = people
    app.config.update(
        JOBS_IMMEDIATE=False,
        JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}",
        JOBS_POLL_SECONDS=0.05,
        METRICS_SWEEP_MINUTES=0,
        NOTIFICATIONS_REMIND_MINUTES=0,
    )
    _tell(db, org, [en], now=datetime.now(UTC))
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        huey = jobs_queue.queue(app).huey
        Scheduler(huey, threading.Event(), 1, True).enqueue_periodic_tasks(datetime.now(UTC))
        with consumer_in_threads(app, workers=1, periodic=False):
            wait_for(lambda: server.received)
            wait_for(lambda: not huey.pending())
    db.expire_all()
    [job] = db.scalars(select(Job).where(Job.kind == delivery.DELIVER))
    assert wait_for(lambda: db.refresh(job) or job.status == "done")
    assert job.result == {"handed": {Channel.EMAIL: 1}}
    [message] = _messages(db)
    assert message.status == DeliveryStatus.SENT


def test_without_a_public_url_the_email_carries_no_link(app, db, people):
    org, en, _zh = people
    _tell(db, org, [en])
    server = Recorder()
    with smtp_server(server) as port:
        _mail_to(app, port)
        app.config["PUBLIC_URL"] = None
        _deliver(app, db)
    [received] = server.received
    assert "/appraisals/1" not in received.text and "<a " not in received.html
    assert "The self review of Li Lei in 2026 Q4 waits for you" in received.text
