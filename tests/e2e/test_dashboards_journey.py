"""Dashboards in a real browser, on the demo company: the sales rep opens "My performance" on
her phone (375 px, 中文), her manager opens the team dashboard, HR opens the organization's;
every chart draws under the CSP with no console error, and the numbers drawn are the
engine's for the same people."""

from __future__ import annotations

from collections import Counter

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appraisal.models import Appraisal, Employee, User
from appraisal.runtime.compiled import appraisal_template
from appraisal.runtime.cycles.figures import computed_keys
from appraisal.runtime.dashboards.attainment import PROCESS, attainment, item_kind, scored_items
from appraisal.runtime.reviews.access import final_result
from appraisal.states import AppraisalState
from tests.e2e.charts import (
    assert_charts_drew,
    assert_table_matches_drawing,
    click_value,
    spec,
    watch,
)
from tests.e2e.conftest import signed_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 800}
DESK = {"width": 1280, "height": 900}


def _appraisals_of_manager(db, email: str) -> list[Appraisal]:
    manager = db.scalar(
        select(Employee).join(User, Employee.user_id == User.id).where(User.email == email)
    )
    return list(db.scalars(select(Appraisal).where(Appraisal.manager_id == manager.id)))


def _floats(values):
    return [None if v is None else float(v) for v in values]


def test_the_rep_sees_her_process_items_drawn_as_the_engine_scores_them(browser, live_server, db):
    rep = signed_in(browser, live_server, "employee@demo.example", PHONE, locale="zh-CN")
    problems = watch(rep)
    rep.goto("/dashboards/mine")
    expect(rep.locator("h1")).to_contain_text("我的绩效")
    assert_charts_drew(rep, problems)
    chen = db.scalar(select(Employee).where(Employee.name == "陈晨"))
    appraisal = db.scalar(select(Appraisal).where(Appraisal.employee_id == chen.id))
    template = appraisal_template(appraisal)
    computed = computed_keys(db, appraisal.cycle)
    result = final_result(appraisal)
    process = [i for i in scored_items(template) if item_kind(i, computed) == PROCESS]
    assert process, "the demo rep's template binds process items to metrics"
    drawn = spec(rep, "process")
    assert drawn["series"][0]["values"] == _floats(
        attainment(result.items.get(i.key)) for i in process
    )
    assert_table_matches_drawing(rep, "process")
    click_value(rep, "process", 0)  # a computed item opens where its number came from
    rep.wait_for_url("**/computed/**")
    assert problems == []


def test_the_manager_sees_his_reports_heatmap_and_quadrant_as_the_engine_scores_them(
    browser, live_server, db
):
    boss = signed_in(browser, live_server, "manager@demo.example", DESK)
    problems = watch(boss)
    boss.goto("/dashboards/team")
    assert_charts_drew(boss, problems)
    reports = _appraisals_of_manager(db, "manager@demo.example")
    template = appraisal_template(reports[0])
    heatmap = spec(boss, f"heatmap-{reports[0].template_version_id}")
    rows = {s["name"]: s["values"] for s in heatmap["series"]}
    assert set(rows) == {a.employee.name for a in reports}
    for appraisal in reports:
        result = final_result(appraisal)
        expected = [result.total] + [
            attainment(result.items.get(i.key)) for i in scored_items(template)
        ]
        assert rows[appraisal.employee.name] == _floats(expected), appraisal.employee.name
    assert_table_matches_drawing(boss, f"heatmap-{reports[0].template_version_id}")
    row, column = next(  # a cell with a value (a blank cell is not drawn)
        (r, c)
        for r, s in enumerate(heatmap["series"])
        for c, v in enumerate(s["values"])
        if v is not None
    )
    click_value(boss, f"heatmap-{reports[0].template_version_id}", column, series=row)
    boss.wait_for_url("**/appraisals/**")
    assert problems == []


def test_hr_sees_where_the_sales_cycle_stands_and_opens_the_people_behind_a_step(
    browser, live_server, db
):
    hr = signed_in(browser, live_server, "admin@demo.example", DESK)
    problems = watch(hr)
    reports = _appraisals_of_manager(db, "manager@demo.example")
    cycle = reports[0].cycle
    hr.goto(f"/dashboards/organization?cycle={cycle.id}")
    assert_charts_drew(hr, problems, at_least=3)
    in_cycle = db.scalars(select(Appraisal).where(Appraisal.cycle_id == cycle.id)).all()
    counted = Counter(a.state for a in in_cycle)
    funnel = spec(hr, "funnel")
    assert funnel["series"][0]["values"] == [counted[s.value] for s in AppraisalState]
    assert_table_matches_drawing(hr, "funnel")
    step = next(i for i, s in enumerate(AppraisalState) if counted[s.value])
    click_value(hr, "funnel", step)
    hr.wait_for_url("**/dashboards/organization/people**")
    behind = counted[list(AppraisalState)[step].value]
    expect(hr.locator("main table tbody tr")).to_have_count(behind)
    assert problems == []
