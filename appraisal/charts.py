"""Charts as data. A dashboard builds each chart as a `Chart`: a small spec that names no
charting library (kind, labels, series, links to what is behind each point). The page embeds
it as JSON for `static/charts.js`, which draws it with the vendored ECharts; the same spec is
the chart's table view (readable without script, for screen readers and print) and its XLSX
export, so the picture, the table and the file can never disagree.

Values stay `Decimal` here (the table and the file show them exactly); only the JSON the
script draws from turns them into floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import abort, jsonify
from werkzeug.wrappers import Response

from .tables import download

#: What a chart may be. `bar` and `line` have one value per label in each series;
#: `stacked` is bars whose series add up; `hbar` lies down (long labels, phones);
#: `radar` has one axis per label; `funnel` one step per label (a single series);
#: `heatmap` has one series per row, one value per label (column); `scatter` has points.
KINDS = ("bar", "hbar", "stacked", "line", "radar", "funnel", "heatmap", "scatter")

Number = Decimal | int | float


@dataclass(frozen=True)
class Point:
    """One point of a scatter chart (the quadrant): who, where, and what opens on a click."""

    label: str
    x: Number | None
    y: Number | None
    drill: str | None = None


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None] = ()
    #: One link per value (None where nothing opens); the same length as `values`.
    drill: Sequence[str | None] | None = None
    #: Scatter charts only.
    points: Sequence[Point] = ()


@dataclass(frozen=True)
class Band:
    """A shaded range on the value axis: a grade's band on a trend, a quota's target."""

    name: str
    low: Number
    high: Number


@dataclass(frozen=True)
class Chart:
    key: str  # unique on its page: the element's id and the export's file name
    kind: str
    title: str
    labels: Sequence[str]
    series: Sequence[Series]
    unit: str = ""  # "%", "分", "visits"… shown on the axis and in the table header
    bands: Sequence[Band] = ()
    axis_max: Number | None = None  # radar axes and percent axes; None: from the data
    axis_titles: tuple[str, str] = ("", "")  # scatter's x and y, the quadrant's meaning
    #: Lines drawn across a scatter at these x and y (the quadrant's split), if any.
    split: tuple[Number, Number] | None = None
    empty: str = ""  # what to say when there is nothing to draw

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")

    @property
    def is_empty(self) -> bool:
        if self.kind == "scatter":
            return not any(s.points for s in self.series)
        return not self.labels or not any(v is not None for s in self.series for v in s.values)

    def as_json(self) -> dict[str, Any]:
        """What `static/charts.js` draws from (numbers as floats, blanks as null)."""
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "labels": list(self.labels),
            "unit": self.unit,
            "series": [
                {
                    "name": s.name,
                    "values": [_drawn(v) for v in s.values],
                    "drill": list(s.drill) if s.drill is not None else None,
                    "points": [
                        {"label": p.label, "x": _drawn(p.x), "y": _drawn(p.y), "drill": p.drill}
                        for p in s.points
                    ],
                }
                for s in self.series
            ],
            "bands": [
                {"name": b.name, "low": _drawn(b.low), "high": _drawn(b.high)} for b in self.bands
            ],
            "axisMax": _drawn(self.axis_max),
            "axisTitles": list(self.axis_titles),
            "split": [_drawn(v) for v in self.split] if self.split else None,
        }

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """The chart as rows: one row per label (per point for a scatter; per series for a
        heatmap, whose columns are the labels). Cells keep their exact values."""
        if self.kind == "scatter":
            x_title, y_title = self.axis_titles
            grouped = len(self.series) > 1  # then each row says its group
            header = ["", *([""] if grouped else []), x_title or "x", y_title or "y"]
            rows = [
                [p.label, *([s.name] if grouped else []), p.x, p.y]
                for s in self.series
                for p in s.points
            ]
            return header, rows
        if self.kind == "heatmap":
            return ["", *self.labels], [[s.name, *s.values] for s in self.series]
        header = ["", *(s.name for s in self.series)]
        rows = [
            [label, *(s.values[i] if i < len(s.values) else None for s in self.series)]
            for i, label in enumerate(self.labels)
        ]
        return header, rows

    def table_links(self) -> list[list[str | None]]:
        """The drill-down link of each value cell in `table()`'s order (None: no link)."""
        if self.kind == "scatter":
            return [[p.drill] for s in self.series for p in s.points]
        if self.kind == "heatmap":
            return [list(s.drill or [None] * len(s.values)) for s in self.series]
        return [
            [(s.drill[i] if s.drill and i < len(s.drill) else None) for s in self.series]
            for i in range(len(self.labels))
        ]


def _drawn(value: Number | None) -> float | None:
    return None if value is None else float(value)


def percent(part: Number, whole: Number, places: int = 1) -> Decimal | None:
    """`part` as a percentage of `whole`, rounded half away from zero like every figure the
    app shows (None when there is no whole: blank, not 0)."""
    if not whole:
        return None
    exact = Decimal(100) * Decimal(str(part)) / Decimal(str(whole))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def xlsx_download(chart: Chart, filename: str | None = None) -> Response:
    """The chart's data as a spreadsheet (through `tables`, so text cells are made safe)."""
    header, rows = chart.table()
    return download("xlsx", header, rows, chart.title or chart.key, filename or chart.key)


def chart_file(board: Dashboard, key: str, fmt: str, filename: str | None = None) -> Response:
    """One chart of a page as its data endpoint answers: the spec as JSON or the data as
    XLSX; a key the page does not have is a 404."""
    chart = board.get(key)
    if chart is None:
        abort(404)
    if fmt == "json":
        return jsonify(chart.as_json())
    return xlsx_download(chart, filename)


@dataclass
class Dashboard:
    """The charts of one page, by key: the page renders them all, an export asks for one."""

    charts: list[Chart] = field(default_factory=list)

    def add(self, chart: Chart) -> Chart:
        if any(c.key == chart.key for c in self.charts):
            raise ValueError(f"two charts with the key {chart.key!r}")
        self.charts.append(chart)
        return chart

    def get(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)
