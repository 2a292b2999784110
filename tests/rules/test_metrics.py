"""The metric/1 format: every aggregation and filter kind against sums worked out by hand,
and the definition checks with their paths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from appraisal.rules import (
    EVENT_KINDS,
    MetricInvalid,
    assigned,
    check_event_attributes,
    compile_metric,
    divide,
    measure,
    validate_metric,
)

VISIT_FIELDS = {
    "customer": "customer",
    "outcome": "choice",
    "amount": "money",
    "visitors": "number",
    "products": "multi_choice",
    "arrived": "datetime",
    "left": "datetime",
    "follow_up": "date",
    "photos": "photos",
    "note": "text",
}


def fields_of(source):
    if source.kind == "activity" and source.key == "visit":
        return VISIT_FIELDS
    if source.kind == "event" and source.key in EVENT_KINDS:
        return {f.key: f.type for f in EVENT_KINDS[source.key].fields}
    return None


def metric(**rest):
    definition = {
        "format": "metric/1",
        "key": "m",
        "name": {"en": "M", "zh": "指标"},
        "source": {"activity": "visit"},
        **rest,
    }
    return compile_metric(definition, fields_of, OTHERS)


OTHERS = {
    "visited": {"aggregation": "distinct"},
    "assigned": {"aggregation": "count"},
    "coverage": {"aggregation": "ratio"},
}

START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def row(day="2026-02-01", **values):
    return {"occurred_on": dt.date.fromisoformat(day), **values}


ROWS = [
    row(
        customer=1,
        outcome="won",
        amount="120.50",
        visitors="3",
        products=["a", "b"],
        arrived="2026-02-01T09:00",
        left="2026-02-01T10:30",
        photos=["p1", "p2"],
        outside_geofence=True,
        status="approved",
    ),
    row(
        "2026-02-02",
        customer=1,
        outcome="met",
        amount="79.50",
        visitors="1",
        products=["b"],
        arrived="2026-02-02T14:00",
        left="2026-02-02T14:45",
        photos=[],
        status="pending",
    ),
    row(
        "2026-03-31",
        customer=2,
        outcome="won",
        amount=None,
        visitors="2",
        products=[],
        arrived="2026-03-31T08:00",
        left=None,
        status="approved",
    ),
    row("2026-04-01", customer=3, outcome="won", amount="1000", visitors="9"),  # after the period
    row("2025-12-31", customer=4, outcome="won", amount="1000", visitors="9"),  # before it
]


def value(m, rows=ROWS):
    return measure(m, rows, START, END).value


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ({"aggregation": "count"}, Decimal(3)),
        ({"aggregation": "distinct", "field": "customer"}, Decimal(2)),
        ({"aggregation": "distinct", "field": "outcome"}, Decimal(2)),
        ({"aggregation": "sum", "field": "amount"}, Decimal("200.00")),  # a blank adds nothing
        ({"aggregation": "sum", "field": "photos"}, Decimal(2)),  # photos count
        ({"aggregation": "avg", "field": "amount"}, Decimal("100.00")),  # of the two given
        ({"aggregation": "avg", "field": "visitors"}, Decimal("2.00")),
        ({"aggregation": "min", "field": "visitors"}, Decimal(1)),
        ({"aggregation": "max", "field": "amount"}, Decimal("120.50")),
        # (90 + 45) / 2 minutes; the third has no end
        ({"aggregation": "duration_avg", "from": "arrived", "to": "left"}, Decimal("67.50")),
        (
            {"aggregation": "duration_avg", "from": "arrived", "to": "left", "in": "hours"},
            Decimal("1.13"),  # 1.125 rounds half up
        ),
        # 2 of 3 won: 66.666… % rounds to 66.67
        (
            {
                "aggregation": "share",
                "condition": [{"field": "outcome", "op": "eq", "value": "won"}],
            },
            Decimal("66.67"),
        ),
        (
            {
                "aggregation": "share",
                "condition": [{"field": "outcome", "op": "eq", "value": "won"}],
                "percent": False,
                "places": 4,
            },
            Decimal("0.6667"),
        ),
        ({"aggregation": "count", "approved_only": True}, Decimal(2)),
    ],
)
def test_each_aggregation_gives_what_a_person_computes(definition, expected):
    assert value(metric(**definition)) == expected


def test_nothing_in_the_period_counts_zero_and_averages_blank():
    assert value(metric(aggregation="count"), []) == 0
    assert value(metric(aggregation="sum", field="amount"), []) == 0
    assert value(metric(aggregation="distinct", field="customer"), []) == 0
    for blank in (
        metric(aggregation="avg", field="amount"),
        metric(aggregation="min", field="amount"),
        metric(aggregation="duration_avg", **{"from": "arrived", "to": "left"}),
        metric(aggregation="share", condition=[{"field": "outcome", "op": "eq", "value": "won"}]),
    ):
        assert value(blank, []) is None


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "outcome", "op": "eq", "value": "won"}, 2),
        ({"field": "outcome", "op": "ne", "value": "won"}, 1),
        ({"field": "outcome", "op": "in", "value": ["won", "lost"]}, 2),
        ({"field": "outcome", "op": "not_in", "value": ["won"]}, 1),
        ({"field": "visitors", "op": "gt", "value": 2}, 1),
        ({"field": "visitors", "op": "ge", "value": 2}, 2),
        ({"field": "visitors", "op": "lt", "value": "2"}, 1),
        ({"field": "amount", "op": "le", "value": "79.50"}, 1),  # a blank is never compared
        ({"field": "amount", "op": "empty"}, 1),
        ({"field": "amount", "op": "not_empty"}, 2),
        ({"field": "products", "op": "contains", "value": "b"}, 2),
        ({"field": "products", "op": "empty"}, 1),
        ({"field": "arrived", "op": "ge", "value": "2026-02-02T00:00"}, 2),
        ({"field": "outside_geofence", "op": "eq", "value": True}, 1),
        ({"field": "photos", "op": "ge", "value": 1}, 1),
        ({"field": "occurred_on", "op": "lt", "value": "2026-03-01"}, 2),
    ],
)
def test_each_filter_operator(condition, expected):
    assert value(metric(aggregation="count", filter=[condition])) == expected


def test_filters_all_hold_and_a_formula_narrows_further():
    m = metric(
        aggregation="count",
        filter=[{"field": "outcome", "op": "eq", "value": "won"}],
        where="visitors >= 3 or amount > 100",
    )
    assert value(m) == 1


def test_a_formula_that_cannot_be_decided_counts_as_false():
    # amount is blank on the third row; amount / 0 fails on the others
    m = metric(aggregation="count", where="amount / (visitors - visitors) > 1")
    assert value(m) == 0


def test_a_date_field_can_place_records_in_the_period():
    rows = [
        row("2025-12-20", follow_up="2026-01-05"),
        row("2026-02-01", follow_up="2026-04-02"),
    ]
    assert value(metric(aggregation="count", date="follow_up"), rows) == 1


def test_provenance_counts_records_and_flags():
    found = measure(metric(aggregation="count"), ROWS, START, END)
    assert found.provenance() == {"records": 3, "flagged": 1, "value": "3"}


def test_a_ratio_divides_two_measures_and_is_blank_over_zero():
    visited = metric(aggregation="distinct", field="customer")
    customers = compile_metric(
        {
            "format": "metric/1",
            "key": "assigned",
            "name": "Assigned",
            "source": {"customers": "assigned"},
            "aggregation": "count",
        },
        fields_of,
        OTHERS,
    )
    coverage = compile_metric(
        {
            "format": "metric/1",
            "key": "cov",
            "name": "Coverage",
            "aggregation": "ratio",
            "numerator": "visited",
            "denominator": "assigned",
        },
        fields_of,
        OTHERS,
    )
    part = measure(visited, ROWS, START, END)
    assert divide(coverage, part, assigned(customers, 3)).value == Decimal("66.67")
    assert divide(coverage, part, assigned(customers, 0)).value is None
    shown = divide(coverage, part, assigned(customers, 3)).provenance()
    assert shown["numerator"]["value"] == "2" and shown["denominator"]["value"] == "3"


def test_event_attributes_are_read_with_their_types():
    m = compile_metric(
        {
            "format": "metric/1",
            "key": "sla",
            "name": "SLA",
            "source": {"event": "ticket_closed"},
            "aggregation": "share",
            "condition": [{"field": "sla_met", "op": "eq", "value": True}],
        },
        fields_of,
        {},
    )
    rows = [row(sla_met=True), row(sla_met=False), row(sla_met=True), row(sla_met=None)]
    assert value(m, rows) == Decimal("50.00")


def _paths(**definition):
    full = {"format": "metric/1", "key": "m", "name": "M", **definition}
    return {e.path: e.message for e in validate_metric(full, fields_of, OTHERS)}


@pytest.mark.parametrize(
    ("definition", "path"),
    [
        ({"source": {"activity": "nope"}, "aggregation": "count"}, "source.activity"),
        ({"source": {"event": "nope"}, "aggregation": "count"}, "source.event"),
        ({"source": {"activity": "visit"}, "aggregation": "median"}, "aggregation"),
        ({"source": {"activity": "visit"}, "aggregation": "sum", "field": "outcome"}, "field"),
        ({"source": {"activity": "visit"}, "aggregation": "sum"}, "field"),
        (
            {"source": {"activity": "visit"}, "aggregation": "distinct", "field": "products"},
            "field",
        ),
        (
            {
                "source": {"activity": "visit"},
                "aggregation": "duration_avg",
                "from": "note",
                "to": "left",
            },
            "from",
        ),
        ({"source": {"activity": "visit"}, "aggregation": "share"}, "condition"),
        ({"source": {"activity": "visit"}, "aggregation": "count", "field": "amount"}, "field"),
        (
            {
                "source": {"activity": "visit"},
                "aggregation": "count",
                "filter": [{"field": "nope", "op": "eq", "value": 1}],
            },
            "filter[0].field",
        ),
        (
            {
                "source": {"activity": "visit"},
                "aggregation": "count",
                "filter": [{"field": "visitors", "op": "eq", "value": "many"}],
            },
            "filter[0].value",
        ),
        (
            {
                "source": {"activity": "visit"},
                "aggregation": "count",
                "filter": [{"field": "outcome", "op": "gt", "value": "won"}],
            },
            "filter[0].value",
        ),
        (
            {
                "source": {"activity": "visit"},
                "aggregation": "count",
                "filter": [{"field": "products", "op": "eq", "value": "a"}],
            },
            "filter[0].value",
        ),
        (
            {
                "source": {"activity": "visit"},
                "aggregation": "count",
                "filter": [{"field": "outcome", "op": "like", "value": "w"}],
            },
            "filter[0].op",
        ),
        ({"source": {"activity": "visit"}, "aggregation": "count", "where": "visitors +"}, "where"),
        (
            {"source": {"activity": "visit"}, "aggregation": "count", "where": "visitors + 1"},
            "where",
        ),
        ({"source": {"activity": "visit"}, "aggregation": "count", "date": "note"}, "date"),
        ({"source": {"customers": "assigned"}, "aggregation": "sum"}, "aggregation"),
        ({"aggregation": "ratio", "numerator": "coverage", "denominator": "assigned"}, "numerator"),
        ({"aggregation": "ratio", "numerator": "m", "denominator": "assigned"}, "numerator"),
        ({"aggregation": "ratio", "numerator": "visited", "denominator": "nope"}, "denominator"),
        ({"source": {"activity": "visit"}, "aggregation": "count", "places": 7}, "places"),
    ],
)
def test_every_mistake_is_named_at_its_path(definition, path):
    paths = _paths(**definition)
    assert path in paths, paths


def test_messages_come_in_chinese_too():
    full = {
        "format": "metric/1",
        "key": "m",
        "name": "M",
        "source": {"activity": "visit"},
        "aggregation": "sum",
        "field": "outcome",
    }
    (error,) = validate_metric(full, fields_of, OTHERS)
    assert error.message_zh and error.message_zh != error.message


def test_compile_refuses_an_invalid_definition():
    with pytest.raises(MetricInvalid):
        metric(aggregation="sum")


def test_a_local_time_compares_with_the_moment_a_record_was_made():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    rows = [
        row(occurred_at=dt.datetime(2026, 2, 1, 8, 59, tzinfo=shanghai)),
        row(occurred_at=dt.datetime(2026, 2, 1, 9, 0, tzinfo=shanghai)),
    ]
    late = metric(
        aggregation="count",
        filter=[{"field": "occurred_at", "op": "ge", "value": "2026-02-01T09:00"}],
    )
    assert value(late, rows) == 1


def test_a_value_of_another_type_never_matches_rather_than_failing():
    rows = [row(visitors="3"), row(visitors=["not", "a", "number"])]
    assert (
        value(
            metric(aggregation="count", filter=[{"field": "visitors", "op": "gt", "value": 2}]),
            rows,
        )
        == 1
    )


@pytest.mark.parametrize(
    ("kind", "attribute"),
    [
        ("ticket_closed", "handling_minutes"),
        ("service_report_submitted", "response_hours"),
        ("oa_approval_done", "minutes"),
    ],
)
def test_an_event_duration_cannot_be_negative(kind, attribute):
    assert check_event_attributes(kind, {attribute: "-5"}).problems
    assert check_event_attributes(kind, {attribute: "0"}).ok


# -- plan tasks completed on time ------------------------------------------------------------

ON_TIME = {
    "format": "metric/1",
    "key": "on_time",
    "name": {"en": "Tasks completed on time %", "zh": "按时完成任务率"},
    "source": {"plans": "on_time"},
    "aggregation": "share",
}


def test_plan_tasks_on_time_is_a_share_without_a_condition_of_its_own():
    from appraisal.rules import on_time

    m = compile_metric(ON_TIME, fields_of, OTHERS)
    assert on_time(m, due=3, done_on_time=1).value == Decimal("33.33")
    assert on_time(m, due=3, done_on_time=1).provenance() == {
        "records": 3,
        "flagged": 0,
        "value": "33.33",
    }
    assert on_time(m, due=0, done_on_time=0).value is None  # nothing due: blank, never 0
    as_fraction = compile_metric({**ON_TIME, "percent": False, "places": 1}, fields_of, OTHERS)
    assert on_time(as_fraction, due=3, done_on_time=2).value == Decimal("0.7")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"aggregation": "count"}, "aggregation"),
        ({"source": {"plans": "late"}}, "source.plans"),
        ({"filter": [{"field": "x", "op": "eq", "value": 1}]}, "filter"),
        ({"condition": [{"field": "x", "op": "eq", "value": 1}]}, "condition"),
    ],
)
def test_plan_tasks_on_time_refuses_what_it_cannot_do(change, path):
    problems = validate_metric({**ON_TIME, **change}, fields_of, OTHERS)
    assert path in [p.path for p in problems], problems
