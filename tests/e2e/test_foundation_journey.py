"""A new HR admin's first minutes: sign in, switch to Chinese, set up people."""

import re

import pytest
from playwright.sync_api import expect

from appraisal.demo import DEMO_PASSWORD
from tests.e2e.conftest import open_setup_menu

pytestmark = pytest.mark.e2e


def test_admin_signs_in_switches_to_chinese_and_creates_an_employee(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill("admin@demo.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("欢迎")

    open_setup_menu(page)
    page.get_by_role("link", name="部门", exact=True).first.click()
    page.get_by_role("link", name="新建部门").click()
    page.get_by_label("名称").fill("采购部")
    page.get_by_label("编码").fill("PUR")
    page.get_by_label("上级部门").select_option(label="总经办")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("部门 采购部 已保存。")
    expect(page.get_by_role("cell", name="采购部", exact=True)).to_be_visible()

    open_setup_menu(page)
    page.get_by_role("link", name="岗位", exact=True).first.click()
    page.get_by_role("link", name="新建岗位").click()
    page.get_by_label("名称").fill("采购员")
    page.get_by_label("员工类型").select_option(label="内勤")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("岗位 采购员 已保存。")

    open_setup_menu(page)
    page.get_by_role("link", name="员工", exact=True).first.click()
    page.get_by_role("link", name="新建员工").click()
    page.get_by_label("工号", exact=True).fill("E100")
    page.get_by_label("姓名").fill("林小雨")
    page.get_by_label("部门").select_option(label="总经办 / 采购部")
    page.get_by_label("岗位").select_option(label="采购员")
    page.get_by_label("直属上级").select_option(label="E001 王建国")
    page.get_by_label("入职日期").fill("2026-11-02")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("员工 林小雨 已保存。")
    page.get_by_role("searchbox").fill("E100")
    page.get_by_role("button", name="搜索").click()
    row = page.locator("#employees tr", has_text="E100")
    expect(row).to_contain_text("采购部")
    expect(row).to_contain_text("王建国")

    page.get_by_role("link", name="新建员工").click()
    page.get_by_label("工号", exact=True).fill("E100")
    page.get_by_label("姓名").fill("重复的人")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".invalid-feedback")).to_have_text("工号 E100 已被使用。")
    expect(page.get_by_label("姓名")).to_have_value("重复的人")
