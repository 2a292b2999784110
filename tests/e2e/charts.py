"""Checks for pages that show charts (`_charts.html` + static/charts.js), for every journey
that opens one:

    problems = watch(page)            # before the page loads: console, errors, CSP
    page.goto("/dashboards/mine")
    assert_charts_drew(page, problems)  # every chart drew; nothing was reported
    click_value(page, "sections", 1)  # a bar, a cell, a point: drills where it links

`watch` keeps listening across navigations (the CSP listener is an init script reporting
through a binding), so one call covers a whole journey.
"""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

# A CSP violation also reaches the console in Chromium, but the event says which directive
# and where; listening for it does not depend on the console's wording.
_LISTEN = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__chartsReportViolation(
    `CSP ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}` +
    ` at ${e.sourceFile}:${e.lineNumber}`
  );
}, true);
"""

_STATES = """() => [...document.querySelectorAll('figure.chart')]
  .filter(f => f.querySelector('.chart-canvas'))
  .every(f => f.dataset.chartState)"""

_DRAWN = """figures => figures.filter(f => f.querySelector('.chart-canvas')).map(f => {
  const box = f.querySelector('.chart-canvas');
  const surface = box.querySelector('canvas, svg');
  const rect = surface ? surface.getBoundingClientRect() : {width: 0, height: 0};
  const chart = window.echarts && window.echarts.getInstanceByDom(box);
  const png = f.querySelector('.chart-png');
  return {
    key: f.dataset.chartKey,
    state: f.dataset.chartState || null,
    width: rect.width,
    height: rect.height,
    inside: surface ? rect.right <= f.getBoundingClientRect().right + 1 : false,
    series: chart ? chart.getOption().series.length : 0,
    png: !!png && !png.hidden,
  };
})"""

# Where a value is drawn, in page pixels, from the chart's own spec and ECharts' coordinates.
_WHERE = """([key, series, index]) => {
  const figure = document.getElementById('chart-' + key);
  const box = figure.querySelector('.chart-canvas');
  const spec = JSON.parse(figure.querySelector('script.chart-data').textContent);
  const chart = window.echarts.getInstanceByDom(box);
  let at;
  if (spec.kind === 'heatmap') {  // one drawn series; row `series`, column `index`
    at = chart.convertToPixel({seriesIndex: 0}, [index, series]);
  } else if (spec.kind === 'line') {
    at = chart.convertToPixel({seriesIndex: series}, [index, spec.series[series].values[index]]);
  } else if (spec.kind === 'scatter') {
    const p = spec.series[series].points[index];
    at = chart.convertToPixel({seriesIndex: series}, [p.x, p.y]);
  } else {
    const layout = chart.getModel().getSeriesByIndex(series).getData().getItemLayout(index);
    if (layout.points) {  // a funnel's step
      const n = layout.points.length;
      at = [0, 1].map(d => layout.points.reduce((sum, p) => sum + p[d], 0) / n);
    } else {  // a bar
      at = [layout.x + layout.width / 2, layout.y + layout.height / 2];
    }
  }
  const rect = box.getBoundingClientRect();
  return [rect.left + at[0], rect.top + at[1]];
}"""


def watch(page: Page) -> list[str]:
    """Start collecting console errors, uncaught errors and CSP violations on `page` (call it
    before the page with charts loads). The returned list fills as they happen."""
    problems: list[str] = []
    page.on("console", lambda m: _console(problems, m))
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.expose_function("__chartsReportViolation", lambda text: problems.append(text))
    page.add_init_script(_LISTEN)
    return problems


def _console(problems: list[str], message) -> None:
    # The browser asks for /favicon.ico on its own (the app has none): not the page's error.
    url = message.location.get("url") or ""
    if message.type == "error" and not url.endswith("/favicon.ico"):
        problems.append(f"{message.text} ({message.location.get('url')})")


def drawn_charts(page: Page) -> list[dict]:
    """Each chart of the page as drawn: key, state, surface size, series count, PNG button."""
    page.wait_for_function(_STATES)
    return page.locator("figure.chart").evaluate_all(_DRAWN)


def assert_charts_drew(page: Page, problems: list[str], at_least: int = 1) -> list[dict]:
    """Every chart on the page drew (a canvas of non-zero size, within its figure, with its
    series, its PNG button shown) and nothing was reported; charts with nothing to show
    (their "empty" note) are not drawn and not counted. Returns what `drawn_charts` saw."""
    charts = drawn_charts(page)
    assert len(charts) >= at_least, charts
    for chart in charts:
        assert chart["state"] == "drawn", chart
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["inside"], chart  # no chart wider than its card (375 px phones)
        assert chart["series"] > 0, chart
        assert chart["png"], chart
    width = page.viewport_size["width"] if page.viewport_size else None
    if width:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    assert problems == []
    return charts


def spec(page: Page, key: str) -> dict:
    """The JSON the chart `key` was drawn from."""
    return json.loads(page.locator(f"#chart-{key} script.chart-data").text_content() or "{}")


def click_value(page: Page, key: str, index: int, series: int = 0) -> None:
    """Click value `index` of `series` (a bar's middle, a line's or a scatter's point, a
    funnel's step, a heatmap's cell at row `series`) in chart `key`."""
    page.mouse.click(*_where(page, key, index, series))


def hover_value(page: Page, key: str, index: int, series: int = 0) -> None:
    """Rest the mouse on a value as `click_value` would click it (its tooltip shows)."""
    page.mouse.move(*_where(page, key, index, series))


def _where(page: Page, key: str, index: int, series: int) -> tuple[float, float]:
    page.locator(f"#chart-{key} .chart-canvas").scroll_into_view_if_needed()
    x, y = page.evaluate(_WHERE, [key, series, index])
    return x, y


def open_table(page: Page, key: str) -> list[list[str]]:
    """Open chart `key`'s table view and return its rows as text (header row first)."""
    figure = page.locator(f"#chart-{key}")
    if not figure.locator("details.chart-table").evaluate("d => d.open"):
        figure.locator("details.chart-table summary").click()
    table = figure.locator("details.chart-table table")
    expect(table).to_be_visible()
    return table.locator("tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))"
    )


def _number(text: str) -> float | None:
    return None if text == "—" else float(text)


def assert_table_matches_drawing(page: Page, key: str) -> None:
    """Chart `key`'s table view (exact numbers, no script needed) holds the same values as
    the spec the picture was drawn from, cell for cell."""
    drawn = spec(page, key)
    body = open_table(page, key)[1:]
    if drawn["kind"] == "scatter":
        table = [[_number(cell) for cell in row[-2:]] for row in body]
        expected = [[p["x"], p["y"]] for s in drawn["series"] for p in s["points"]]
    elif drawn["kind"] == "heatmap":
        table = [[_number(cell) for cell in row[1:]] for row in body]
        expected = [s["values"] for s in drawn["series"]]
    else:
        table = [[_number(cell) for cell in row[1:]] for row in body]
        expected = [[s["values"][i] for s in drawn["series"]] for i in range(len(drawn["labels"]))]
    assert table == expected, key
