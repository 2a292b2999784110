"""A cycle from launch to calibration, by the people who do it, each in their own browser:
HR launches it from a scheme, the manager sets targets and invites two peers, the employee
confirms the goals, HR enters figures, the employee reviews herself (on a phone), the peers
and the manager review, and the live score matches the engine."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appraisal.builder import services as builder
from appraisal.models import Appraisal, Organization
from appraisal.rules import score
from appraisal.runtime.reviews.access import official_inputs
from tests.e2e.conftest import signed_in, task_link
from tests.runtime.conftest import runtime_definition

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 740}
CYCLE = "2026 Q4"


@pytest.fixture
def published(app, live_server):
    with app.app_context():
        from appraisal.db import get_session

        db = get_session()
        org = db.scalar(select(Organization).where(Organization.slug == "demo"))
        template = builder.import_template(db, org.id, None, runtime_definition())
        builder.publish(db, template, None)
        db.commit()
    return live_server


def test_a_cycle_from_launch_to_calibration(browser, published, app):
    hr = signed_in(browser, published, "admin@demo.example")
    hr.get_by_role("link", name="Cycles").first.click()
    hr.get_by_role("link", name="New scheme").click()
    hr.get_by_label("Name").fill("销售代表季度考核")
    hr.get_by_label("Template version").select_option(label="field-sales v1")
    hr.get_by_label("Positions (none: all)").select_option(label="销售代表")
    hr.get_by_role("button", name="Save").click()
    expect(hr.locator(".alert-success")).to_contain_text("Scheme saved.")

    hr.get_by_role("link", name="New cycle").first.click()
    hr.get_by_label("Scheme").select_option(label="销售代表季度考核")
    hr.get_by_label("Name").fill(CYCLE)
    hr.get_by_label("Period starts").fill("2026-10-01")
    hr.get_by_label("Period ends").fill("2026-12-31")
    hr.get_by_label("Goals due").fill("2026-10-15")
    hr.get_by_role("button", name="Create and preview").click()
    expect(hr.locator("#preview tbody tr")).to_have_count(4)
    hr.get_by_label("Leave out").fill("E008")
    hr.get_by_role("button", name="Launch the cycle").click()
    expect(hr.locator(".alert-success")).to_contain_text("3 appraisals created")
    expect(hr.locator('[data-state="goal_setting"]')).to_have_text("3")
    cycle_url = hr.url

    manager = signed_in(browser, published, "manager@demo.example")
    manager.get_by_role("link", name="My tasks").first.click()
    task_link(manager, CYCLE, re.compile("Set targets: 陈晨")).click()
    manager.get_by_label("Sales amount (CNY)").fill("100000")
    manager.get_by_role("button", name="Save targets").click()
    expect(manager.locator(".alert-success")).to_contain_text("Targets saved.")
    for email in ("peer@demo.example", "peer2@demo.example"):
        person = manager.locator("#invite-form").get_by_label("Person")
        value = person.locator("option", has_text=f"<{email}>").get_attribute("value")
        person.select_option(value)
        manager.locator("#invite-form").get_by_role("button", name="Invite").click()
        expect(manager.locator(".alert-success")).to_contain_text("Invited.")
    expect(manager.locator("#invitations li")).to_have_count(2)

    employee = signed_in(browser, published, "employee@demo.example", viewport=PHONE)
    employee.goto("/tasks")
    task_link(employee, CYCLE, "Confirm your goals").click()
    expect(employee.locator("#goals")).to_contain_text("100000")
    employee.get_by_role("button", name="Confirm my goals").click()
    expect(employee.locator('[aria-current="step"]')).to_contain_text("Self-review")

    hr.goto(cycle_url)
    hr.get_by_role("link", name="Enter figures").click()
    hr.locator('[id="fig|E005|sales"]').fill("112000")
    hr.locator('[id="fig|E005|collection"]').fill("96")
    hr.locator('[id="fig|E005|complaints"]').fill("1")
    hr.get_by_role("button", name="Save figures").click()
    expect(hr.locator(".alert-success")).to_contain_text("3 changed")
    hr.goto(cycle_url)
    hr.get_by_role("link", name=re.compile("E005")).click()
    hr.locator("#open-hr").click()
    hr.get_by_label("Awards").fill("2")
    hr.get_by_label("Falsified records").fill("0")
    hr.get_by_role("button", name="Save draft").click()
    expect(hr.locator(".alert-success")).to_contain_text("Draft saved.")

    employee.goto("/tasks")
    task_link(employee, CYCLE, "Write your self-review").click()
    employee.get_by_label("Customer care").select_option("4")
    employee.get_by_label("Leads a team").select_option("false")
    expect(employee.locator('[data-field="self.coaching"]')).to_be_hidden()
    expect(employee.locator('#live-items [data-item="customer_care"]')).to_contain_text("85")
    assert employee.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    employee.get_by_role("button", name="Submit").click()
    expect(employee.locator(".alert-success")).to_contain_text("Submitted")

    for email, rating in (("peer@demo.example", "5"), ("peer2@demo.example", "3")):
        peer = signed_in(browser, published, email)
        peer.get_by_role("link", name="My tasks").first.click()
        task_link(peer, CYCLE, re.compile("Review a colleague: 陈晨")).click()
        expect(peer.locator("#review-form")).not_to_contain_text("Customer care")
        peer.get_by_label("Teamwork").select_option(rating)
        peer.get_by_role("button", name="Submit").click()
        expect(peer.locator(".alert-success")).to_contain_text("Submitted")
        peer.context.close()

    manager.goto("/tasks")
    task_link(manager, CYCLE, re.compile("Review as manager: 陈晨")).click()
    manager.get_by_label("Customer care").select_option("5")
    manager.get_by_label("Teamwork").select_option("4")
    manager.get_by_label("Comments").fill("Strong quarter, keep coaching the new hires.")
    expect(manager.locator("#live-total")).to_have_text("102.79")
    expect(manager.locator("#live-grade")).to_have_text("S")
    manager.get_by_role("button", name="Submit").click()
    expect(manager.locator(".alert-success")).to_contain_text("Submitted")

    with app.app_context():
        from appraisal.db import get_session

        db = get_session()
        appraisal = db.scalar(
            select(Appraisal).join(Appraisal.employee).where(Appraisal.state == "calibration")
        )
        expected = score(appraisal.definition, official_inputs(appraisal))
        assert (expected.total, expected.grade) == (102.79, "S")
        assert float(appraisal.total) == expected.total and appraisal.grade == expected.grade
        appraisal_url = f"/appraisals/{appraisal.id}"

    employee.goto(appraisal_url)
    expect(employee.locator("#reviewers")).to_contain_text("2 of 2 submitted")
    for name in ("杨帆", "赵敏", "peer@", "peer2@"):
        expect(employee.locator("main")).not_to_contain_text(name)
    hr.goto(cycle_url)
    expect(hr.locator('[data-state="calibration"]')).to_have_text("1")
