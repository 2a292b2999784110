"""`measure_all` (several metrics of one source in one pass, as a cycle's recompute measures)
gives each metric exactly what `measure` gives it alone, including how many of its rows were
flagged outside a geofence, and `placed` rows (the caller's query kept the period's) count
as the same rows placed by their day."""

from __future__ import annotations

import datetime as dt

from appraisal.rules import compile_metric, measure, measure_all

FIELDS = {"customer": "customer", "outcome": "choice", "amount": "money"}


def fields_of(source):
    return FIELDS if source.kind == "activity" else None


def metric(key, **rest):
    definition = {
        "format": "metric/1",
        "key": key,
        "name": {"en": key, "zh": key},
        "source": {"activity": "visit"},
        **rest,
    }
    return compile_metric(definition, fields_of, {})


def row(day, outcome, outside, amount="10"):
    return {
        "occurred_on": day,
        "outcome": outcome,
        "outside_geofence": outside,
        "amount": amount,
        "customer": 1,
        "has_location": True,
    }


START, END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
IN = dt.date(2026, 11, 1)
ROWS = [
    row(IN, "won", True),
    row(IN, "won", True),
    row(IN, "met", False),
    row(IN, "met", True),
    row(IN, "", False, amount=""),
]
WON = metric("won", aggregation="count", filter=[{"field": "outcome", "op": "eq", "value": "won"}])
MET = metric("met", aggregation="count", filter=[{"field": "outcome", "op": "eq", "value": "met"}])
ALL = metric("all", aggregation="sum", field="amount")


def test_each_filtered_metric_counts_its_own_flagged_rows():
    """Two filtered metrics in a row: the second used to report the first's flagged count
    (kept by the id of a list freed and reused in between)."""
    together = measure_all([WON, MET, ALL], ROWS, START, END)
    alone = [measure(m, ROWS, START, END) for m in (WON, MET, ALL)]
    assert together == alone
    assert [m.flagged for m in together] == [2, 1, 3]


def test_placed_rows_count_as_rows_placed_by_their_day():
    outside = [row(dt.date(2026, 9, 30), "won", True), row(dt.date(2027, 1, 1), "won", False)]
    placed = [{k: v for k, v in r.items() if k != "occurred_on"} for r in ROWS]
    assert measure_all([WON, MET, ALL], placed, START, END, placed=True) == measure_all(
        [WON, MET, ALL], ROWS + outside, START, END
    )
