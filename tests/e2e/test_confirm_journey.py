"""A delete asks first in the browser: dismissing the question keeps the thing, accepting
it removes it (the designer's ✕ on an item, on a phone-sized screen in 中文)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import signed_in

pytestmark = pytest.mark.e2e


def test_removing_an_item_asks_first(browser, live_server):
    page = signed_in(
        browser, live_server, "admin@demo.example", {"width": 375, "height": 800}, locale="zh-CN"
    )
    page.goto("/builder/templates")
    page.get_by_role("link", name="mfg-production-operator").first.click()
    page.get_by_role("button", name="开始新草稿").click()
    row = page.locator('tr:has(td[id="item-strengths"])')
    expect(row).to_have_count(1)
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.get_by_role("button", name="✕").click()
    page.wait_for_load_state("load")
    expect(row).to_have_count(1)
    assert questions == ["确定要这样做吗？此操作无法撤销。"]

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="✕").click()
    expect(page.locator('td[id="item-strengths"]')).to_have_count(0)
