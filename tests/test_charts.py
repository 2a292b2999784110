"""Charts as data: the table view and the XLSX export carry the same exact numbers the
picture is drawn from, drill links stay with their cells, and chart text reaches the page
only escaped (a title cannot close the JSON data block)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from flask import render_template_string
from openpyxl import load_workbook

from appraisal.charts import Band, Chart, Dashboard, Point, Series, xlsx_download


def _sections() -> Chart:
    return Chart(
        key="sections",
        kind="bar",
        title="Sections",
        labels=["业绩", "能力"],
        series=[
            Series("me", [Decimal("87.50"), None], drill=["/a/1", None]),
            Series("team", [Decimal("80"), Decimal("75.25")]),
        ],
        unit="分",
        bands=[Band("A", 90, 100)],
    )


def test_a_bar_chart_is_one_row_per_label_with_exact_values_and_links():
    chart = _sections()
    header, rows = chart.table()
    assert header == ["", "me", "team"]
    assert rows == [["业绩", Decimal("87.50"), Decimal("80")], ["能力", None, Decimal("75.25")]]
    assert chart.table_links() == [["/a/1", None], [None, None]]
    drawn = chart.as_json()
    assert drawn["series"][0]["values"] == [87.5, None]
    assert drawn["bands"] == [{"name": "A", "low": 90.0, "high": 100.0}]


def test_a_heatmap_is_one_row_per_series_and_a_scatter_one_row_per_point():
    heat = Chart(
        "heat",
        "heatmap",
        "Team × item",
        ["销售额", "拜访"],
        [Series("张三", [Decimal("1.1"), Decimal("0.5")], drill=["/x", "/y"])],
    )
    assert heat.table() == (["", "销售额", "拜访"], [["张三", Decimal("1.1"), Decimal("0.5")]])
    assert heat.table_links() == [["/x", "/y"]]
    quadrant = Chart(
        "quadrant",
        "scatter",
        "Result vs process",
        [],
        [
            Series(
                "team",
                points=[
                    Point("张三", Decimal("0.9"), Decimal("1.2"), "/p/1"),
                    Point("李四", None, Decimal("0.4")),
                ],
            )
        ],
        axis_titles=("过程", "结果"),
        split=(1, 1),
    )
    assert quadrant.table() == (
        ["", "过程", "结果"],
        [["张三", Decimal("0.9"), Decimal("1.2")], ["李四", None, Decimal("0.4")]],
    )
    assert quadrant.table_links() == [["/p/1"], [None]]
    assert quadrant.as_json()["split"] == [1.0, 1.0] and not quadrant.is_empty


def test_nothing_to_draw_is_empty_and_an_unknown_kind_is_a_programming_error():
    assert Chart("e", "line", "Trend", [], []).is_empty
    assert Chart("e", "line", "Trend", ["Q1"], [Series("s", [None])]).is_empty
    with pytest.raises(ValueError):
        Chart("x", "pie3d", "?", [], [])
    board = Dashboard()
    board.add(_sections())
    with pytest.raises(ValueError):
        board.add(_sections())
    assert board.get("sections") is not None and board.get("nope") is None


def test_the_export_holds_the_table_and_formula_like_text_stays_text(app):
    chart = Chart("names", "bar", "Names", ['=HYPERLINK("x")'], [Series("n", [Decimal("2.5")])])
    with app.test_request_context():
        response = xlsx_download(chart)
    assert response.headers["Content-Disposition"] == 'attachment; filename="names.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        [None, "n"],
        ['=HYPERLINK("x")', 2.5],
    ]
    assert sheet["A2"].data_type == "s"


def test_the_page_gets_the_chart_escaped_with_its_table_view(app):
    chart = Chart(
        "evil",
        "bar",
        "</script><script>alert(1)</script>",
        ["<b>x</b>"],
        [Series("s", [Decimal("3")], drill=["/d?a=1&b=2"])],
    )
    with app.test_request_context():
        html = render_template_string(
            "{% from '_charts.html' import chart %}{{ chart(c, xlsx_url='/e.xlsx') }}", c=chart
        )
    assert "<script>alert" not in html and "<b>x</b>" not in html
    assert html.count("</script>") == 1  # only the data block's own end
    assert 'href="/d?a=1&amp;b=2">3</a>' in html and 'href="/e.xlsx"' in html
    with app.test_request_context():
        empty = render_template_string(
            "{% from '_charts.html' import chart %}{{ chart(c) }}",
            c=Chart("none", "bar", "T", [], [], empty="还没有数据"),
        )
    assert "还没有数据" in empty and "chart-data" not in empty
