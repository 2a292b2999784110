"""Issue 19: the 企业微信 and 钉钉 group robots, against a real local HTTP server that checks
each post's JSON and 钉钉's signature as DingTalk does. A burst is merged into one digest, a
robot gets at most 20 posts a minute, errors are retried (a rate-limit code waits a minute),
a robot turned off skips its messages, secrets are stored encrypted and rotated, and the
server posts only to the robots' own hosts (an SSRF guard)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from appraisal import encryption
from appraisal.models import AuditEvent, NotificationPreference, OutboxMessage, Robot, as_utc
from appraisal.notifications import delivery
from appraisal.notifications import robot_services as setup
from appraisal.notifications.channels import robots
from appraisal.notifications.services import Event, notify
from appraisal.states import Channel, DeliveryStatus, NotificationKind
from tests.conftest import field_errors
from tests.notifications.robot_server import SIGN_MISMATCH, robot_server

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
SECRET = "SEC5f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1"


@pytest.fixture
def server():
    with robot_server() as running:
        yield running


@pytest.fixture
def ctx(app):
    """The app as the delivery job runs it: in an app context, robots allowed on loopback."""
    app.config["NOTIFICATIONS_ROBOT_HOSTS"] = "127.0.0.1"
    with app.app_context():
        yield app


@pytest.fixture
def org(make):
    org = make.org("acme")
    return org


@pytest.fixture
def person(make, db, org):
    """Ann hears of her tasks in the app only: the outbox holds the robots' messages alone."""
    user_id = make.member(org, "ann@acme.example", roles=("employee",)).user_id
    db.add(NotificationPreference(user_id=user_id, channels={NotificationKind.REVIEW_TO_FILL: []}))
    db.commit()
    return user_id


def _keys(app):
    return encryption.keys_from_config(app.config)


def _robot(db, app, org, url, channel=Channel.DINGTALK, secret="", **values) -> Robot:
    robot = setup.save_robot(
        db,
        org.id,
        setup.RobotValues(
            name=values.pop("name", "Sales group"),
            channel=channel,
            webhook=url,
            secret=secret,
            kinds=values.pop("kinds", [NotificationKind.REVIEW_TO_FILL]),
            **values,
        ),
        _keys(app),
        ["127.0.0.1"],
    )
    db.commit()
    return robot


def _tell(db, org, person, n=1, first=0, employee="Li Lei", at=NOW):
    for i in range(first, first + n):
        notify(
            db,
            Event(
                organization_id=org.id,
                kind=NotificationKind.REVIEW_TO_FILL,
                key=f"appraisal:{i}:self",
                user_ids=[person],
                context={"cycle": "2026 Q4", "employee": employee, "step": "self", "due": "12-10"},
                link=f"/appraisals/{i}",
            ),
            at,
        )
    db.commit()


def _deliver(db, at=NOW):
    handed = delivery.deliver_due(db, at)
    db.commit()
    return handed


def _messages(db, robot):
    db.expire_all()
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.robot_id == robot.id)
            .order_by(OutboxMessage.id)
        )
    )


def _status(db, robot):
    return [m.status for m in _messages(db, robot)]


# -- the two platforms --------------------------------------------------------------------------


def test_a_dingtalk_robot_gets_a_signed_markdown_post(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.dingtalk("dt1", SECRET), secret=SECRET, language="en")
    _tell(db, org, person)
    assert _deliver(db) == {Channel.DINGTALK: 1}
    (post,) = server.posts("dt1")
    assert post["msgtype"] == "markdown"
    assert post["markdown"]["title"] == "A review to fill: Li Lei, 2026 Q4"
    assert "The self review of Li Lei in 2026 Q4 waits for you" in post["markdown"]["text"]
    assert server.refused == []
    (message,) = _messages(db, robot)
    assert message.status == DeliveryStatus.SENT and message.attempts == 1
    assert message.subject == "A review to fill: Li Lei, 2026 Q4"


def test_a_wrong_signature_is_refused_by_the_platform_and_retried(db, ctx, org, person, server):
    url = server.dingtalk("dt1", SECRET)
    robot = _robot(db, ctx, org, url, secret="SECnot-the-one-dingtalk-has")
    _tell(db, org, person)
    _deliver(db)
    assert server.posts("dt1") == [] and server.refused == [("dt1", SIGN_MISMATCH)]
    (message,) = _messages(db, robot)
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1
    assert message.last_error == "errcode 310000: sign not match"


def test_the_signature_is_base64_hmac_sha256_url_encoded():
    # "timestamp\nsecret" keyed by the secret; the base64 holds + / = and so must be encoded
    sign = robots.sign("this is secret", 1577262236757)
    digest = hmac.new(b"this is secret", b"1577262236757\nthis is secret", hashlib.sha256)
    assert urllib.parse.unquote_plus(sign) == base64.b64encode(digest.digest()).decode()
    assert not set("+/=") & set(sign)
    url = "https://oapi.dingtalk.com/robot/send?access_token=t"
    assert robots.signed_url(url, "s", 1) == f"{url}&timestamp=1&sign={robots.sign('s', 1)}"


def test_a_wecom_robot_gets_markdown_content_and_the_link(db, ctx, org, person, server):
    ctx.config["PUBLIC_URL"] = "https://perf.example.cn/"
    robot = _robot(db, ctx, org, server.wecom("wx1"), channel=Channel.WECOM, language="en")
    _tell(db, org, person)
    _deliver(db)
    (post,) = server.posts("wx1")
    assert set(post) == {"msgtype", "markdown"} and set(post["markdown"]) == {"content"}
    content = post["markdown"]["content"]
    assert content.startswith("#### A review to fill: Li Lei, 2026 Q4\n\n")
    assert "[Open](https://perf.example.cn/appraisals/0)" in content
    assert _status(db, robot) == [DeliveryStatus.SENT]


def test_a_robot_reads_in_its_groups_language(db, ctx, org, person, server):
    _robot(db, ctx, org, server.wecom("wx1"), channel=Channel.WECOM, language="zh")
    _tell(db, org, person, n=2)
    _deliver(db)
    (post,) = server.posts("wx1")
    assert post["markdown"]["content"].startswith("#### 2 条通知\n")


def test_user_text_is_markdown_escaped(db, ctx, org, person, server):
    _robot(db, ctx, org, server.wecom("wx1"), channel=Channel.WECOM, language="en")
    _tell(db, org, person, employee="**Boss** [win](http://evil.example) <@all>\n# Fired")
    _deliver(db)
    content = server.posts("wx1")[0]["markdown"]["content"]
    assert r"\*\*Boss\*\* \[win\](http://evil.example) \<@all\>" in content
    assert "[win](" not in content and "<@all>" not in content
    assert "\n# Fired" not in content and r"\# Fired" in content


# -- merging and the minute ---------------------------------------------------------------------


def test_a_burst_of_25_messages_goes_as_one_digest(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.dingtalk("dt1", SECRET), secret=SECRET, language="en")
    _tell(db, org, person, n=25)
    _deliver(db)
    (post,) = server.posts("dt1")
    assert post["markdown"]["title"] == "25 notifications"
    assert post["markdown"]["text"].count("- **A review to fill") == 25
    messages = _messages(db, robot)
    head, rest = messages[0], messages[1:]
    assert head.status == DeliveryStatus.SENT and head.subject == "25 notifications"
    assert {m.status for m in rest} == {DeliveryStatus.MERGED}
    assert {m.merged_into_id for m in rest} == {head.id}
    assert rest[0].subject.startswith("A review to fill")  # the log shows each one's words


def test_a_digest_longer_than_the_robot_takes_leaves_the_rest_for_the_next_run(
    db, ctx, org, person, server
):
    robot = _robot(db, ctx, org, server.wecom("wx1"), channel=Channel.WECOM, language="en")
    _tell(db, org, person, n=60, employee="Li Lei " * 5)
    _deliver(db)
    first = server.posts("wx1")
    assert len(first) == 1 and server.refused == []  # within 企业微信's 4,096 bytes
    waiting = [m for m in _messages(db, robot) if m.status == DeliveryStatus.PENDING]
    assert 0 < len(waiting) < 60
    assert {as_utc(m.not_before) for m in waiting} == {NOW}
    _deliver(db, NOW + timedelta(minutes=1))
    _deliver(db, NOW + timedelta(minutes=2))
    assert set(_status(db, robot)) == {DeliveryStatus.SENT, DeliveryStatus.MERGED}
    assert sum(p["markdown"]["content"].count("- **") for p in server.posts("wx1")) == 60


def test_the_21st_post_within_a_minute_waits_until_the_minute_frees(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.dingtalk("dt1"))
    for i in range(21):
        _tell(db, org, person, first=i, at=NOW + timedelta(seconds=2 * i))
        _deliver(db, NOW + timedelta(seconds=2 * i))
    assert len(server.posts("dt1")) == 20
    last = _messages(db, robot)[-1]
    assert last.status == DeliveryStatus.PENDING and last.attempts == 0
    assert as_utc(last.not_before) == NOW + timedelta(seconds=60)
    _deliver(db, NOW + timedelta(seconds=59))
    assert len(server.posts("dt1")) == 20
    _deliver(db, NOW + timedelta(seconds=60))
    assert len(server.posts("dt1")) == 21
    assert _status(db, robot) == [DeliveryStatus.SENT] * 21


def test_two_robots_each_have_their_own_minute(db, ctx, org, person, server):
    _robot(db, ctx, org, server.dingtalk("dt1"), name="A")
    _robot(db, ctx, org, server.wecom("wx1"), channel=Channel.WECOM, name="B")
    for i in range(3):
        _tell(db, org, person, first=i, at=NOW + timedelta(seconds=i))
        _deliver(db, NOW + timedelta(seconds=i))
    assert len(server.posts("dt1")) == 3 and len(server.posts("wx1")) == 3


# -- errors -------------------------------------------------------------------------------------


def test_a_500_is_retried_after_the_back_off_then_sent(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.dingtalk("dt1", SECRET), secret=SECRET)
    server.answers["dt1"] = [(500, {"error": "busy"})]
    _tell(db, org, person)
    _deliver(db)
    (message,) = _messages(db, robot)
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1
    assert message.last_error.startswith("HTTP 500")
    assert as_utc(message.not_before) == NOW + delivery.BACKOFF[0]
    _deliver(db, NOW + timedelta(seconds=30))
    assert server.posts("dt1") == []
    _deliver(db, NOW + delivery.BACKOFF[0])
    assert len(server.posts("dt1")) == 1
    assert _status(db, robot) == [DeliveryStatus.SENT]


@pytest.mark.parametrize(("channel", "code"), [(Channel.DINGTALK, 130101), (Channel.WECOM, 45009)])
def test_a_rate_limit_code_waits_a_minute(db, ctx, org, person, server, channel, code):
    url = server.dingtalk("r1") if channel == Channel.DINGTALK else server.wecom("r1")
    robot = _robot(db, ctx, org, url, channel=channel)
    server.answers["r1"] = [(200, {"errcode": code, "errmsg": "send too fast"})]
    _tell(db, org, person, n=3)
    _deliver(db)
    messages = _messages(db, robot)
    assert {m.status for m in messages} == {DeliveryStatus.PENDING}
    assert {as_utc(m.not_before) for m in messages} == {NOW + timedelta(seconds=60)}
    assert messages[0].last_error == f"errcode {code}: send too fast"
    _deliver(db, NOW + timedelta(seconds=60))
    assert len(server.posts("r1")) == 1
    assert _status(db, robot) == [DeliveryStatus.SENT] + [DeliveryStatus.MERGED] * 2


def test_another_error_code_is_retried_then_failed_with_its_message(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.wecom("wx1"), channel=Channel.WECOM)
    server.answers["wx1"] = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})] * 10
    _tell(db, org, person)
    at = NOW
    for _attempt in range(len(delivery.BACKOFF) + 1):
        _deliver(db, at)
        at += timedelta(days=1)
    (message,) = _messages(db, robot)
    assert message.status == DeliveryStatus.FAILED
    assert message.attempts == len(delivery.BACKOFF) + 1
    assert message.last_error == "errcode 93000: invalid webhook url"


def test_an_unreachable_robot_is_retried(db, ctx, org, person):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    robot = _robot(db, ctx, org, f"http://127.0.0.1:{port}/robot/send?access_token=x")
    _tell(db, org, person)
    _deliver(db)
    (message,) = _messages(db, robot)
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1
    assert "refused" in message.last_error.lower()
    assert "access_token" not in message.last_error


def test_a_redirect_is_not_followed(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.dingtalk("dt1"))
    server.dingtalk("elsewhere")
    server.answers["dt1"] = [(302, {})]
    _tell(db, org, person)
    _deliver(db)
    assert server.posts("elsewhere") == []
    assert _messages(db, robot)[0].last_error.startswith("HTTP 302")


def test_a_robot_turned_off_skips_its_waiting_messages(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.dingtalk("dt1"))
    _tell(db, org, person, n=2)
    setup.set_robot_active(db, robot, False, robot.version, None)
    db.commit()
    _deliver(db)
    assert server.posts("dt1") == []
    assert _status(db, robot) == [DeliveryStatus.SKIPPED] * 2
    assert _messages(db, robot)[0].last_error == "the robot is turned off"
    _tell(db, org, person, first=5)  # nothing new is filed for it while it is off
    assert len(_messages(db, robot)) == 2


def test_a_kind_unticked_since_is_skipped(db, ctx, org, person, server):
    robot = _robot(db, ctx, org, server.dingtalk("dt1"))
    _tell(db, org, person)
    robot.kinds = [NotificationKind.DEADLINE_PASSED]
    db.commit()
    _deliver(db)
    assert server.posts("dt1") == [] and _status(db, robot) == [DeliveryStatus.SKIPPED]


def test_a_deleted_robots_messages_go_with_it_and_others_still_go(db, ctx, org, person, server):
    gone = _robot(db, ctx, org, server.dingtalk("dt1"), name="A")
    kept = _robot(db, ctx, org, server.wecom("wx1"), channel=Channel.WECOM, name="B")
    _tell(db, org, person)
    setup.delete_robot(db, gone, gone.version, None)
    db.commit()
    _deliver(db)
    assert server.posts("dt1") == [] and len(server.posts("wx1")) == 1
    assert _status(db, kept) == [DeliveryStatus.SENT]
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 1


# -- secrets ------------------------------------------------------------------------------------


def test_the_webhook_and_secret_are_stored_encrypted(db, ctx, org, server):
    url = server.dingtalk("tok-4242", SECRET)
    robot = _robot(db, ctx, org, url, secret=SECRET)
    row = db.execute(
        select(Robot.webhook_encrypted, Robot.secret_encrypted).where(Robot.id == robot.id)
    ).one()
    for stored, plain in zip(row, (url, SECRET), strict=True):
        assert stored != plain and "tok-4242" not in stored and SECRET[:12] not in stored
        assert encryption.decrypt(stored, _keys(ctx)) == plain
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity == "robot")).all()
    assert [e.action for e in events] == ["robot.created"]
    assert "tok-4242" not in json.dumps(events[0].detail) and SECRET not in json.dumps(
        events[0].detail
    )


def test_rotation_moves_every_secret_to_the_new_key(db, ctx, org, person, server, runner):
    old = _keys(ctx)
    robot = _robot(db, ctx, org, server.dingtalk("dt1", SECRET), secret=SECRET)
    new = encryption.new_key()
    ctx.config["ENCRYPTION_KEYS"] = f"{new},{old[0].decode()}"
    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "1 robot" in result.output
    db.expire_all()
    stored = db.get(Robot, robot.id)
    only_new = (new.encode(),)
    assert encryption.decrypt(stored.secret_encrypted, only_new) == SECRET
    with pytest.raises(encryption.DecryptionFailed):
        encryption.decrypt(stored.webhook_encrypted, old)
    ctx.config["ENCRYPTION_KEYS"] = new  # the old key dropped: the robot still posts
    _tell(db, org, person)
    _deliver(db)
    assert len(server.posts("dt1")) == 1 and server.refused == []


def test_rotation_without_the_old_key_changes_nothing_and_says_so(db, ctx, org, server, runner):
    robot = _robot(db, ctx, org, server.dingtalk("dt1"))
    before = robot.webhook_encrypted
    ctx.config["ENCRYPTION_KEYS"] = encryption.new_key()
    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code != 0 and "ENCRYPTION_KEYS" in result.output
    db.expire_all()
    assert db.get(Robot, robot.id).webhook_encrypted == before


def test_the_secrets_commands_print_keys(ctx, runner):
    made = runner.invoke(args=["secrets", "new-key"]).output.strip()
    assert encryption.parse_keys(made)
    derived = runner.invoke(args=["secrets", "derived-key"]).output.strip()
    assert derived.encode() == encryption.derived_key(ctx.config["SECRET_KEY"])


# -- the SSRF guard -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "url", "allowed"),
    [
        (Channel.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", True),
        (Channel.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=t", True),
        (Channel.DINGTALK, "http://oapi.dingtalk.com/robot/send?access_token=t", False),
        (Channel.WECOM, "https://oapi.dingtalk.com/robot/send?access_token=t", False),
        (Channel.DINGTALK, "https://169.254.169.254/latest/meta-data", False),
        (Channel.DINGTALK, "https://oapi.dingtalk.com@10.0.0.1/robot/send", False),
        (Channel.DINGTALK, "https://oapi.dingtalk.com.evil.example/robot/send", False),
        (Channel.DINGTALK, "https://10.0.0.1\\@oapi.dingtalk.com/robot/send", False),
        (Channel.DINGTALK, "file:///etc/passwd", False),
        (Channel.DINGTALK, "http://127.0.0.1:8080/robot/send", False),
        (Channel.DINGTALK, "https://oapi.dingtalk.com:99999/robot/send", False),
        # what the HTTP client cannot send (probe 19: it stopped every organization's run)
        (Channel.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/发送?key=k", False),
        (Channel.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k\x01", False),
        (Channel.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k\x7f", False),
    ],
)
def test_a_webhook_must_be_on_the_platforms_own_host(app, channel, url, allowed):
    with app.test_request_context():
        assert (robots.webhook_problem(channel, url) is None) is allowed


def test_a_host_in_notifications_robot_hosts_is_allowed(app):
    hosts = robots.allowed_hosts({"NOTIFICATIONS_ROBOT_HOSTS": " relay.corp.example, 127.0.0.1"})
    assert hosts == {"relay.corp.example", "127.0.0.1"}
    with app.test_request_context():
        assert robots.webhook_problem(Channel.WECOM, "http://127.0.0.1:9/x", hosts) is None
        assert robots.webhook_problem(Channel.WECOM, "http://10.0.0.1/x", hosts) is not None


def test_a_stored_webhook_whose_host_is_no_longer_allowed_is_not_posted_to(
    db, ctx, org, person, server
):
    robot = _robot(db, ctx, org, server.dingtalk("dt1"))
    ctx.config["NOTIFICATIONS_ROBOT_HOSTS"] = None
    _tell(db, org, person)
    _deliver(db)
    assert server.posts("dt1") == []
    (message,) = _messages(db, robot)
    assert message.status == DeliveryStatus.SKIPPED
    assert re.search(r"webhook refused", message.last_error)


def _store_webhook(db, app, robot, url):
    """A webhook stored as it is (saved before a check refused it, or written by hand)."""
    robot.webhook_encrypted = encryption.encrypt(url, _keys(app))
    db.commit()


def test_a_webhook_the_client_cannot_send_fails_its_robot_only(db, ctx, make, org, person, server):
    """Probe 19: a URL with a character the HTTP client refuses (a pasted Chinese word) raised
    out of the sender and failed the whole delivery run, every organization's, every minute."""
    bad = _robot(db, ctx, org, server.wecom("bad"), channel=Channel.WECOM)
    _store_webhook(db, ctx, bad, "http://127.0.0.1:9/cgi-bin/发送?key=bad")
    other = make.org("globex")
    colleague = make.member(other, "gus@globex.example", roles=("employee",)).user_id
    db.add(
        NotificationPreference(user_id=colleague, channels={NotificationKind.REVIEW_TO_FILL: []})
    )
    db.commit()
    good = _robot(db, ctx, other, server.dingtalk("good"), name="Globex group")
    _tell(db, org, person)
    _tell(db, other, colleague)
    _deliver(db)
    assert len(server.posts("good")) == 1
    assert [m.status for m in _messages(db, good)] == [DeliveryStatus.SENT]
    (message,) = _messages(db, bad)
    assert message.status == DeliveryStatus.SKIPPED
    assert "webhook refused" in message.last_error and "key=bad" not in message.last_error


def test_an_unexpected_error_with_one_robot_leaves_the_others_going(
    db, ctx, org, person, server, monkeypatch
):
    bad = _robot(db, ctx, org, server.wecom("bad"), channel=Channel.WECOM)
    good = _robot(db, ctx, org, server.dingtalk("good"), name="Other group")
    real_post = robots.post

    def post(target, title, text, **options):
        if "bad" in target.url:
            raise RuntimeError("a bug")
        return real_post(target, title, text, **options)

    monkeypatch.setattr(robots, "post", post)
    _tell(db, org, person)
    _deliver(db)
    assert [m.status for m in _messages(db, good)] == [DeliveryStatus.SENT]
    (message,) = _messages(db, bad)
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1


def test_a_garbled_answer_is_retried(db, ctx, org, person):
    """Not HTTP at all (a status line of garbage) is a failed attempt, not a crash."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def answer_garbage():
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"garbage\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        robot = _robot(db, ctx, org, f"http://127.0.0.1:{port}/robot/send?access_token=x")
        _tell(db, org, person)
        _deliver(db)
        thread.join(timeout=5)
    (message,) = _messages(db, robot)
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1
    assert message.last_error


# -- HR's pages ---------------------------------------------------------------------------------


@pytest.fixture
def hr(make, org, auth, app):
    app.config["NOTIFICATIONS_ROBOT_HOSTS"] = "127.0.0.1"
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    return org


def _form(url, **values):
    return {
        "name": "Sales group",
        "channel": "dingtalk",
        "webhook": url,
        "secret": "",
        "department_id": "0",
        "language": "zh",
        "kinds": [NotificationKind.REVIEW_TO_FILL, NotificationKind.DEADLINE_PASSED],
        **values,
    }


def _only_robot(db):
    db.expire_all()
    return db.scalars(select(Robot)).one()


def test_hr_adds_a_robot_whose_secrets_are_never_shown_back(client, db, app, hr, server):
    url = server.dingtalk("tok-777", SECRET)
    response = client.post("/notifications/robots/new", data=_form(url, secret=SECRET))
    assert response.status_code == 302
    robot = _only_robot(db)
    assert response.headers["Location"] == f"/notifications/robots/{robot.id}"
    assert robot.kinds == [NotificationKind.REVIEW_TO_FILL, NotificationKind.DEADLINE_PASSED]
    assert encryption.decrypt(robot.secret_encrypted, _keys(app)) == SECRET
    page = client.get(f"/notifications/robots/{robot.id}").text
    listing = client.get("/notifications/robots").text
    for html in (page, listing):
        assert "tok-777" not in html and SECRET[:10] not in html
    assert f"Stored: {server.base}/robot/send…" in page and "A secret is set" in page
    assert "Sales group" in listing and ">set<" in listing


def test_an_empty_secret_or_webhook_keeps_what_is_stored(client, db, app, hr, server):
    url = server.dingtalk("tok-777", SECRET)
    client.post("/notifications/robots/new", data=_form(url, secret=SECRET))
    robot = _only_robot(db)
    stored = (robot.webhook_encrypted, robot.secret_encrypted)
    response = client.post(
        f"/notifications/robots/{robot.id}",
        data=_form("", name="Sales East", version=robot.version, kinds=["deadline_passed"]),
    )
    assert response.status_code == 302
    robot = _only_robot(db)
    assert (robot.webhook_encrypted, robot.secret_encrypted) == stored
    assert robot.name == "Sales East" and robot.kinds == ["deadline_passed"]
    client.post(
        f"/notifications/robots/{robot.id}",
        data=_form("", version=robot.version, clear_secret="y"),
    )
    assert _only_robot(db).secret_encrypted is None


def test_only_a_groups_kinds_are_offered_and_a_private_one_is_refused(client, db, hr, server):
    page = client.get("/notifications/robots/new").text
    offered = set(re.findall(r'name="kinds"[^>]*value="([a-z_]+)"', page)) | set(
        re.findall(r'value="([a-z_]+)"[^>]*name="kinds"', page)
    )
    assert offered == {k for k, kind in setup.KINDS.items() if kind.robot_safe}
    response = client.post(
        "/notifications/robots/new",
        data=_form(server.dingtalk("t"), name="Typed name", kinds=["result_published"]),
    )
    assert response.status_code == 422
    assert "private ones (results, appeals, interviews) go to the person alone" in response.text
    assert 'value="Typed name"' in response.text
    assert db.scalar(select(func.count()).select_from(Robot)) == 0


def test_a_webhook_on_another_host_is_refused_next_to_the_field(client, db, hr):
    typed = "https://169.254.169.254/latest/meta-data"
    response = client.post("/notifications/robots/new", data=_form(typed))
    assert response.status_code == 422
    assert "must be on oapi.dingtalk.com" in response.text
    assert f'value="{typed}"' in response.text
    wecom = client.post(
        "/notifications/robots/new",
        data=_form("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", channel="wecom"),
    )
    assert wecom.status_code == 422 and "must start with https://" in wecom.text
    assert db.scalar(select(func.count()).select_from(Robot)) == 0


def test_a_wecom_robot_has_no_secret_and_a_department_must_be_the_organizations(
    client, db, make, hr, server
):
    other = make.org("globex")
    from appraisal.models import Department

    foreign = Department(organization_id=other.id, name="Theirs")
    db.add(foreign)
    db.commit()
    response = client.post(
        "/notifications/robots/new",
        data=_form(
            server.wecom("k"), channel="wecom", secret="SECx", department_id=str(foreign.id)
        ),
    )
    assert response.status_code == 422
    assert "Only a DingTalk robot has a signing secret." in response.text
    assert "Choose one of the organization&#39;s departments." in response.text


def test_a_save_from_a_stale_page_is_a_conflict(client, db, hr, server):
    client.post("/notifications/robots/new", data=_form(server.dingtalk("t")))
    robot = _only_robot(db)
    old = robot.version
    client.post(f"/notifications/robots/{robot.id}", data=_form("", version=old, name="First"))
    response = client.post(
        f"/notifications/robots/{robot.id}", data=_form("", version=old, name="Second")
    )
    assert response.status_code == 409
    assert 'value="Second"' in response.text
    assert _only_robot(db).name == "First"
    stale = client.post(f"/notifications/robots/{robot.id}/delete", data={"version": str(old)})
    assert stale.status_code == 409 and db.scalar(select(func.count()).select_from(Robot)) == 1


def test_a_test_message_is_posted_at_once_and_the_answer_shown(client, db, hr, server):
    client.post(
        "/notifications/robots/new",
        data=_form(server.dingtalk("t", SECRET), secret=SECRET, language="en"),
    )
    robot = _only_robot(db)
    page = client.post(f"/notifications/robots/{robot.id}/test", follow_redirects=True).text
    assert "The robot took the test message" in page and "errcode" in page
    (post,) = server.posts("t")
    assert post["markdown"]["title"] == "Test message"
    server.answers["t"] = [(200, {"errcode": 310000, "errmsg": "keywords not in content"})]
    page = client.post(f"/notifications/robots/{robot.id}/test", follow_redirects=True).text
    assert "did not take the test message: errcode 310000: keywords not in content" in page


def test_a_test_message_to_a_webhook_the_client_cannot_send_says_why(client, db, app, hr, server):
    client.post("/notifications/robots/new", data=_form(server.dingtalk("t")))
    robot = _only_robot(db)
    _store_webhook(db, app, robot, "http://127.0.0.1:9/robot/发送?access_token=t")
    response = client.post(f"/notifications/robots/{robot.id}/test", follow_redirects=True)
    assert response.status_code == 200
    assert "did not take the test message" in response.text
    assert "access_token" not in response.text


def test_a_webhook_with_a_character_no_url_has_is_refused_next_to_the_field(client, db, hr):
    url = "https://oapi.dingtalk.com/robot/发送?access_token=t"
    response = client.post("/notifications/robots/new", data=_form(url))
    assert response.status_code == 422
    assert field_errors(response.text)
    assert db.scalar(select(func.count()).select_from(Robot)) == 0


def test_hr_turns_a_robot_off_and_on_and_deletes_it(client, db, hr, server):
    client.post("/notifications/robots/new", data=_form(server.dingtalk("t")))
    robot = _only_robot(db)
    off = client.post(
        f"/notifications/robots/{robot.id}/active", data={"active": "0", "version": robot.version}
    )
    assert off.status_code == 302 and _only_robot(db).active is False
    assert "Turned off" in client.get("/notifications/robots").text
    robot = _only_robot(db)
    client.post(
        f"/notifications/robots/{robot.id}/active", data={"active": "1", "version": robot.version}
    )
    robot = _only_robot(db)
    assert robot.active is True
    gone = client.post(f"/notifications/robots/{robot.id}/delete", data={"version": robot.version})
    assert gone.status_code == 302 and gone.headers["Location"] == "/notifications/robots"
    assert db.scalar(select(func.count()).select_from(Robot)) == 0
    robot_events = AuditEvent.entity == "robot"  # not the client's own sign-in
    actions = db.scalars(
        select(AuditEvent.action).where(robot_events).order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "robot.created",
        "robot.turned_off",
        "robot.turned_on",
        "robot.deleted",
    ]


def _robot_urls(robot_id):
    return [
        ("get", "/notifications/robots"),
        ("get", "/notifications/robots/new"),
        ("get", f"/notifications/robots/{robot_id}"),
        ("post", f"/notifications/robots/{robot_id}"),
        ("post", f"/notifications/robots/{robot_id}/active"),
        ("post", f"/notifications/robots/{robot_id}/delete"),
        ("post", f"/notifications/robots/{robot_id}/test"),
    ]


def test_an_employee_or_implementer_is_refused_and_changes_nothing(
    client, db, app, make, org, auth, server
):
    robot = _robot(db, app, org, server.dingtalk("t"))
    make.member(org, "ann@acme.example", roles=("employee", "manager"))
    make.member(org, "imp@acme.example", roles=("implementer",))
    for email in ("ann@acme.example", "imp@acme.example"):
        auth.login(email)
        for method, url in _robot_urls(robot.id):
            data = {"version": robot.version, "active": "0", **_form("", name="x")}
            response = getattr(client, method)(url, data=data)
            assert response.status_code == 403, (email, url)
        auth.logout()
    robot = _only_robot(db)
    assert robot.active and robot.name == "Sales group" and server.posts("t") == []
    for method, url in _robot_urls(robot.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_organizations_robot_is_a_404(client, db, app, make, org, auth, server):
    theirs = _robot(db, app, make.org("globex"), server.dingtalk("t"), name="Theirs")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    for method, url in _robot_urls(theirs.id)[2:]:
        data = {"version": theirs.version, "active": "0", **_form("", name="Mine now")}
        assert getattr(client, method)(url, data=data).status_code == 404, url
    assert "Theirs" not in client.get("/notifications/robots").text
    robot = _only_robot(db)
    assert robot.active and robot.name == "Theirs" and server.posts("t") == []


def test_the_robot_posts_need_a_csrf_token(database_url, make, db, server):
    from appraisal import create_app
    from tests.conftest import PASSWORD

    org = make.org("acme")
    make.member(org, "hr@acme.example")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    app.config["NOTIFICATIONS_ROBOT_HOSTS"] = "127.0.0.1"
    robot = _robot(db, app, org, server.dingtalk("t"))
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post(
        "/login", data={"email": "hr@acme.example", "password": PASSWORD, "csrf_token": token}
    )
    for _method, url in _robot_urls(robot.id):
        if _method == "post":
            assert client.post(url, data=_form("", version=robot.version)).status_code == 400
    assert (
        client.post("/notifications/robots/new", data=_form(server.dingtalk("u"))).status_code
        == 400
    )
    assert _only_robot(db).active and server.posts("t") == []
    app.extensions["appraisal.engine"].dispose()
