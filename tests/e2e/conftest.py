"""A live server on loopback and Debian's Chromium driven by Playwright (no browser download).

Without Chromium these tests skip with the reason, unless APPRAISAL_REQUIRE_BROWSER=1 (CI),
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from appraisal.demo import load_demo
from tests.conftest import serving

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    return os.environ.get("APPRAISAL_CHROMIUM") or shutil.which("chromium")


@pytest.fixture
def live_server(app) -> Iterator[str]:
    with app.app_context():
        from appraisal.db import get_session

        session = get_session()
        load_demo(session)
        session.commit()
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        if os.environ.get("APPRAISAL_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (APPRAISAL_REQUIRE_BROWSER) but was not found")
        pytest.skip("Chromium not installed: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    # Live panels answer after a debounce and a server round trip; on CI's two busy cores
    # that can take longer than Playwright's 5 s default for an assertion to come true.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def signed_in(
    browser,
    base_url: str,
    email: str,
    viewport: dict | None = None,
    locale: str = "en-US",
    password: str | None = None,
):
    """A page in a browser context of its own, signed in as `email` (the demo's password
    unless `password`), with the browser asking for `locale` (the UI's language for an
    account that chose none)."""
    from playwright.sync_api import expect

    from appraisal.demo import DEMO_PASSWORD

    context = browser.new_context(base_url=base_url, locale=locale, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password or DEMO_PASSWORD)
    page.locator("#submit").click()
    welcome = "欢迎" if locale.startswith("zh") else "Welcome"
    expect(page.get_by_role("heading", level=1)).to_contain_text(welcome)
    return page


def task_link(page, cycle: str, name):
    """A link in My tasks within one cycle: the demo's own cycles give the same people tasks
    too (陈晨 confirms goals and is reviewed by peers in the demo's sales cycle)."""
    return page.locator("#tasks li", has_text=cycle).get_by_role("link", name=name)


def open_setup_menu(page) -> None:
    """Open the top bar's Set-up menu. Bootstrap's bundle must have run first, so wait for
    the page's load event; on a busy machine a click before it does nothing."""
    from playwright.sync_api import expect

    page.wait_for_load_state("load")
    menu = page.locator("#nav-setup .dropdown-menu")
    for _attempt in range(3):
        if menu.is_visible():
            return
        page.locator("#nav-setup .dropdown-toggle").click()
        try:
            expect(menu).to_be_visible(timeout=3000)
            return
        except AssertionError:
            continue
    expect(menu).to_be_visible()


def one_line(locator) -> None:
    """A button, a heading or a cell on one line, not stacked a character a line at 375 px
    (Chinese wraps between any two characters)."""
    box = locator.bounding_box()
    assert box["height"] < 2 * 16 * 1.5 * 0.75, box
