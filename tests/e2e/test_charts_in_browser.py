"""Every chart kind drawn by static/charts.js with the vendored ECharts, in Chromium, on a
page of the app (base.html, the app's CSP) rendered through the `_charts.html` macro: at
375 px and 1280 px each draws, with no console error and no CSP violation (also while a
tooltip shows); the PNG button saves a PNG; a click on a bar or a cell opens its link; the
table view shows the same numbers; the script's words follow the page's language."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import render_template_string
from playwright.sync_api import expect

from appraisal.charts import Band, Chart, Point, Series
from tests.conftest import serving
from tests.e2e.charts import (
    assert_charts_drew,
    assert_table_matches_drawing,
    click_value,
    drawn_charts,
    hover_value,
    open_table,
    spec,
    watch,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
OPENED = "/charts-for-test/opened/"

LONG = "华东区域销售与客户拓展部（含上海、杭州、南京分公司）"


def _charts() -> list[Chart]:
    d = Decimal
    people = ["王芳", "李强", "张伟", "刘洋", "陈晨", "赵敏"]
    return [
        Chart(
            "sections",
            "bar",
            "Sections",
            ["Results", "Competence", "Values"],
            [
                Series("Me", [d("87.5"), d("72"), None], drill=[f"{OPENED}results", None, None]),
                Series("Team", [d("80"), d("75.25"), d("90")]),
            ],
            unit="分",
        ),
        Chart(
            "departments",
            "hbar",
            "Departments",
            [LONG, "Finance", "研发中心", "Customer service and after-sales support"],
            [
                Series(
                    "Average",
                    [d("81.2"), d("77"), d("88.4"), d("69")],
                    drill=[f"{OPENED}east", None, None, None],
                )
            ],
            unit="分",
        ),
        Chart(
            "grades",
            "stacked",
            "Grades by department",
            ["Sales", "Finance", "R&D"],
            [
                Series(grade, values)
                for grade, values in [
                    ("A", [2, 1, 3]),
                    ("B", [5, 4, 6]),
                    ("C", [3, 2, 1]),
                    ("D", [1, 0, 1]),
                ]
            ],
        ),
        Chart(
            "trend",
            "line",
            "Trend",
            ["2023 H1", "2023 H2", "2024 H1", "2024 H2", "2025 H1"],
            [Series("Total", [d("78"), d("84.5"), None, d("91"), d("88")])],
            unit="分",
            bands=[Band("C", 60, 75), Band("B", 75, 90), Band("A", 90, 100)],
            axis_max=100,
        ),
        Chart(
            "profile",
            "radar",
            "Profile",
            ["Sales", "Visits", "Collection", "Teamwork", "Learning"],
            [
                Series("Me", [d("92"), d("80"), d("65"), d("88"), d("70")]),
                Series("Team", [d("85"), d("75"), d("80"), d("82"), d("78")]),
            ],
            unit="%",
            axis_max=100,
        ),
        Chart(
            "funnel",
            "funnel",
            "Cycle progress",
            ["Goals set", "Goals confirmed", "Self-review", "Manager review", "Done"],
            [
                Series(
                    "People",
                    [120, 112, 96, 60, 41],
                    drill=[f"{OPENED}step{i}" for i in range(5)],
                )
            ],
        ),
        Chart(
            "attainment",
            "heatmap",
            "Attainment per item",
            ["Sales", "Visits", "New customers", "Collection"],
            [
                Series(
                    name,
                    [d(str(60 + (i * 7 + j * 11) % 55)) for j in range(4)],
                    drill=[f"{OPENED}{i}-{j}" for j in range(4)],
                )
                for i, name in enumerate(people)
            ],
            unit="%",
        ),
        Chart(
            "quadrant",
            "scatter",
            "Result vs process",
            [],
            [
                Series(
                    "Team",
                    points=[
                        Point(name, d(str(40 + i * 11)), d(str(95 - i * 9)), f"{OPENED}p{i}")
                        for i, name in enumerate(people)
                    ],
                )
            ],
            unit="%",
            axis_titles=("Process attainment", "Result attainment"),
            split=(d("70"), d("70")),
        ),
    ]


PAGE = """{% extends 'base.html' %}{% from '_charts.html' import chart, charts_scripts %}
{% block title %}Charts{% endblock %}
{% block content %}<h1>Charts</h1>
{% for c in charts %}{{ chart(c) }}{% endfor %}
{{ chart(empty) }}
{{ charts_scripts() }}{% endblock %}"""


@pytest.fixture
def chart_page(app) -> Iterator[str]:
    """The charts page and the pages its drill links open, on this test's app only."""

    def charts():
        empty = Chart("nothing", "bar", "Nothing yet", [], [], empty="No data yet.")
        return render_template_string(PAGE, charts=_charts(), empty=empty)

    def opened(what: str):
        return f"<!doctype html><title>opened</title><h1 id='opened'>{what}</h1>"

    app.add_url_rule("/charts-for-test", "charts_for_test", charts)
    app.add_url_rule("/charts-for-test/opened/<what>", "charts_opened_for_test", opened)
    with serving(app) as url:
        yield url


def _page(browser, url: str, viewport: dict, locale: str = "en-US"):
    context = browser.new_context(
        base_url=url, viewport=viewport, locale=locale, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_every_kind_draws_under_the_csp_with_a_png_and_a_drill_down(browser, chart_page, viewport):
    page = _page(browser, chart_page, viewport)
    problems = watch(page)
    page.goto("/charts-for-test")

    charts = assert_charts_drew(page, problems, at_least=8)
    assert sorted(c["key"] for c in charts) == sorted(c.key for c in _charts())
    # The chart with nothing to show says so and draws nothing.
    expect(page.locator("#chart-nothing .chart-empty")).to_have_text("No data yet.")
    # Heatmap rows (and lying bars) grow the chart; long labels stay inside the card.
    assert (
        page.locator("#chart-attainment .chart-canvas").evaluate(
            "e => e.style.getPropertyValue('--chart-rows')"
        )
        == "6"
    )

    # A tooltip is our own class-only markup: showing it trips no CSP rule.
    hover_value(page, "sections", 0)
    tooltip = page.locator("#chart-sections .chart-tooltip")
    expect(tooltip).to_contain_text("Results")
    expect(tooltip).to_contain_text("87.5分")
    expect(tooltip).to_contain_text("Click to open")
    hover_value(page, "quadrant", 2)
    expect(page.locator("#chart-quadrant .chart-tooltip")).to_contain_text("张伟")
    expect(page.locator("#chart-quadrant .chart-tooltip")).to_contain_text("Process attainment")
    for key, series, index, shown in [
        ("departments", 0, 1, "77分"),
        ("grades", 2, 0, "C"),
        ("trend", 0, 1, "84.5分"),
        ("funnel", 0, 2, "96"),
        ("attainment", 1, 2, "89%"),
    ]:
        hover_value(page, key, index, series)
        expect(page.locator(f"#chart-{key} .chart-tooltip")).to_contain_text(shown)
    page.locator("#chart-profile .chart-canvas").evaluate(
        "e => echarts.getInstanceByDom(e).dispatchAction("
        "{type: 'showTip', seriesIndex: 0, dataIndex: 1})"
    )
    expect(page.locator("#chart-profile .chart-tooltip")).to_contain_text("Collection")
    expect(page.locator("#chart-profile .chart-tooltip")).to_contain_text("80%")

    # PNG: the button downloads <key>.png, a real PNG.
    with page.expect_download() as caught:
        page.locator("#chart-trend .chart-png").click()
    download = caught.value
    assert download.suggested_filename == "trend.png"
    with open(download.path(), "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"

    # The table view has the same numbers as the spec the picture was drawn from.
    rows = open_table(page, "sections")
    assert rows == [
        ["", "Me (分)", "Team (分)"],
        ["Results", "87.5", "80"],
        ["Competence", "72", "75.25"],
        ["Values", "—", "90"],
    ]
    assert spec(page, "sections")["series"][0]["values"] == [87.5, 72.0, None]
    for chart in _charts():
        assert_table_matches_drawing(page, chart.key)

    # A value without a link opens nothing; a bar with one opens it.
    click_value(page, "sections", 1)
    assert page.url.endswith("/charts-for-test")
    click_value(page, "sections", 0)
    expect(page.locator("#opened")).to_have_text("results")
    assert problems == []


@pytest.mark.parametrize(
    ("key", "series", "index", "opened"),
    [
        ("departments", 0, 0, "east"),
        ("attainment", 2, 3, "2-3"),
        ("quadrant", 0, 4, "p4"),
        ("funnel", 0, 3, "step3"),
    ],
)
def test_a_click_opens_what_is_behind_a_bar_a_cell_a_point_or_a_step(
    browser, chart_page, key, series, index, opened
):
    page = _page(browser, chart_page, PHONE)
    problems = watch(page)
    page.goto("/charts-for-test")
    drawn_charts(page)
    click_value(page, key, index, series)
    expect(page.locator("#opened")).to_have_text(opened)
    assert problems == []


def test_the_scripts_words_follow_the_pages_language(browser, chart_page):
    page = _page(browser, chart_page, DESKTOP, locale="zh-CN")
    problems = watch(page)
    page.goto("/charts-for-test")
    assert_charts_drew(page, problems, at_least=8)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    hover_value(page, "sections", 0)
    expect(page.locator("#chart-sections .chart-tooltip")).to_contain_text("点击查看明细")
    assert problems == []


def test_a_chart_that_cannot_draw_opens_its_table_and_is_reported(browser, chart_page):
    page = _page(browser, chart_page, DESKTOP)
    problems = watch(page)
    # As if the vendored file were missing: charts.js runs without ECharts.
    page.route("**/vendor/echarts/echarts.min.js", lambda route: route.fulfill(body=""))
    page.goto("/charts-for-test")
    states = drawn_charts(page)
    assert {c["state"] for c in states} == {"failed"}
    expect(page.locator("#chart-sections details.chart-table")).to_have_attribute("open", "")
    expect(page.locator("#chart-sections .chart-failed")).to_contain_text("table view")
    expect(page.locator("#chart-sections .chart-png")).to_be_hidden()
    assert problems  # the failure is an error in the console, not silence


def test_the_watcher_hears_a_csp_violation(browser, chart_page):
    """The helper other journeys rely on would fail a page that trips the CSP."""
    page = _page(browser, chart_page, DESKTOP)
    problems = watch(page)
    page.goto("/charts-for-test")
    drawn_charts(page)
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_timeout(300)
    assert any("style-src" in p for p in problems), problems


def test_charts_follow_the_window_from_desktop_to_phone(browser, chart_page):
    page = _page(browser, chart_page, DESKTOP)
    problems = watch(page)
    page.goto("/charts-for-test")
    wide = {c["key"]: c["width"] for c in assert_charts_drew(page, problems, at_least=8)}
    page.set_viewport_size(PHONE)
    page.wait_for_function(
        "() => [...document.querySelectorAll('main .chart-canvas canvas')]"
        ".every(c => c.getBoundingClientRect().width < 400)"
    )
    narrow = assert_charts_drew(page, problems, at_least=8)
    assert all(c["width"] < wide[c["key"]] for c in narrow)
