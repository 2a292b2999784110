"""Issue 21's journey on a phone (375 px, 中文): HR sets the company's sales goal and splits it
to the two regions by last year's actuals (the same month a year earlier), the east region's
manager splits it to his reps, a rep proposes a monthly plan that the manager returns with a
comment, she changes it and proposes again, the manager agrees, she records progress; the
manager holds a 1:1 check-in, a colleague leaves praise, and the manager's review form shows
all of it in the evidence timeline, while a 1:1 she held with an earlier manager, and a note
kept for the manager about someone else, do not show there. Every page is read as a user
reads it (its words), none scrolls sideways.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from appraisal.models import CheckIn, Cycle, Employee, Organization, Scheme
from tests.e2e.conftest import signed_in

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("APPRAISAL_SCREENSHOTS", tempfile.gettempdir()))
PHONE = {"width": 375, "height": 800}


def _shot(page, name: str) -> None:
    """No sideways scroll at 375 px, then a full-page screenshot of the step."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)
    page.screenshot(path=str(SCREENSHOTS / f"continuous-{name}-375.png"), full_page=True)


def _menu(page, link_id: str) -> None:
    """Open the collapsed top bar and follow one of its links (in a dropdown if need be)."""
    page.wait_for_load_state("load")
    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
    dropdown = page.locator(".dropdown", has=page.locator(f"#{link_id}"))
    if dropdown.count():
        dropdown.locator(".dropdown-toggle").click()
    page.locator(f"#{link_id}").click()


def _one_line(locator) -> None:
    """A button or a heading on one line, not stacked a character a line at 375 px."""
    box = locator.bounding_box()
    assert box["height"] < 2 * 16 * 1.5 * 0.75, box


def _ok(page) -> None:
    expect(page.locator(".alert-success")).to_be_visible()


@pytest.fixture
def month(app) -> date:
    """The first day of the organization's current month, which the demo's cycles are moved
    to when the clock has left them: notes and progress are dated today, and the timeline
    shows what happened in the appraisal's period. Also an earlier 1:1 of the rep's that
    her manager must never read."""
    with app.app_context():
        from appraisal.db import get_session

        db = get_session()
        org = db.scalar(select(Organization).where(Organization.slug == "demo"))
        today = org.today()
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for cycle in db.scalars(select(Cycle).where(Cycle.organization_id == org.id)):
            if not cycle.starts_on <= today <= cycle.ends_on:
                cycle.starts_on, cycle.ends_on = first, last
        # 陈晨's 1:1 with her manager before a transfer (周强): private to those two
        people = {
            e.number: e
            for e in db.scalars(select(Employee).where(Employee.organization_id == org.id))
        }
        db.add(
            CheckIn(
                organization_id=org.id,
                employee_id=people["E005"].id,
                manager_id=people["E009"].id,
                held_on=today,
                notes="周强与陈晨的私下谈话",
            )
        )
        db.commit()
        return first


def _month(first: date) -> tuple[date, date]:
    """The month starting on `first`: its first and last day."""
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _goal_month(first: date) -> tuple[date, date]:
    """The goal's month: the one after the month starting on `first`."""
    return _month((first + timedelta(days=32)).replace(day=1))


#: The demo's scheme for its sales reps (E005 to E008).
SALES_SCHEME = "销售代表月度考核"
#: The reps' sales in the goal's month a year earlier: East (陈晨 + 杨帆) 360,000, South
#: (赵敏 + 黄磊) 340,000; last period's (the demo's month) are 383,000 and 384,000.
LAST_YEAR_SALES = {"E005": "210000", "E006": "150000", "E007": "190000", "E008": "150000"}


@pytest.fixture
def last_year(app, live_server, month) -> int:
    """The sales reps' cycle of the goal's month one year earlier (its id), launched, with
    their sales typed in, as HR would have run it then (a whole calendar month: February's
    29th too). It is still open, as nobody closed it."""
    with app.app_context():
        from appraisal.db import get_session
        from appraisal.runtime.cycles import cycles, figures

        db = get_session()
        org = db.scalar(select(Organization).where(Organization.slug == "demo"))
        scheme = db.scalar(
            select(Scheme).where(Scheme.organization_id == org.id, Scheme.name == SALES_SCHEME)
        )
        goal_starts = _goal_month(month)[0]
        starts, ends = _month(goal_starts.replace(year=goal_starts.year - 1))
        cycle = cycles.create_cycle(
            db,
            scheme,
            name=f"销售代表 {starts:%Y-%m}",
            dates=cycles.CycleDates(starts, ends),
            anonymity_threshold=3,
            user_id=None,
        )
        cycles.launch_cycle(db, cycle, set(), None)
        entries = [figures.Entry(n, "sales_amount", v) for n, v in LAST_YEAR_SALES.items()]
        figures.set_figures(db, cycle, entries, None)
        db.commit()
        return cycle.id


def _add_part(page, department=None, lead=None, person=None) -> None:
    if department:
        page.locator("#part-department_id").select_option(label=department)
    if lead:
        page.locator("#part-lead_id").select_option(label=lead)
    if person:
        page.locator("#part-employee_id").select_option(label=person)
    page.locator("#part-add").click()
    _ok(page)


def _add_task(page, title: str, due: date, weight: str, measure: str) -> None:
    form = page.locator("#plan-item-form")
    form.locator("#title").fill(title)
    form.locator("#due_on").fill(due.isoformat())
    form.locator("#weight").fill(weight)
    form.locator("#measure").fill(measure)
    form.get_by_role("button").click()
    _ok(page)


def _recipient(page: Page, name: str) -> Locator:
    """The feedback form with `name` chosen (the demo's colleagues fit in one picker; a
    larger company would search first), by the option's label: number and name."""
    form = page.locator("#feedback-form")
    option = form.locator("#recipient_id option", has_text=name)
    expect(option).to_have_count(1)
    form.locator("#recipient_id").select_option(label=option.inner_text().strip())
    return form


def test_cascade_plan_check_in_praise_and_the_evidence_timeline(
    browser, live_server, app, month, last_year
):
    next_month, goal_ends = _goal_month(month)

    # HR: the company's sales goal for next month, split to the regions by last year's actuals
    hr = signed_in(browser, live_server, "admin@demo.example", PHONE, "zh-CN")
    _menu(hr, "nav-goals")
    expect(hr.get_by_role("heading", level=1)).to_be_visible()
    _shot(hr, "goals")
    hr.locator("#new-goal").click()
    hr.locator("#key").fill("sales_amount")
    hr.locator("#name").fill("下月销售额")
    hr.locator("#unit").fill("元")
    hr.locator("#weight").fill("60")
    hr.locator("#starts_on").fill(next_month.isoformat())
    hr.locator("#ends_on").fill(goal_ends.isoformat())
    hr.locator("#target").fill("1000000")
    hr.locator("#submit").click()
    _ok(hr)
    hr.locator("#goal-tree li").first.locator("a[href^='/goals/nodes/']").click()
    _add_part(hr, department="总经办 / 销售部 / 华东销售区", lead="E004 刘洋")
    _add_part(hr, department="总经办 / 销售部 / 华南销售区")
    hr.locator("#method").select_option(label="按去年同期实际值的比例")
    hr.locator("#split-button").click()
    expect(hr.locator("#split-note")).to_contain_text("2")
    east = hr.locator("#parts tbody tr", has_text="华东销售区").locator("input[name^='target|']")
    south = hr.locator("#parts tbody tr", has_text="华南销售区").locator("input[name^='target|']")
    # 1,000,000 by East 360,000 : South 340,000 → 514,285.7142… and 485,714.2857…; floors
    # 514,285.71 + 485,714.28 leave a cent, to South's larger remainder (0.0057… > 0.0042…).
    # Last period's 383,000 : 384,000 would give 499,348.11 and 500,651.89.
    expect(east).to_have_value("514285.71")
    expect(south).to_have_value("485714.29")
    _shot(hr, "split-company")
    hr.locator("#save-split").click()
    _ok(hr)
    expect(hr.locator("#parts-total")).to_contain_text("1,000,000.00")

    # The east region's manager splits his region to its two reps
    manager = signed_in(browser, live_server, "manager@demo.example", PHONE, "zh-CN")
    _menu(manager, "nav-goals")
    manager.get_by_role("link", name="下月销售额").click()
    expect(manager.locator("#goal-tree")).not_to_contain_text("华南销售区")
    manager.locator("#goal-tree li", has_text="华东销售区").locator(
        "a[href^='/goals/nodes/']"
    ).click()
    _add_part(manager, person="E005 陈晨")
    _add_part(manager, person="E006 杨帆")
    manager.locator("#method").select_option("equal")
    manager.locator("#split-button").click()
    chen = manager.locator("#parts tbody tr", has_text="陈晨").locator("input[name^='target|']")
    expect(chen).to_have_value("257142.86")  # 514,285.71 / 2: the tie's cent to the first
    _shot(manager, "split-region")
    manager.locator("#save-split").click()
    _ok(manager)

    # The rep proposes this month's plan from the menu
    rep = signed_in(browser, live_server, "employee@demo.example", PHONE, "zh-CN")
    _menu(rep, "nav-my-plans")
    expect(rep.get_by_role("heading", level=1)).to_have_text("工作计划")
    rep.locator("#period").select_option("month")
    rep.locator("#day").fill((month + timedelta(days=1)).isoformat())
    _shot(rep, "plans")
    rep.locator("#new-plan").get_by_role("button").click()
    _ok(rep)
    plan_url = rep.url
    _add_task(rep, "拜访 10 家重点客户", month + timedelta(days=20), "100", "拜访记录 10 条")
    expect(rep.locator("#plan-items")).to_contain_text("拜访 10 家重点客户")
    _shot(rep, "plan-draft")
    rep.locator("#plan-propose").click()
    _ok(rep)
    expect(rep.locator("#plan-state")).to_contain_text("已提交")

    # The manager returns it with a comment
    _menu(manager, "nav-plans")
    manager.locator("#plans").get_by_role("link", name="陈晨").click()
    expect(manager.locator("#plan-items")).to_contain_text("拜访 10 家重点客户")
    manager.locator("#comment").fill("请加上回款任务，拜访占 60%。")
    _shot(manager, "plan-return")
    manager.locator("#plan-return").click()
    _ok(manager)
    expect(manager.locator("#plan-state")).to_contain_text("已退回")

    # The rep reads the comment, changes the tasks and proposes again
    rep.goto(plan_url)
    expect(rep.locator("#returned-comment")).to_contain_text("请加上回款任务")
    _add_task(rep, "回款 30 万元", month + timedelta(days=25), "40", "到账金额")
    rep.locator("#plan-propose").click()  # 100 + 40: refused in words, nothing moves
    expect(rep.locator(".alert-danger, .alert-warning").first).to_contain_text(
        "任务权重合计为 140.00，必须等于 100。"
    )
    expect(rep.locator("#plan-state")).to_contain_text("已退回")
    _shot(rep, "plan-refused")
    questions: list[str] = []

    def accept(dialog) -> None:  # removing a task asks first
        questions.append(dialog.message)
        dialog.accept()

    rep.once("dialog", accept)
    rep.locator("#plan-items tbody tr", has_text="拜访 10 家重点客户").get_by_role("button").click()
    _ok(rep)
    assert questions == ["要从计划中移除这项任务吗？"]
    _add_task(rep, "拜访 10 家重点客户", month + timedelta(days=20), "60", "拜访记录 10 条")
    for header in rep.locator("#plan-items thead th").all():
        _one_line(header)
    _one_line(rep.locator("#plan-items tbody button").first)
    task = rep.locator("#plan-items tbody td", has_text="拜访 10 家重点客户")
    assert task.bounding_box()["height"] < 3 * 16 * 1.5, task.bounding_box()  # not 3+ lines
    _shot(rep, "plan-changed")
    rep.locator("#plan-propose").click()
    _ok(rep)

    # The manager agrees
    manager.goto(plan_url)
    expect(manager.locator("#plan-items")).to_contain_text("回款 30 万元")
    manager.locator("#plan-agree").click()
    _ok(manager)
    expect(manager.locator("#plan-state")).to_contain_text("已同意")
    _shot(manager, "plan-agreed")

    # The rep records progress on the agreed plan
    rep.goto(plan_url)
    form = rep.locator("#plan-update-form")
    form.locator("#item_id").select_option(label="拜访 10 家重点客户")
    form.locator("#note").fill("已拜访明辉机械等 5 家客户")
    form.locator("#progress").fill("50")
    form.locator("button").click()  # not the file and photo pickers
    _ok(rep)
    expect(rep.locator("#plan-updates")).to_contain_text("已拜访明辉机械等 5 家客户")
    _shot(rep, "plan-progress")

    # The manager records a 1:1 check-in with her
    _menu(manager, "nav-checkins")
    form = manager.locator("#checkin-form")
    form.locator("#employee_id").select_option(label="陈晨")
    form.locator("#held_on").fill((month + timedelta(days=2)).isoformat())
    form.locator("#agenda").fill("本月计划与客户拜访")
    form.locator("#notes").fill("讨论了华丰电气的报价策略")
    form.locator("#blockers").fill("样品到货慢")
    form.locator("#actions").fill("周五前催样品")
    _shot(manager, "checkin-form")
    form.get_by_role("button").click()
    _ok(manager)
    expect(manager.locator("#checkins")).to_contain_text("讨论了华丰电气的报价策略")

    # A colleague praises her; another leaves a note about someone else, for the manager only
    colleague = signed_in(browser, live_server, "peer@demo.example", PHONE, "zh-CN")
    _menu(colleague, "nav-my-plans")
    colleague.locator("#continuous-nav").get_by_role("link", name="反馈").click()
    form = _recipient(colleague, "陈晨")
    form.locator("#kind").select_option("praise")
    form.locator("#text").fill("协助我完成恒远汽车配件的报价，非常专业")
    _shot(colleague, "feedback")
    form.get_by_role("button").click()
    _ok(colleague)
    expect(colleague.locator("#feedback-list")).to_contain_text("协助我完成恒远汽车配件的报价")

    other = signed_in(browser, live_server, "peer2@demo.example", PHONE, "zh-CN")
    other.goto("/feedback")
    form = _recipient(other, "杨帆")
    form.locator("#kind").select_option("improvement")
    form.locator("#text").fill("报价单多次延误，仅供经理参考")
    form.locator("#private").check()
    form.get_by_role("button").click()
    _ok(other)

    # The note kept for the manager: he reads it, the colleague it is about does not
    colleague.goto("/feedback")
    expect(colleague.locator("#feedback-list")).not_to_contain_text("报价单多次延误")
    _menu(manager, "nav-feedback")
    expect(manager.locator("#feedback-list")).to_contain_text("报价单多次延误")
    _shot(manager, "feedback-manager")

    # The rep reads the praise on her own feedback page
    rep.goto("/feedback")
    expect(rep.locator("#feedback-list")).to_contain_text("协助我完成恒远汽车配件的报价")
    expect(rep.locator("#feedback-list")).not_to_contain_text("报价单多次延误")

    # The manager opens her review form: the timeline shows the plan, check-in and praise
    _menu(manager, "nav-team")
    # last year's cycle is still open: his team shows in it too, and he opens this month's
    this_month = manager.locator(f"table[id^=team-]:not(#team-{last_year})")
    this_month.get_by_role("link", name="陈晨").click()
    manager.locator("#open-manager").click()
    timeline = manager.locator("#evidence-timeline")
    expect(timeline).to_contain_text("本期佐证")
    plan_entry = timeline.locator("li[data-kind='plan']")
    expect(plan_entry).to_contain_text("拜访 10 家重点客户")
    expect(plan_entry).to_contain_text("50%")
    expect(plan_entry).to_contain_text("已拜访明辉机械等 5 家客户")
    checkin_entry = timeline.locator("li[data-kind='checkin']")
    expect(checkin_entry).to_contain_text("讨论了华丰电气的报价策略")
    expect(checkin_entry).to_contain_text("样品到货慢")
    praise = timeline.locator("li[data-kind='feedback']")
    expect(praise).to_contain_text("杨帆")
    expect(praise).to_contain_text("表扬")
    expect(praise).to_contain_text("协助我完成恒远汽车配件的报价")
    expect(timeline).not_to_contain_text("报价单多次延误")
    expect(timeline).not_to_contain_text("周强与陈晨的私下谈话")
    expect(timeline.locator("li[data-kind='metric']").first).to_contain_text("客户覆盖率")
    expect(timeline).not_to_contain_text("customer_coverage")
    _shot(manager, "review-timeline")
