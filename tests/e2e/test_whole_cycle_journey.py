"""The demo's sales cycle from goals to an answered appeal, through the pages only (issue 13,
"Done means"): HR changes a template's settings; HR acts for 黄磊, who has no sign-in; the
employee confirms her goals and reviews herself on a phone in 中文; three signed-in peers and
the manager rate and write comments; HR enters a figure, publishes one result, then corrects
another person's figure in the grid; the rest is published; the employee reads her result
(the manager's and the peers' words, no peer's name) and appeals; HR finds the appeal on the
home page and in My tasks and answers it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appraisal.models import Appraisal, Cycle
from appraisal.runtime.reviews.access import final_result
from appraisal.views import figure
from tests.e2e.conftest import open_setup_menu, signed_in, task_link

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
CYCLE = "销售代表月度考核"
PEERS = {  # sign-in → (name, the strength they write)
    "peer@demo.example": ("杨帆", "Shares every lead from the trade fair."),
    "peer2@demo.example": ("赵敏", "Calm with difficult customers."),
    "supervisor@demo.example": ("周强", "Plans deliveries with production early."),
}
OVERALL = "A strong month: collections on time and two new accounts."
STRENGTH = "Follows up every quote within a day."


@pytest.fixture
def sales_cycle(app, live_server) -> int:
    with app.app_context():
        from appraisal.db import get_session

        return get_session().scalar(select(Cycle.id).where(Cycle.name.like(f"{CYCLE}%")))


def _phone_fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _rate(page, rater: str, values: dict[str, str]) -> None:
    for key, value in values.items():
        field = page.locator(f'[name="{rater}.{key}"]')
        if value.isdigit():
            field.select_option(value)
        else:
            field.fill(value)


def _manager_review(
    manager, name: str, overall: str, strengths: str = "", forget_overall: bool = False
) -> None:
    manager.goto("/tasks")
    task_link(manager, CYCLE, f"Review as manager: {name}").click()
    _rate(manager, "manager", {"customer_focus": "4", "teamwork": "4", "market_sharing": "4"})
    if strengths:
        manager.get_by_label("Strengths").fill(strengths)
    if forget_overall:  # the overall comment is required: refused next to it, typing kept
        manager.get_by_role("button", name="Submit").click()
        overall_field = manager.locator('[data-field="manager.overall_comment"]')
        expect(overall_field.locator(".invalid-feedback")).to_contain_text(
            "Required before submitting"
        )
        expect(manager.get_by_label("Strengths")).to_have_value(strengths)
    manager.get_by_label("Overall comment").fill(overall)
    manager.get_by_role("button", name="Submit").click()
    expect(manager.locator(".alert-success")).to_contain_text("Submitted")


def _publish(hr, cycle_id: int, department: str | None, count: int) -> None:
    hr.goto(f"/cycles/{cycle_id}/calibration")
    if department:
        hr.locator("#publish-form").get_by_label("Department").select_option(label=department)
    hr.get_by_role("button", name="Publish results").click()
    expect(hr.locator("#consequences")).to_contain_text(f"{count} employees will see")
    hr.get_by_role("button", name="Yes: Publish results").click()
    expect(hr.locator(".alert-success")).to_contain_text(f"{count} results published")


def test_a_whole_sales_cycle_through_the_pages(browser, live_server, sales_cycle, app):
    hr = signed_in(browser, live_server, "admin@demo.example")

    # -- a template's settings: a rater weight and the total cap (this used to be a 500)
    open_setup_menu(hr)
    hr.get_by_role("link", name="Templates", exact=True).click()
    hr.get_by_role("link", name="mfg-sales-representative").click()
    hr.locator("#settings summary").click()
    hr.get_by_label("Self weight").fill("15")
    hr.get_by_label("Manager weight").fill("65")
    hr.get_by_label("Highest total").fill("110")
    hr.get_by_role("button", name="Save settings").click()
    expect(hr.locator(".alert-success")).to_contain_text("Settings saved.")
    hr.locator("#settings summary").click()
    expect(hr.get_by_label("Manager weight")).to_have_value("65")
    expect(hr.get_by_label("Highest total")).to_have_value("110")

    # -- HR takes the steps of 黄磊, who has no sign-in
    hr.goto(f"/cycles/{sales_cycle}")
    hr.get_by_role("link", name="E008 黄磊").click()
    hr.get_by_role("button", name="Confirm goals on behalf of 黄磊").click()
    expect(hr.locator('[aria-current="step"]')).to_contain_text("Self-review")
    hr.locator("#open-self").click()
    expect(hr.locator("#on-behalf")).to_contain_text("黄磊 has no sign-in")
    _rate(hr, "self", {"customer_focus": "4", "teamwork": "3", "market_sharing": "3"})
    hr.get_by_role("button", name="Submit").click()
    expect(hr.locator(".alert-success")).to_contain_text("Submitted")
    hr.goto(f"/cycles/{sales_cycle}")
    hr.get_by_role("link", name="E008 黄磊").click()
    expect(hr.locator("#history")).to_contain_text("on behalf of 黄磊")

    # -- the employee, on a phone in 中文: goals, then her self-review
    employee = signed_in(
        browser, live_server, "employee@demo.example", viewport=PHONE, locale="zh-CN"
    )
    employee.goto("/tasks")
    _phone_fits(employee)
    task_link(employee, CYCLE, "确认您的目标").click()
    expect(employee.locator("#goals")).to_contain_text("200000")
    employee.get_by_role("button", name="确认我的目标").click()
    expect(employee.locator('[aria-current="step"]')).to_contain_text("自评")
    _phone_fits(employee)
    employee.goto("/tasks")
    task_link(employee, CYCLE, "填写自评").click()
    expect(employee.locator("#review-form")).to_contain_text("客户导向")
    _rate(employee, "self", {"customer_focus": "4", "teamwork": "5", "market_sharing": "4"})
    _phone_fits(employee)
    employee.get_by_role("button", name="提交").click()
    expect(employee.locator(".alert-success")).to_contain_text("已提交")
    expect(employee.locator("#tasks")).not_to_contain_text("填写自评")

    # -- the manager invites a third colleague; three peers rate and write
    manager = signed_in(browser, live_server, "manager@demo.example")
    manager.goto("/team")
    manager.locator("table[id^=team-]").get_by_role("link", name="陈晨").click()
    person = manager.locator("#invite-form").get_by_label("Person")
    value = person.locator("option", has_text="<supervisor@demo.example>").get_attribute("value")
    person.select_option(value)
    manager.locator("#invite-form").get_by_role("button", name="Invite").click()
    expect(manager.locator(".alert-success")).to_contain_text("Invited.")
    expect(manager.locator("#invitations li")).to_have_count(3)

    for email, (_name, strength) in PEERS.items():
        peer = signed_in(browser, live_server, email)
        peer.goto("/tasks")
        task_link(peer, CYCLE, re.compile("Review a colleague: 陈晨")).click()
        expect(peer.locator("#review-form")).not_to_contain_text("Overall comment")
        _rate(peer, "peer", {"customer_focus": "5", "teamwork": "4", "market_sharing": "5"})
        peer.get_by_label("Strengths").fill(strength)
        peer.get_by_label("Areas to improve").fill("Update the CRM the same day.")
        peer.get_by_role("button", name="Submit").click()
        expect(peer.locator(".alert-success")).to_contain_text("Submitted")
        peer.context.close()

    # -- the manager rates and writes; 杨帆's review waits until after the first publication
    _manager_review(manager, "陈晨", OVERALL, STRENGTH, forget_overall=True)
    _manager_review(manager, "赵敏", "Best collections in the south.")
    _manager_review(manager, "黄磊", "A good first full month.")

    # -- figures, calibration, one result published, then a grid edit, then the rest
    hr.goto(f"/cycles/{sales_cycle}")
    hr.get_by_role("link", name="Enter figures").click()
    hr.locator('[id="fig|E005|new_customers"]').fill("2")
    hr.get_by_role("button", name="Save figures").click()
    expect(hr.locator(".alert-success")).to_contain_text("1 changed")
    hr.goto(f"/cycles/{sales_cycle}/calibration")
    hr.get_by_role("button", name="Start calibration").click()
    hr.get_by_role("button", name="Lock the calibration").click()
    hr.get_by_role("button", name="Yes: Lock the calibration").click()
    expect(hr.locator("#locked")).to_be_visible()
    _publish(hr, sales_cycle, "华东销售区", 1)  # 陈晨 only: 杨帆 is still with the manager

    hr.goto(f"/cycles/{sales_cycle}/figures")
    hr.locator('[id="fig|E007|collection_rate"]').fill("90")  # finance's late correction
    hr.get_by_role("button", name="Save figures").click()
    expect(hr.locator(".alert-success")).to_contain_text("1 changed")
    expect(hr.locator('[id="fig|E007|collection_rate"]')).to_have_value("90")

    _manager_review(manager, "杨帆", "Close to target; more new accounts next month.")
    _publish(hr, sales_cycle, None, 3)

    # -- the employee reads her result in 中文 on the phone and appeals
    employee.goto("/tasks")
    task_link(employee, CYCLE, "查看您的考核结果").click()
    with app.app_context():
        from appraisal.db import get_session

        db = get_session()
        chen = db.scalar(
            select(Appraisal)
            .where(Appraisal.cycle_id == sales_cycle, Appraisal.state == "published")
            .join(Appraisal.employee)
            .where(Appraisal.employee.has(number="E005"))
        )
        expected = final_result(chen)
    expect(employee.locator("#result-total")).to_have_text(figure(expected.total))
    expect(employee.locator("#result-grade")).to_have_text(expected.grade)
    expect(employee.locator("#comments")).to_contain_text(OVERALL)
    expect(employee.locator("#comments")).to_contain_text(STRENGTH)
    main = employee.locator("main")
    for name, strength in PEERS.values():  # three peers wrote: shown, never with a name
        expect(employee.locator("#comments")).to_contain_text(strength)
        expect(main).not_to_contain_text(name)
    _phone_fits(employee)
    employee.get_by_label("或提出申诉并说明理由").fill("新客户应为 3 家：11 月 30 日的订单已回款。")
    employee.locator("#appeal").click()
    expect(employee.locator(".alert-success")).to_contain_text("您的申诉已提交人力资源部")

    # -- HR finds the appeal on the home page and in My tasks, and answers it
    hr.goto("/")
    expect(hr.locator("#home-appeals")).to_contain_text("陈晨")
    hr.get_by_role("link", name="My tasks").first.click()
    hr.locator("#hr-tasks").get_by_role("link", name="Answer the appeal of 陈晨").click()
    hr.get_by_label("Reply").fill("The order was paid on 1 December: it counts next month.")
    hr.get_by_role("button", name="Uphold the result").click()
    expect(hr.locator('[data-appeal="upheld"]')).to_be_visible()
    hr.goto("/tasks")
    expect(hr.locator("#hr-tasks")).not_to_contain_text("陈晨")

    employee.reload()
    expect(employee.locator('[data-appeal="upheld"]')).to_contain_text("1 December")
