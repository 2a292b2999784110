"""Layout in a real browser under the app's CSP: at 375 px (in 中文) the targets grid, the
figures grid and the team table scroll inside their own box, the page itself never sideways,
and inputs keep room for six digits; at 1280 px the top bar stays on one line."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appraisal.demo import DEMO_PASSWORD
from appraisal.models import Cycle

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("APPRAISAL_SCREENSHOTS", tempfile.gettempdir()))
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Width of six digits in the input's own font, compared with the input's inner width.
SIX_DIGITS = """input => {
  const probe = document.createElement('span');
  probe.textContent = '000000';
  probe.style.font = getComputedStyle(input).font;  // CSSOM from a file script: allowed by CSP
  document.body.appendChild(probe);
  const needed = probe.getBoundingClientRect().width;
  probe.remove();
  const style = getComputedStyle(input);
  const inner = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [inner, needed];
}"""


def _sign_in(browser, base_url: str, email: str, viewport: dict, locale: str = "zh-CN"):
    context = browser.new_context(base_url=base_url, locale=locale, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#submit").click()
    expect(page.locator("#home-tasks")).to_be_visible()
    return page


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _wide_enough(page, selector: str) -> None:
    inner, needed = page.locator(selector).first.evaluate(SIX_DIGITS)
    assert inner >= needed, (page.url, selector, inner, needed)


def _cycle_id(app) -> int:
    with app.app_context():
        from appraisal.db import get_session

        return get_session().scalar(select(Cycle.id).where(Cycle.name.like("生产操作工%")))


def test_grids_and_team_table_on_a_phone_in_chinese(browser, live_server, app):
    cycle_id = _cycle_id(app)
    manager = _sign_in(browser, live_server, "supervisor@demo.example", PHONE)
    manager.goto("/team")
    expect(manager.locator("table[id^=team-]").first).to_be_visible()
    _no_sideways_scroll(manager)
    manager.goto(f"/cycles/{cycle_id}/targets")
    expect(manager.locator("#targets")).to_be_visible()
    _no_sideways_scroll(manager)
    _wide_enough(manager, "#targets input[name^='tgt|']")
    header = manager.locator("#targets thead th").nth(3)  # an item's name: one line, not stacked
    assert header.bounding_box()["height"] < 2.2 * 16 * 1.5, header.bounding_box()
    manager.screenshot(path=str(SCREENSHOTS / "targets-375.png"), full_page=True)

    hr = _sign_in(browser, live_server, "admin@demo.example", PHONE)
    hr.goto(f"/cycles/{cycle_id}/figures")
    expect(hr.locator("#figures")).to_be_visible()
    _no_sideways_scroll(hr)
    _wide_enough(hr, "#figures input[name^='fig|']")
    hr.goto(f"/cycles/{cycle_id}/calibration")
    _no_sideways_scroll(hr)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_top_bar_stays_on_one_line_at_1280(browser, live_server, locale):
    hr = _sign_in(browser, live_server, "admin@demo.example", DESKTOP, locale)
    assert hr.locator("nav.navbar").bounding_box()["height"] < 70
    hr.locator("#nav-setup .dropdown-toggle").click()  # the set-up menu opens (local bundle)
    expect(hr.locator("#nav-packs")).to_be_visible()
    hr.screenshot(path=str(SCREENSHOTS / f"navbar-{locale}.png"))


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_an_employees_top_bar_stays_on_one_line_at_1280(browser, live_server, locale):
    """A rep's bar carries her own links (My goals, Plans and feedback): still one line."""
    rep = _sign_in(browser, live_server, "employee@demo.example", DESKTOP, locale)
    expect(rep.locator("#nav-my-plans")).to_be_visible()
    assert rep.locator("nav.navbar").bounding_box()["height"] < 70
    rep.screenshot(path=str(SCREENSHOTS / f"navbar-employee-{locale}.png"))
