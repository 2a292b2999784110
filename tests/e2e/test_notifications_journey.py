"""Issue 19 in a browser, in 中文 on a 375 px phone, against a real SMTP server: the manager
刘洋 invites 杨帆 to review 黄磊 through the appraisal page; the delivery job sends 杨帆 one
Chinese e-mail with the link to the task; 杨帆's bell shows 1, the centre lists the
invitation, opening it goes to the review and the bell empties; then the peers' deadline
passes (the organization's today is the due date + 1) and the reminder job, run twice, tells
杨帆 once: one entry behind the bell, one e-mail.

The worker is the consumer's own path for a periodic job (`jobs.queue.run_periodic`: the
period claimed, a Job row, the job on its own clock), one scheduler period after another."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appraisal.demo import DEMO_PASSWORD
from appraisal.jobs import registry
from appraisal.jobs.queue import run_periodic
from appraisal.models import (
    Appraisal,
    Cycle,
    Employee,
    Job,
    Notification,
    Organization,
    User,
)
from appraisal.notifications import centre, delivery, reminders
from appraisal.states import NotificationKind
from tests.e2e.conftest import signed_in
from tests.notifications.smtp_server import Received, Recorder, smtp_server

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
ZH = "zh-CN"
MANAGER = "manager@demo.example"  # 刘洋, the sales reps' manager
PEER = "peer@demo.example"  # 杨帆, a sales rep
REPORT = "黄磊"  # E008, a rep without a sign-in: nobody reviews him yet
#: The reps' cycle: its name says the days it covers (the demo moves it to run now).
SCHEME = "销售代表月度考核"
K = NotificationKind


@pytest.fixture
def mailbox(app, live_server) -> Iterator[Recorder]:
    """A real SMTP server, and the app sending to it with links to the live server."""
    server = Recorder()
    with smtp_server(server) as port:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_SECURITY="none",
            MAIL_SENDER="绩效考核 <perf@demo.example>",
            MAIL_TIMEOUT_SECONDS=5.0,
            PUBLIC_URL=live_server,
        )
        yield server


class Worker:
    """The periodic jobs as `appraisal worker` runs them, each call in the scheduler's next
    period (a run in a period that already ran would be refused, as after a restart)."""

    def __init__(self, app) -> None:
        self.app = app
        self.tick = datetime.now(UTC)

    def run(self, name: str) -> None:
        job = registry.PERIODIC[name]
        self.tick += timedelta(hours=1)
        assert run_periodic(self.app, job, int(self.app.config[job.every]), self.tick)


def _db():
    from appraisal.db import get_session

    return get_session()


def _user_id(db, email: str) -> int:
    return db.scalar(select(User.id).where(User.email == email))


def _to(received: list[Received], email: str) -> list[Received]:
    return [r for r in received if r.rcpt_tos == [email]]


def _bell_beside_the_menu_button(page) -> None:
    """At 375 px the bell sits in the top bar left of the menu button, on its line, inside
    the screen, and the page never scrolls sideways."""
    bell = page.locator("#nav-bell").bounding_box()
    toggler = page.locator(".navbar-toggler").bounding_box()
    assert bell is not None and toggler is not None
    assert bell["x"] + bell["width"] <= toggler["x"], (bell, toggler)
    middle = bell["y"] + bell["height"] / 2
    assert toggler["y"] <= middle <= toggler["y"] + toggler["height"], (bell, toggler)
    count = page.locator("#bell-count")
    if count.count():
        badge = count.bounding_box()
        assert badge["x"] >= bell["x"] - 1 and badge["x"] + badge["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_an_invitation_reaches_the_peer_by_bell_and_email_and_the_overdue_reminder_once(
    browser, live_server, app, mailbox, tmp_path: Path
):
    worker = Worker(app)
    with app.app_context():
        db = _db()
        org = db.scalar(select(Organization).where(Organization.slug == "demo"))
        peer_id = _user_id(db, PEER)
        appraisal = db.scalar(
            select(Appraisal)
            .join(Employee, Employee.id == Appraisal.employee_id)
            .where(Employee.name == REPORT)
        )
        appraisal_id, cycle_id = appraisal.id, appraisal.cycle_id
        cycle_name, manager_due = appraisal.cycle.name, appraisal.cycle.manager_review_due
        assert cycle_name.startswith(SCHEME)
        # The worker ran since the demo was loaded, and 杨帆 has read what it said.
        worker.run(delivery.DELIVER)
        centre.mark_all_read(db, org.id, peer_id)
        db.commit()
    backlog = len(mailbox.received)
    assert _to(mailbox.received, PEER), "the demo's own events reached 杨帆 first"
    review_path = f"/appraisals/{appraisal_id}/review/peer"

    # 1. 刘洋 on a phone: the menu, his team, 黄磊's appraisal, the invitation form.
    manager = signed_in(browser, live_server, MANAGER, PHONE, locale=ZH)
    manager.wait_for_load_state("load")
    manager.locator(".navbar-toggler").click()
    manager.locator("#nav-team-menu .dropdown-toggle").click()
    manager.locator("#nav-team").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("我的团队")
    manager.get_by_role("link", name=REPORT, exact=True).click()
    expect(manager).to_have_url(re.compile(f"/appraisals/{appraisal_id}$"))
    form = manager.locator("#invite-form")
    expect(form.get_by_label("身份")).to_have_value("peer")
    person = form.get_by_label("人员")
    person.select_option(person.locator("option", has_text=f"<{PEER}>").get_attribute("value"))
    form.get_by_role("button", name="邀请").click()
    expect(manager.locator(".alert-success")).to_contain_text("已邀请。")
    expect(manager.locator("#invitations li")).to_contain_text("杨帆")
    assert manager.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    manager.context.close()

    # 2. The delivery job: one e-mail, to 杨帆 only, in Chinese, linking to the review.
    worker.run(delivery.DELIVER)
    fresh = mailbox.received[backlog:]
    assert [r.rcpt_tos for r in fresh] == [[PEER]]
    [email] = fresh
    subject = f"请评价 {REPORT}（{cycle_name}）"
    assert email.message["Subject"] == subject
    assert email.message["Content-Language"] == "zh"
    task_url = live_server + review_path
    assert (
        f"邀请您对 {REPORT} 在 {cycle_name} 的表现给出评价（截止 {manager_due.isoformat()}）。"
        in email.text
    )
    assert task_url in email.text and f'href="{task_url}"' in email.html
    # The link, opened on the phone by someone not signed in, leads through the sign-in.
    reader = browser.new_context(base_url=live_server, locale=ZH, viewport=PHONE).new_page()
    reader.goto(task_url)
    reader.locator("#email").fill(PEER)
    reader.locator("#password").fill(DEMO_PASSWORD)
    reader.locator("#submit").click()
    expect(reader).to_have_url(task_url)
    expect(reader.locator("main")).to_contain_text(REPORT)
    reader.context.close()

    # 3. 杨帆 on a phone: the bell says 1; the centre lists the invitation; opening it
    # goes to the review and the bell empties.
    peer = signed_in(browser, live_server, PEER, PHONE, locale=ZH)
    expect(peer.locator("#bell-count")).to_have_text("1")
    expect(peer.locator("#nav-bell")).to_have_attribute("aria-label", "1 条未读通知")
    _bell_beside_the_menu_button(peer)
    peer.locator("nav.navbar").screenshot(path=str(tmp_path / "bell-375.png"))
    peer.locator("#nav-bell").click()
    expect(peer.get_by_role("heading", level=1)).to_have_text("通知")
    unread = peer.locator('#entries li[data-read="no"]')
    expect(unread).to_have_count(1)
    expect(unread).to_contain_text(subject)
    expect(unread).to_contain_text("新")
    expect(peer.locator("#entries li").first).to_have_attribute("data-read", "no")
    _bell_beside_the_menu_button(peer)
    peer.screenshot(path=str(tmp_path / "centre-375.png"), full_page=True)
    unread.get_by_role("button").click()
    expect(peer).to_have_url(task_url)  # the e-mail's link and the centre's lead to one page
    expect(peer.locator("main")).to_contain_text(REPORT)
    expect(peer.locator("#bell-count")).to_have_count(0)
    expect(peer.locator("#nav-bell")).to_have_attribute("aria-label", "0 条未读通知")

    # 4. The peers' deadline (the manager's review's) passed yesterday on the organization's
    # clock; the reminder job runs twice, delivery after each run.
    with app.app_context():
        db = _db()
        cycle = db.get(Cycle, cycle_id)
        today = db.get(Organization, org.id).today()
        cycle.self_review_due = today - timedelta(days=2)
        cycle.manager_review_due = due = today - timedelta(days=1)
        assert cycle.reminder_days == [-3, 0, 1]
        db.commit()
    before = len(mailbox.received)
    for _run in range(2):
        worker.run(reminders.REMIND)
        worker.run(delivery.DELIVER)
    reminded = mailbox.received[before:]
    with app.app_context():
        db = _db()
        runs = db.scalars(select(Job.status).where(Job.kind == reminders.REMIND)).all()
        assert runs == ["done", "done"]
        told = db.scalars(
            select(Notification.dedupe_key).where(
                Notification.user_id == peer_id, Notification.kind == K.DEADLINE_PASSED
            )
        ).all()
    assert told == [f"cycle:{cycle.id}:peer:{due.isoformat()}:1"]
    overdue = f"{cycle_name}：同事评价已逾期"
    [letter] = _to(reminded, PEER)
    assert letter.message["Subject"] == overdue
    assert f"{cycle_name} 的同事评价已于 {due.isoformat()} 截止，已逾期 1 天。" in letter.text
    assert f"{live_server}/tasks" in letter.text
    twice = Counter((tuple(r.rcpt_tos), r.message["Subject"]) for r in reminded)
    assert [key for key, count in twice.items() if count > 1] == []  # nobody told twice

    peer.goto("/notifications")
    expect(peer.locator("#bell-count")).to_have_text("1")
    unread = peer.locator('#entries li[data-read="no"]')
    expect(unread).to_have_count(1)
    expect(unread).to_contain_text(overdue)
    _bell_beside_the_menu_button(peer)
    peer.screenshot(path=str(tmp_path / "centre-overdue-375.png"), full_page=True)
    print(f"screenshots in {tmp_path}")
