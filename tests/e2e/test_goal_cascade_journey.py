"""The goal cascade on a phone (375 px, 中文): HR creates December's sales goal and splits it
to the two sales regions by November's actuals, the region's manager splits his region to
its reps (offered only his region's people), and a rep finds her leaf from the menu. No page
scrolls sideways."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.conftest import signed_in

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("APPRAISAL_SCREENSHOTS", tempfile.gettempdir()))
PHONE = {"width": 375, "height": 800}


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _shot(page, name: str) -> None:
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"goals-{name}-375.png"), full_page=True)


def _part_row(page, name: str):
    return page.locator("#parts tbody tr", has_text=name)


def _one_line(locator) -> None:
    """A name or a heading on one line: the grid scrolls in its box rather than stacking
    Chinese names one character a line."""
    box = locator.bounding_box()
    assert box["height"] < 2 * 16 * 1.5 * 0.75, box


def _add_part(page, department: str | None = None, lead: str | None = None, person=None):
    if department:
        page.locator("#part-department_id").select_option(label=department)
    if lead:
        page.locator("#part-lead_id").select_option(label=lead)
    if person:
        page.locator("#part-employee_id").select_option(label=person)
    page.locator("#part-add").click()
    expect(page.locator(".alert-success")).to_be_visible()


def _after_the_demo_cycle(app) -> tuple[date, date]:
    """A month starting the day after the demo's cycles end: "last period" is theirs (the
    demo moves its cycle to run when it is loaded)."""
    from appraisal.db import get_session
    from appraisal.models import Cycle

    with app.app_context():
        ends = get_session().scalar(select(func.max(Cycle.ends_on)))
    return ends + timedelta(days=1), ends + timedelta(days=31)


def test_hr_splits_to_regions_a_manager_to_reps_and_a_rep_sees_her_leaf(browser, live_server, app):
    starts, ends = _after_the_demo_cycle(app)
    hr = signed_in(browser, live_server, "admin@demo.example", PHONE, "zh-CN")
    hr.goto("/goals")
    _shot(hr, "index")
    hr.locator("#new-goal").click()
    hr.locator("#key").fill("sales_amount")
    hr.locator("#name").fill("12月销售额")
    hr.locator("#unit").fill("元")
    hr.locator("#weight").fill("60")
    hr.locator("#starts_on").fill(starts.isoformat())
    hr.locator("#ends_on").fill(ends.isoformat())
    hr.locator("#target").fill("1000000")
    _shot(hr, "edit")
    hr.locator("#submit").click()
    expect(hr.locator("#goal-tree")).to_be_visible()
    hr.locator("#goal-tree li").first.locator("a[href^='/goals/nodes/']").click()

    # The company's parts: the two sales regions, the east one split by its manager
    expect(hr.locator("#no-parts")).to_be_visible()
    _add_part(hr, department="总经办 / 销售部 / 华东销售区", lead="E004 刘洋")
    _add_part(hr, department="总经办 / 销售部 / 华南销售区")
    # By November's actuals: east 212,000 + 171,000 = 383,000, south 246,000 + 138,000 =
    # 384,000. 1,000,000 × 383/767 = 499,348.1095… and × 384/767 = 500,651.8904…: the
    # floors leave one cent, which goes to the larger remainder (east).
    hr.locator("#method").select_option("last_actual")
    hr.locator("#split-button").click()
    expect(hr.locator("#split-note")).to_be_visible()
    east = _part_row(hr, "华东销售区").locator("input[name^='target|']")
    south = _part_row(hr, "华南销售区").locator("input[name^='target|']")
    expect(east).to_have_value("499348.11")
    expect(south).to_have_value("500651.89")
    _one_line(_part_row(hr, "华东销售区").locator("th a"))
    _one_line(hr.locator("#parts thead th").first)
    _shot(hr, "split-company")
    hr.locator("#save-split").click()
    expect(hr.locator(".alert-success")).to_be_visible()
    expect(hr.locator("#parts-total")).to_contain_text("1,000,000.00")

    # The east region's manager: his region only, split equally to its two reps
    manager = signed_in(browser, live_server, "manager@demo.example", PHONE, "zh-CN")
    manager.goto("/goals")
    manager.get_by_role("link", name="12月销售额").click()
    expect(manager.locator("#goal-tree")).to_contain_text("华东销售区")
    expect(manager.locator("#goal-tree")).not_to_contain_text("华南销售区")
    _shot(manager, "tree-manager")
    manager.locator("#goal-tree li", has_text="华东销售区").locator(
        "a[href^='/goals/nodes/']"
    ).click()
    people = manager.locator("#part-employee_id option")
    expect(people).to_have_count(3)  # "—", 陈晨 and 杨帆: not 赵敏 or 黄磊 of the south
    _add_part(manager, person="E005 陈晨")
    _add_part(manager, person="E006 杨帆")
    manager.locator("#method").select_option("equal")
    manager.locator("#split-button").click()
    # 499,348.11 / 2 = 249,674.055: one cent more for the first
    expect(_part_row(manager, "陈晨").locator("input[name^='target|']")).to_have_value("249674.06")
    expect(_part_row(manager, "杨帆").locator("input[name^='target|']")).to_have_value("249674.05")
    _one_line(_part_row(manager, "陈晨").locator("th a"))
    _shot(manager, "split-region")
    manager.locator("#save-split").click()
    expect(manager.locator(".alert-success")).to_be_visible()

    # The rep: from the menu to her leaf, a colleague's not shown
    rep = signed_in(browser, live_server, "employee@demo.example", PHONE, "zh-CN")
    rep.locator(".navbar-toggler").click()
    rep.locator("#nav-my-goals").click()
    rep.get_by_role("link", name="12月销售额").click()
    tree = rep.locator("#goal-tree")
    expect(tree.locator("li", has_text="陈晨")).to_contain_text("249,674.06")
    expect(tree).to_contain_text("华东销售区")
    expect(tree).not_to_contain_text("杨帆")
    _shot(rep, "tree-rep")
