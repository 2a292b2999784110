"""Issue 22's journey in 中文, each person in their own browser: the HR admin (1280 px) grants
scoped roles on the users page (Dirk heads North, Hanna is North's HR business partner, Sue
audits the whole organization), reads them back on the permission overview and sets the
cycle to calibrate in two levels; Dirk, on his phone (375 px), finds Cycles and the
organization dashboard in the menu, sees only North's people and counts there and on the
cycle page, and proposes a grade with a reason; HR decides it and locks the calibration,
after which Dirk has nothing left to change; Sue reads the grade events, before and after,
in the audit log, has no button that changes anything, and a change she forges is refused.

The company is the runtime tests' (`tests/runtime/conftest.py`): Bo's team (Bo, Ann, Pat,
Quinn) works in North Sales, below North; Olga's (Olga, Oscar) in South. Every page is read
as its user reads it (its words and numbers), and none scrolls sideways on the phone.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appraisal.models import Department, User
from tests.conftest import PASSWORD, serving
from tests.e2e.conftest import one_line, open_setup_menu, signed_in
from tests.runtime.conftest import appraisal_of, calibrating, company, launched  # noqa: F401

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("APPRAISAL_SCREENSHOTS", tempfile.gettempdir()))
PHONE = {"width": 375, "height": 800}
DESK = {"width": 1280, "height": 900}
NORTH_PEOPLE = ("Bo", "Ann", "Pat", "Quinn")
SOUTH_PEOPLE = ("Olga", "Oscar")


@pytest.fixture
def governed(app, db, make, company, calibrating) -> Iterator[dict]:  # noqa: F811
    """North (with North Sales below it) and South, the two teams placed in them, and three
    members HR has not given a role yet; the cycle in calibration; the app served."""
    org = company.org
    north = Department(organization_id=org.id, name="North")
    south = Department(organization_id=org.id, name="South")
    db.add_all([north, south])
    db.flush()
    sales = Department(organization_id=org.id, name="North Sales", parent_id=north.id)
    db.add(sales)
    db.flush()
    for key in ("bo", "ann", "pat", "quinn"):
        db.merge(company.people[key]).department_id = sales.id
    for key in ("olga", "oscar"):
        db.merge(company.people[key]).department_id = south.id
    for local, name in (("dirk", "Dirk"), ("hanna", "Hanna"), ("sue", "Sue")):
        make.member(org, f"{local}@acme.example", roles=())
        db.scalar(select(User).where(User.email == f"{local}@acme.example")).name = name
    db.commit()
    with serving(app) as url:
        yield {"url": url, "cycle": calibrating, "company": company, "db": db}


def _browser(browser, url: str, email: str, viewport: dict):
    return signed_in(browser, url, email, viewport, locale="zh-CN", password=PASSWORD)


def _shot(page, name: str, viewport: dict) -> None:
    """No sideways scroll at the page's width, then a full-page screenshot of the step."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)
    page.screenshot(
        path=str(SCREENSHOTS / f"governance-{name}-{viewport['width']}.png"), full_page=True
    )


def _ok(page, text: str) -> None:
    expect(page.locator(".alert-success")).to_contain_text(text)


def _phone_menu(page, link_id: str) -> None:
    """Open the phone's collapsed top bar and follow one of its links."""
    page.wait_for_load_state("load")
    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
    page.locator(f"#{link_id}").click()


def _grant(hr, name: str, role: str, department: str | None) -> None:
    """On the users page: open the member, tick the role, choose its department, save."""
    hr.locator("main table").get_by_role("link", name=name, exact=True).click()
    expect(hr.locator("h1")).to_have_text("编辑用户")
    hr.get_by_label(role, exact=True).check()
    if department:
        hr.locator("#department").select_option(label=department)
    hr.get_by_role("button", name="保存").click()
    _ok(hr, f"{name} 已保存")
    badge = f"{role} · {department}" if department else role
    row = hr.locator("main table tbody tr", has_text=name)
    expect(row.locator(".badge")).to_have_text([badge])


def _text_lines(locator) -> int:
    """How many lines a cell's own text takes (its row may be taller for other cells)."""
    return locator.evaluate(
        "cell => { const r = document.createRange(); r.selectNodeContents(cell.firstChild);"
        " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
    )


def _row(page, employee: str):
    return page.locator("#calibration-list tbody tr", has_text=employee)


def test_scoped_roles_two_level_calibration_and_the_audit_trail(browser, governed):
    url, cycle = governed["url"], governed["cycle"]

    # 1. HR grants the roles and reads them back; the cycle calibrates in two levels.
    hr = _browser(browser, url, "hr@acme.example", DESK)
    open_setup_menu(hr)
    hr.locator("#nav-setup").get_by_role("link", name="用户与角色").click()
    expect(hr.locator("h1")).to_have_text("用户与角色")
    _grant(hr, "Dirk", "部门负责人", "North")
    _grant(hr, "Hanna", "HRBP（部门人事）", "North")
    _grant(hr, "Sue", "审计员", None)
    _shot(hr, "users", DESK)

    hr.locator("#permissions-link").click()
    expect(hr.locator("h1")).to_have_text("权限总览")
    dirk = hr.locator('#permissions tr[data-email="dirk@acme.example"]')
    expect(dirk.locator('[data-power="read_results"]')).to_have_text("North")  # and below
    expect(dirk.locator('[data-power="calibrate"]')).to_have_text("North")
    expect(dirk.locator('[data-power="run_cycles"]')).to_have_text("—")
    expect(dirk.locator('[data-power="read_audit_log"]')).to_have_text("—")
    hanna = hr.locator('#permissions tr[data-email="hanna@acme.example"]')
    expect(hanna.locator('[data-power="hr_steps"]')).to_have_text("North")
    sue = hr.locator('#permissions tr[data-email="sue@acme.example"]')
    expect(sue.locator('[data-power="read_results"]')).to_have_text("整个组织")
    expect(sue.locator('[data-power="read_audit_log"]')).to_have_text("整个组织")
    expect(sue.locator('[data-power="calibrate"]')).to_have_text("—")
    _shot(hr, "permissions", DESK)

    hr.locator("#nav-cycles").click()
    hr.locator("#cycles").get_by_role("link", name=cycle.name).click()
    hr.locator("#calibration-link").click()
    expect(hr.locator("h1")).to_contain_text("校准")
    hr.locator("#two_level").check()
    hr.locator("#quota-form").get_by_role("button", name="保存配额").click()
    _ok(hr, "配额已保存")
    expect(hr.locator("#two-level")).to_be_visible()
    expect(hr.locator("#two_level")).to_be_checked()

    # 2. Dirk on his phone: his menu, North's people and counts only, and a proposal.
    head = _browser(browser, url, "dirk@acme.example", PHONE)
    head.locator(".navbar-toggler").click()
    expect(head.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
    expect(head.locator("#nav-cycles")).to_have_text("考核周期")
    expect(head.locator("#nav-organization-dashboard")).to_have_text("组织看板")
    expect(head.locator("#nav-setup")).to_have_count(0)
    head.locator("#nav-organization-dashboard").click()
    expect(head.locator("h1")).to_contain_text(f"组织看板: {cycle.name}")
    expect(head.locator("#summary-appraisals")).to_have_text(str(len(NORTH_PEOPLE)))
    expect(head.locator("#filter-department option")).to_have_text(
        ["全部部门", "North", "North / North Sales"]
    )
    counts = head.locator("#grade-counts td").all_inner_texts()
    assert sum(int(n) for n in counts) == len(NORTH_PEOPLE), counts
    for name in ("South", *SOUTH_PEOPLE):
        expect(head.locator("main")).not_to_contain_text(name)
    _shot(head, "dashboard", PHONE)

    head.locator("#cycle-link").click()
    expect(head.locator("h1")).to_contain_text(cycle.name)
    expect(head.locator('[data-state="calibration"]')).to_have_text(str(len(NORTH_PEOPLE)))
    expect(head.locator("#appraisals tbody tr")).to_have_count(len(NORTH_PEOPLE))
    for name in NORTH_PEOPLE:
        expect(head.locator("#appraisals")).to_contain_text(name)
    for name in ("South", *SOUTH_PEOPLE):
        expect(head.locator("main")).not_to_contain_text(name)
    _shot(head, "cycle", PHONE)

    head.locator("#calibration-link").click()
    expect(head.locator("#two-level")).to_be_visible()
    expect(head.locator("#calibration-list tbody tr")).to_have_count(len(NORTH_PEOPLE))
    expect(head.locator("#overall h2")).to_contain_text("我负责的全部部门")  # not the whole cycle
    for cell in head.locator("#calibration-list thead th").all():
        one_line(cell)
    assert _text_lines(_row(head, "Pat").locator("td").nth(2)) == 1  # its state, 校准
    for name in ("South", *SOUTH_PEOPLE):
        expect(head.locator("main")).not_to_contain_text(name)
    pat = _row(head, "Pat")
    pat.get_by_label("校准等级").select_option("A")
    pat.get_by_label("原因").fill("客户投诉两起，建议降为 A")
    pat.get_by_role("button", name="提交").click()
    _ok(head, "Pat")
    expect(_row(head, "Pat").locator("[data-proposal]")).to_contain_text("A")
    expect(_row(head, "Pat").locator("[data-proposal]")).to_contain_text("客户投诉两起")
    _shot(head, "proposed", PHONE)

    # 3. HR sees the proposal, decides it and locks; Dirk has nothing left to change.
    hr.reload()
    pat = _row(hr, "Pat")
    expect(pat.locator("[data-proposal]")).to_contain_text("客户投诉两起，建议降为 A")
    expect(pat.get_by_label("校准等级")).to_have_value("A")
    pat.get_by_label("原因").fill("核实投诉，同意部门负责人建议")
    pat.get_by_role("button", name="保存").click()
    _ok(hr, "Pat")
    hr.locator("#lock").click()
    hr.get_by_role("button", name="锁定校准").click()
    _ok(hr, "校准已锁定")
    expect(hr.locator("#locked")).to_be_visible()
    _shot(hr, "locked", DESK)

    head.reload()
    expect(head.locator("#locked")).to_be_visible()
    expect(head.locator("#calibration-list select")).to_have_count(0)
    expect(head.locator("#calibration-list button")).to_have_count(0)
    expect(_row(head, "Pat")).to_contain_text("核实投诉，同意部门负责人建议")
    _shot(head, "locked", PHONE)

    # 4. Sue reads the grade events in the audit log, changes nothing, and a forged change
    # is refused.
    auditor = _browser(browser, url, "sue@acme.example", DESK)
    open_setup_menu(auditor)
    auditor.locator("#nav-audit").click()
    expect(auditor.locator("h1")).to_have_text("审计日志")
    expect(auditor.locator("main form[method=post]")).to_have_count(0)
    auditor.get_by_label("操作").select_option(label="部门负责人提出等级建议")
    auditor.get_by_role("button", name="搜索").click()
    rows = auditor.locator("#audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Dirk")
    expect(rows.locator('[data-field="proposed_grade"]')).to_have_text("建议等级: — → A")
    expect(rows).to_contain_text("客户投诉两起，建议降为 A")
    _shot(auditor, "proposal-event", DESK)

    auditor.get_by_label("操作").select_option(label="等级已调整")
    auditor.get_by_role("button", name="搜索").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("hr@acme.example")
    expect(rows.locator('[data-field="grade"]')).to_have_text("等级: S → A")
    expect(rows).to_contain_text("核实投诉，同意部门负责人建议")
    _shot(auditor, "override-event", DESK)

    auditor.locator("#nav-cycles").click()
    auditor.locator("#cycles").get_by_role("link", name=cycle.name).click()
    auditor.locator("#calibration-link").click()
    expect(auditor.locator("#calibration-list tbody tr")).to_have_count(6)
    expect(auditor.locator("main form[method=post]")).to_have_count(0)
    ann = appraisal_of(governed["db"], governed["company"], "ann")
    forged = auditor.request.post(
        f"{url}/cycles/{cycle.id}/calibration/{ann.id}",
        form={"grade": "D", "reason": "forged", "version": str(ann.version)},
    )
    assert forged.status == 403
    auditor.reload()
    expect(_row(auditor, "Ann").locator("td").nth(5)).not_to_contain_text("D")
