"""Issue 19: the delivery log HR reads. Every outbox message of its organization (never
another's), newest first, with when (in the organization's time), channel, recipient (a
person or a robot), kind, status, attempts, last error and the subject sent; filtered by
channel, status, kind, person and a date range of the organization's days; paged from the
(organization, created) index; exported as CSV or XLSX with formula-like text kept as text.
HR admins only."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from appraisal.models import Employee, OutboxMessage, Robot, User
from appraisal.notifications import setup
from appraisal.states import Channel, DeliveryStatus, NotificationKind
from tests.conftest import field_errors

KIND = NotificationKind.REVIEW_TO_FILL
# 2026-12-01 09:00 in Asia/Shanghai (the organization's zone)
MORNING = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
_keys = count()


def _message(db, org, at=MORNING, **fields) -> OutboxMessage:
    values = {
        "organization_id": org.id,
        "channel": Channel.EMAIL,
        "kind": KIND,
        "dedupe_key": f"test:{next(_keys)}",
        "created_at": at,
        "not_before": at,
    } | fields
    message = OutboxMessage(**values)
    db.add(message)
    return message


@pytest.fixture
def log(make, db):
    """Acme: Ann (employee A001) with a sent e-mail and a failed one, a DingTalk robot's
    pending message the day before; Globex: one message Acme must never see."""
    acme = make.org("acme")
    make.member(acme, "hr@acme.example", roles=("admin",))
    ann = make.member(acme, "ann@acme.example", roles=("employee",)).user
    ann.name = "Ann Lee"
    make.member(acme, "imp@acme.example", roles=("implementer",))
    make.employee(acme, "A001", "Ann Lee", user_id=ann.id)
    globex = make.org("globex")
    gus = make.member(globex, "gus@globex.example", roles=("admin",)).user
    robot = Robot(
        organization_id=acme.id,
        channel=Channel.DINGTALK,
        name="Sales group",
        webhook_encrypted="x",
    )
    db.add(robot)
    db.flush()
    _message(
        db,
        acme,
        user_id=ann.id,
        status=DeliveryStatus.SENT,
        attempts=1,
        subject="Your review waits",
        sent_at=MORNING,
    )
    _message(
        db,
        acme,
        at=MORNING + timedelta(hours=2),
        user_id=ann.id,
        kind=NotificationKind.RESULT_PUBLISHED,
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="550 mailbox unavailable",
    )
    _message(
        db,
        acme,
        at=MORNING - timedelta(days=1),
        robot_id=robot.id,
        channel=Channel.DINGTALK,
        status=DeliveryStatus.PENDING,
    )
    _message(db, globex, user_id=gus.id, subject="Globex secret", status=DeliveryStatus.SENT)
    db.commit()
    return acme, globex


@pytest.fixture
def hr(auth, log):
    auth.login("hr@acme.example")
    return log[0]


def _rows(page: str) -> list[str]:
    """Each row of the log as its cells' text, joined by |."""
    body = page.split('id="log"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr data-message[^>]*>(.*?)</tr>", body, re.S)
    return [
        "|".join(
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        )
        for row in rows
    ]


def test_hr_reads_its_organizations_log_newest_first_in_its_own_time(client, hr):
    page = client.get("/notifications/log")
    assert page.status_code == 200
    assert _rows(page.text) == [
        "2026-12-01 11:00|E-mail|Ann Lee &lt;ann@acme.example&gt;|A result published|Failed|5"
        "|550 mailbox unavailable|",
        "2026-12-01 09:00|E-mail|Ann Lee &lt;ann@acme.example&gt;|A review to fill|Sent|1||"
        "Your review waits",
        "2026-11-30 09:00|DingTalk custom robot|Sales group|A review to fill|"
        "Waiting to be sent|0||",
    ]
    assert "Globex" not in page.text


def test_the_log_reads_in_chinese_for_a_chinese_reader(client, hr):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    rows = _rows(client.get("/notifications/log").text)
    assert rows[0].split("|")[1:5] == [
        "电子邮箱",
        "Ann Lee &lt;ann@acme.example&gt;",
        "结果已发布",
        "失败",
    ]
    assert rows[2].split("|")[1] == "钉钉自定义机器人"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=dingtalk", ["Sales group"]),
        ("channel=email&status=failed", ["A result published"]),
        ("status=sent", ["Your review waits"]),
        (f"kind={NotificationKind.RESULT_PUBLISHED}", ["A result published"]),
        ("person=ann", ["A result published", "Your review waits"]),
        ("person=A001", ["A result published", "Your review waits"]),
        ("person=acme.example", ["A result published", "Your review waits"]),
        ("person=sales", ["Sales group"]),
        ("person=gus", []),  # Globex's: not a person of Acme's log
        ("person=%25", []),  # a literal %, not a wildcard
        ("since=2026-12-01", ["A result published", "Your review waits"]),
        ("until=2026-11-30", ["Sales group"]),
        ("since=2026-11-30&until=2026-11-30", ["Sales group"]),
        ("since=2026-12-02", []),
    ],
)
def test_the_filters_select_the_messages(client, hr, query, expected):
    page = client.get(f"/notifications/log?{query}")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == len(expected)
    for row, words in zip(rows, expected, strict=True):
        assert words in row


def test_a_day_is_the_organizations_day_from_its_midnight(client, hr, db):
    # 23:30 on 30 November in Shanghai is 15:30 UTC: still the 30th there
    _message(db, hr, at=datetime(2026, 11, 30, 15, 30, tzinfo=UTC), subject="Late on the 30th")
    _message(db, hr, at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC), subject="Midnight on the 1st")
    db.commit()
    day = _rows(client.get("/notifications/log?since=2026-11-30&until=2026-11-30").text)
    assert any("Late on the 30th" in r for r in day)
    assert not any("Midnight on the 1st" in r for r in day)
    first = _rows(client.get("/notifications/log?since=2026-12-01&until=2026-12-01").text)
    assert any("Midnight on the 1st" in r for r in first)


@pytest.mark.parametrize(
    ("query", "field"),
    [("since=2026-13-45", "since"), ("until=yesterday", "until"), ("channel=fax", "channel")],
)
def test_a_filter_that_is_not_valid_is_shown_at_its_field_and_not_applied(client, hr, query, field):
    page = client.get(f"/notifications/log?{query}")
    assert page.status_code == 422
    assert f'data-error-for="{field}"' in page.text
    assert field_errors(page.text)
    assert len(_rows(page.text)) == 3


def test_the_log_is_paged_with_the_filters_kept(client, hr, db):
    for minute in range(120):
        _message(db, hr, at=MORNING + timedelta(days=3, minutes=minute), subject=f"m{minute:03}")
    db.commit()
    first = client.get("/notifications/log?channel=email")
    assert [r.rsplit("|", 1)[1] for r in _rows(first.text)][:2] == ["m119", "m118"]
    assert len(_rows(first.text)) == 50
    assert "1 / 3" in first.text and "122 in total" in first.text
    assert re.search(r'href="/notifications/log\?page=2&amp;channel=email"', first.text)
    last = _rows(client.get("/notifications/log?channel=email&page=3").text)
    assert len(last) == 22 and "Your review waits" in last[-1]
    beyond = _rows(client.get("/notifications/log?channel=email&page=99").text)
    assert beyond == last  # a page beyond the last is the last one


@pytest.mark.skipif(
    "APPRAISAL_TEST_DATABASE_URL" in __import__("os").environ,
    reason="SQLite's plan; PostgreSQL's planner chooses by its statistics",
)
def test_a_page_is_read_from_the_organization_created_index_without_a_sort(app, db, log):
    """What keeps the page fast with a million rows: the rows come in the index's order, so
    reading a page stops after it instead of sorting the whole log."""
    acme, _globex = log
    with app.test_request_context():
        for filters in (
            setup.LogFilters(),
            setup.LogFilters(channel="email", status="failed", kind=KIND),
            setup.LogFilters(since=MORNING.date(), until=MORNING.date()),
        ):
            stmt = setup.log_query(db, acme.id, filters).limit(50)
            sql = str(stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "ix_notification_outbox_org_created" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


FORMULA = '=HYPERLINK("http://evil.example","click")'


def test_the_export_holds_the_filtered_rows_with_formula_like_text_kept_as_text(client, hr, db):
    ann = db.scalar(select(User).where(User.email == "ann@acme.example"))
    ann.name = "@SUM(1+1)"
    _message(
        db,
        hr,
        at=MORNING + timedelta(hours=5),
        user_id=ann.id,
        status=DeliveryStatus.FAILED,
        subject=FORMULA,
        last_error="+1-2 refused",
    )
    db.commit()
    csv_file = client.get("/notifications/log.csv?status=failed")
    assert csv_file.status_code == 200
    assert csv_file.headers["Content-Disposition"] == (
        'attachment; filename="notification-log.csv"'
    )
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    header = ["when", "channel", "recipient", "kind", "status", "attempts", "last_error", "subject"]
    assert rows[0] == header
    assert len(rows) == 3  # the two failed ones only
    newest = dict(zip(header, rows[1], strict=True))
    assert newest["subject"] == "'" + FORMULA
    assert newest["last_error"] == "'+1-2 refused"
    assert newest["recipient"] == "'@SUM(1+1) <ann@acme.example>"
    assert (newest["channel"], newest["status"], newest["when"]) == (
        "email",
        "failed",
        "2026-12-01 14:00",
    )
    book = load_workbook(io.BytesIO(client.get("/notifications/log.xlsx?status=failed").data))
    sheet = book.active
    cell = sheet.cell(row=2, column=8)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)
    assert sheet.cell(row=2, column=3).quotePrefix
    assert sheet.max_row == 3


def test_a_chinese_export_has_chinese_headers_and_words(client, hr):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    rows = list(
        csv.reader(io.StringIO(client.get("/notifications/log.csv").data.decode("utf-8-sig")))
    )
    assert rows[0][:5] == ["时间", "渠道", "接收者", "类型", "状态"]
    assert rows[1][1] == "电子邮箱" and rows[1][4] == "失败"
    assert len(rows) == 4


def test_the_export_is_capped_at_the_newest_rows(client, hr, monkeypatch):
    monkeypatch.setattr(setup, "EXPORT_MAX", 2)
    rows = list(csv.reader(io.StringIO(client.get("/notifications/log.csv").data.decode())))
    assert len(rows) == 3 and "2026-12-01 11:00" in rows[1][0]


@pytest.mark.parametrize("who", ["ann@acme.example", "imp@acme.example"])
def test_only_hr_admins_read_the_log(client, auth, log, who):
    auth.login(who)
    for url in ("/notifications/log", "/notifications/log.csv", "/notifications/log.xlsx"):
        assert client.get(url).status_code == 403


def test_another_organizations_hr_sees_only_its_own(client, auth, log):
    auth.login("gus@globex.example")
    rows = _rows(client.get("/notifications/log").text)
    assert len(rows) == 1 and "Globex secret" in rows[0]
    exported = client.get("/notifications/log.csv").data.decode("utf-8-sig")
    assert "Ann" not in exported and "Sales group" not in exported  # not a page


def test_signed_out_visitors_are_sent_to_sign_in(client, log):
    assert client.get("/notifications/log").status_code == 302
    assert client.get("/notifications/log.csv").status_code == 302


def test_a_person_is_matched_by_their_employee_record_in_this_organization_only(
    client, hr, db, log
):
    _acme, globex = log
    # Gus is A001 at Globex too: Acme's search for A001 still finds only Ann
    gus = db.scalar(select(User).where(User.email == "gus@globex.example"))
    db.add(Employee(organization_id=globex.id, number="A001", name="Gus", user_id=gus.id))
    db.commit()
    rows = _rows(client.get("/notifications/log?person=A001").text)
    assert len(rows) == 2 and all("Ann Lee" in r for r in rows)


# -- probe 19: an HR admin's own appraisal ---------------------------------------------------


def test_an_hr_admin_never_reads_who_was_invited_to_review_them(
    client, auth, db, make, company, launched
):
    """An HR admin is not HR on their own appraisal: its page hides who was invited to review
    it, so the delivery log (page and files) does too; others' invitations stay listed."""
    from appraisal.models import Membership
    from appraisal.runtime.reviews import invitations
    from tests.runtime.conftest import appraisal_of

    ann = company.people["ann"]
    membership = db.scalar(select(Membership).where(Membership.user_id == ann.user_id))
    membership.set_roles({"employee", "admin"})
    db.commit()
    bo = company.viewer(db, "boss@acme.example")
    quinn, pat = company.people["quinn"].user_id, company.people["pat"].user_id
    invitations.invite(db, appraisal_of(db, company, "ann"), bo, "peer", quinn)
    invitations.invite(db, appraisal_of(db, company, "pat"), bo, "peer", quinn)
    invitations.invite(db, appraisal_of(db, company, "quinn"), bo, "peer", pat)
    db.commit()

    def invited(email: str) -> list[str]:
        """The recipients of invitations the log lists to `email` (the page and the file)."""
        auth.login(email)
        page = client.get(f"/notifications/log?kind={NotificationKind.PEER_INVITATION}").text
        rows = client.get(f"/notifications/log.csv?kind={NotificationKind.PEER_INVITATION}")
        listed = sorted(re.findall(r"<(\w+)@acme.example>", html.unescape(page)))
        assert sorted(re.findall(r"<(\w+)@acme.example>", rows.text)) == listed
        auth.logout()
        return listed

    assert invited("hr@acme.example") == ["pat", "quinn", "quinn"]
    assert invited("ann@acme.example") == ["pat", "quinn"]  # not the one reviewing her
