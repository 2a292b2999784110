"""Process KPIs computed, not typed: the implementer defines customer coverage (distinct
customers visited ÷ customers assigned) in the builder, HR binds it to the sales reps'
coverage figure, the rep's visit on the phone (375 px, 中文) moves the figure and the
score at once, and HR sees where the number came from and drills down to the records."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appraisal.models import Appraisal, Customer, Employee, Organization, SchemeMetric
from tests.e2e.conftest import signed_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 800}
DESK = {"width": 1280, "height": 900}


@pytest.fixture
def reps_new_customer(db, live_server):
    """陈晨 has visited her four customers this month; today a fifth is assigned to her."""
    org = db.scalar(select(Organization).where(Organization.slug == "demo"))
    chen = db.scalar(
        select(Employee).where(Employee.organization_id == org.id, Employee.name == "陈晨")
    )
    customer = Customer(organization_id=org.id, code="C095", name="远景机电有限公司")
    customer.reps.append(chen)
    db.add(customer)
    db.commit()
    appraisal = db.scalar(select(Appraisal).where(Appraisal.employee_id == chen.id))
    return {"org": org, "chen": chen, "customer": customer, "appraisal": appraisal}


def _errors(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


def _new_metric(page, key: str, name: str, **choices: str) -> None:
    page.goto("/builder/metrics/new")
    page.locator("#key").fill(key)
    page.locator("#name_zh").fill(name)
    if "source" in choices:  # the editor re-reads the page with that source's fields
        with page.expect_navigation():
            page.locator("#source").select_option(choices.pop("source"))
    page.locator("#aggregation").select_option(choices.pop("aggregation"))
    for field, value in choices.items():
        page.locator(f"#{field}").select_option(value)
    page.get_by_role("button", name="Save metric").click()
    page.wait_for_load_state("load")
    expect(page.locator(".invalid-feedback:visible")).to_have_count(0)


def _coverage_cell(page, number: str):
    return page.locator(f'[data-computed="fig|{number}|customer_coverage"]')


def test_coverage_defined_bound_and_moved_by_a_visit(browser, live_server, db, reps_new_customer):
    chen, appraisal = reps_new_customer["chen"], reps_new_customer["appraisal"]

    # the implementer builds the metric without code
    builder = signed_in(browser, live_server, "implementer@demo.example", DESK)
    errors = _errors(builder)
    _new_metric(
        builder,
        "visited_sites",
        "已拜访客户数",
        source="activity:customer_visit",
        aggregation="distinct",
        field="customer",
    )
    _new_metric(
        builder,
        "coverage_check",
        "客户覆盖率",
        aggregation="ratio",
        numerator="visited_sites",
        denominator="customers_assigned",
    )
    builder.goto("/builder/metrics")
    expect(builder.locator("body")).to_contain_text("客户覆盖率")
    assert errors == []
    builder.context.close()

    # HR binds it to the reps' coverage figure; the open cycle is computed at once
    hr = signed_in(browser, live_server, "admin@demo.example", DESK)
    errors = _errors(hr)
    scheme_id = appraisal.cycle.scheme_id
    hr.goto(f"/cycles/schemes/{scheme_id}/metrics")
    hr.locator("#item-customer_coverage").select_option("coverage_check")
    hr.get_by_role("button", name="Save and compute").click()
    expect(hr.locator(".alert-success")).to_contain_text("appraisals of open cycles computed")
    db.expire_all()
    binding = db.scalar(
        select(SchemeMetric).where(
            SchemeMetric.scheme_id == scheme_id, SchemeMetric.item_key == "customer_coverage"
        )
    )
    assert binding.metric.key == "coverage_check"

    figures = f"/cycles/{appraisal.cycle_id}/figures"
    hr.goto(figures)
    cell = _coverage_cell(hr, chen.number)
    expect(cell).to_contain_text("4 of 5 = 80 %")  # five assigned, four visited
    expect(cell.locator("input")).to_have_count(0)  # computed: never typed
    hr.goto(f"/appraisals/{appraisal.id}/result")
    before = hr.locator("#live-items").inner_text()

    # the rep visits the new customer on her phone
    rep = signed_in(browser, live_server, "employee@demo.example", PHONE, locale="zh-CN")
    rep_errors = _errors(rep)
    rep.goto("/field")
    rep.get_by_role("link", name="客户拜访").first.click()
    rep.wait_for_load_state("load")
    rep.locator("#field-customer").select_option(value=str(reps_new_customer["customer"].id))
    rep.locator("#field-purpose").select_option("demo")
    rep.locator("#field-outcome").fill("首次拜访，介绍了数控机床")
    rep.get_by_role("button", name="保存").click()
    expect(rep.locator("#today-visit")).to_contain_text("远景机电有限公司")
    assert rep_errors == []
    rep.context.close()

    # HR sees the figure and the score move, where they came from, and the records
    hr.goto(figures)
    cell = _coverage_cell(hr, chen.number)
    expect(cell).to_contain_text("5 of 5 = 100 %")
    hr.goto(f"/appraisals/{appraisal.id}/result")
    _until(lambda: hr.locator("#live-items").inner_text() != before)
    assert hr.locator("#live-items").inner_text() != before
    expect(hr.locator('[data-computed="customer_coverage"]')).to_be_visible()
    hr.goto(figures)
    _coverage_cell(hr, chen.number).get_by_role("link", name="details").click()
    hr.wait_for_load_state("load")
    expect(hr.locator("body")).to_contain_text(re.compile(r"5\s+of\s+5"))
    hr.locator('[data-part="numerator"] a').click()  # the visits behind "5 visited"
    hr.wait_for_load_state("load")
    expect(hr.locator("body")).to_contain_text("远景机电有限公司")
    assert errors == []
    hr.context.close()


def _until(check, seconds=10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not check():
        time.sleep(0.2)
