"""An HR admin builds a template in the browser, fixes a formula as it is typed, publishes,
tries it, exports it, and imports it again as a copy."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from appraisal.demo import DEMO_PASSWORD
from tests.e2e.conftest import open_setup_menu

pytestmark = pytest.mark.e2e


def sign_in(page):
    page.goto("/login")
    page.get_by_label("Email").fill("admin@demo.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def add_section(page, key, name, weight):
    page.locator("#section-key").fill(key)
    page.locator("#section-name_zh").fill(name)
    page.locator("#section-weight").fill(str(weight))
    page.locator("#section-submit").click()


def add_item(page, section, key, name, kind):
    page.locator(f"#add-{section}-key").fill(key)
    page.locator(f"#add-{section}-name_zh").fill(name)
    page.locator(f"#add-{section}-type").select_option(kind)
    page.locator(f"#add-{section}-submit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(key)


def test_admin_builds_publishes_tries_exports_and_imports_a_template(page, tmp_path):
    sign_in(page)
    open_setup_menu(page)
    page.get_by_role("link", name="Templates", exact=True).click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Key").fill("field-sales")
    page.get_by_label("Name (Chinese)").fill("外勤销售")
    page.get_by_label("Name (English)").fill("Field sales")
    page.get_by_label("Staff kind").select_option("field")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".alert-success")).to_contain_text("Template field-sales created.")

    add_section(page, "results", "业绩", 70)
    add_section(page, "behaviour", "行为", 30)

    add_item(page, "results", "sales", "销售额", "number")
    page.locator("#raters-0").check()
    page.locator("#weight").fill("60")
    page.locator("#method").select_option("ratio")
    page.locator("#cap").fill("120")
    page.get_by_role("button", name="Save item").click()
    expect(page.locator(".alert-success")).to_contain_text("Item sales saved.")

    add_item(page, "results", "margin", "毛利率", "number")
    page.locator("#weight").fill("40")
    page.locator("#method").select_option("bands")
    page.locator("#table").fill("30 100\n20 80\n0 40")
    formula = page.locator("#formula")
    formula.press_sequentially("sales * 0.25 / salse * 100")
    error = page.locator("#formula-feedback .formula-error")
    expect(error).to_contain_text("Unknown name `salse` — did you mean `sales`?")
    expect(formula).to_have_class(re.compile("is-invalid"))
    page.locator("#formula-feedback .formula-suggestion").click()
    expect(formula).to_have_value("sales * 0.25 / sales * 100")
    expect(formula).to_have_class(re.compile("is-valid"))
    page.get_by_role("button", name="Save item").click()

    add_item(page, "behaviour", "care", "客户关怀", "rating")
    page.locator("#raters-1").check()
    page.locator("#raters-2").check()
    page.locator("#weight").fill("100")
    page.locator("#method").select_option("rating")
    page.locator("#scale").select_option("five")
    page.get_by_role("button", name="Save item").click()

    page.get_by_role("link", name="Add bonus, deduction or veto").click()
    page.get_by_label("Key").fill("fraud")
    page.get_by_label("Kind").select_option("veto")
    page.get_by_label("Name (Chinese)").fill("弄虚作假")
    page.locator("#raters-5").check()
    page.locator("#condition").fill("fraud > 0")
    page.get_by_label("Grade when the veto fires").fill("D")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#problems")).to_have_count(0)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".alert-success")).to_contain_text("Version 1 published.")

    page.get_by_role("link", name="Try it").click()
    page.locator('[id="targets.sales"]').fill("1000")
    page.locator('[id="data.sales"]').fill("1300")
    page.locator('[id="self.care"]').select_option("4")
    page.locator('[id="manager.care"]').select_option("5")
    page.locator('[id="hr.fraud"]').fill("0")
    page.get_by_role("button", name="Score").click()
    # sales 130 % → capped 120; margin 25 → 80; results 104; care 97; 0.7×104 + 0.3×97
    expect(page.locator("#result-total")).to_have_text("101.9")
    expect(page.locator("#result-grade")).to_have_text("S")

    page.get_by_role("link", name="field-sales").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    exported = tmp_path / "field-sales.json"
    download.value.save_as(exported)
    original = json.loads(exported.read_text())
    assert original["key"] == "field-sales" and len(original["sections"]) == 2

    page.goto("/builder/templates/import")
    page.get_by_label("Template file (JSON)").set_input_files(str(exported))
    page.get_by_label("Import as a copy when the key exists").check()
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".alert-success")).to_contain_text("field-sales-copy imported")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    copied = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert copied == original | {"key": "field-sales-copy"}
