"""An implementer starts a customer from each industry pack and opens a template."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from appraisal.demo import DEMO_PASSWORD
from appraisal.packs import read_pack
from tests.e2e.conftest import open_setup_menu

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", ["manufacturing", "retail", "services"])
def test_implementer_creates_an_organization_from_a_pack(page, name):
    pack = read_pack(name)
    page.goto("/login")
    page.get_by_label("Email").fill("implementer@demo.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    open_setup_menu(page)
    page.get_by_role("link", name="Industry packs", exact=True).click()
    page.get_by_role("link", name="New organization from a pack").click()
    page.get_by_label(pack.name["en"]).check()
    page.get_by_label("Organization name").fill(f"Customer {name}")
    page.get_by_label("Short name (for sign-ins and links)").fill(f"customer-{name}")
    page.get_by_role("button", name="Create the organization").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Customer {name} is ready")
    added = '[data-count="added"]'
    expect(page.locator(f"#report-2 {added}")).to_have_text(str(len(pack.templates)))
    expect(page.locator(f"#report-3 {added}")).to_have_text(str(len(pack.activities)))

    page.get_by_role("link", name="Open the templates").click()
    first = pack.templates[0]
    page.get_by_role("link", name=first["key"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(first["name"]["en"])
    expect(page.locator("body")).to_contain_text(first["sections"][0]["name"]["en"])
