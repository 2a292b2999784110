"""Attacks on metric definitions and their computation (probe): shapes the builder
accepted but the engine could not compute, and figures checked against hand sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from appraisal.models import MetricValue
from appraisal.rules import EVENT_KINDS, validate_metric
from appraisal.runtime.cycles.figures import stored_figures
from appraisal.runtime.metrics import values
from tests.conftest import field_errors
from tests.pages import form_data

from ..conftest import appraisal_of


def _fields_of(source):
    if source.kind == "event" and source.key in EVENT_KINDS:
        return {f.key: f.type for f in EVENT_KINDS[source.key].fields}
    if source.kind == "activity":
        return {"arrived": "datetime", "follow_up": "date", "amount": "money"}
    return None


@pytest.mark.parametrize("aggregation", ["min", "max"])
@pytest.mark.parametrize(
    ("source", "field"),
    [({"event": "ticket_closed"}, "opened_at"), ({"activity": "visit"}, "follow_up")],
)
def test_probe_min_or_max_of_a_date_is_refused_at_its_field(aggregation, source, field):
    """A figure is a number: the latest visit time is no score, and computing it crashed
    every recompute of the people it touched (AttributeError in `_finish`)."""
    errors = validate_metric(
        {
            "format": "metric/1",
            "key": "latest",
            "name": "Latest",
            "source": source,
            "aggregation": aggregation,
            "field": field,
        },
        _fields_of,
        {},
    )
    assert [e.path for e in errors] == ["field"]


def test_probe_a_stored_max_of_a_time_never_breaks_a_reps_record(
    db, company, launched, visits, add_metric, record
):
    """One saved before the check (add_metric stores without it): the rep's visit is still
    recorded, and the bad metric leaves the figure as it was rather than raising."""
    add_metric("latest", source={"activity": "customer_visit"}, aggregation="max", field="arrived")
    values.bind_metrics(db, launched.scheme, {"sales": "latest"}, None)
    db.commit()
    record(customer=visits[0].id, arrived="2026-11-02T09:00")
    ann = appraisal_of(db, company, "ann")
    db.refresh(ann)
    assert stored_figures(ann).get("sales") is None
    assert db.scalar(select(MetricValue.computed).where(MetricValue.appraisal_id == ann.id)) is None


@pytest.mark.parametrize("typed", ["2.123456", "0.00005"])
def test_probe_an_override_with_more_places_than_kept_is_refused_not_rounded_apart(
    client, auth, db, company, launched, visits, add_metric, record, typed
):
    """The override is kept with 4 places; the figure took every place typed, so the page
    said "overridden: 2.1235" while the score used 2.123456. Refused, what was typed kept."""
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    db.commit()
    record(customer=visits[0].id)
    ann = appraisal_of(db, company, "ann")
    value = values.metric_value_or_none(db, company.org.id, ann.id, "sales")
    auth.login("hr@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/computed/sales/override",
        data={"value": typed, "reason": "paper", "version": value.version},
    )
    assert response.status_code == 422
    assert "Use at most 4 decimal places." in field_errors(response.text)
    assert f'name="value" type="text" value="{typed}"' in response.text
    db.expire_all()
    assert values.metric_value_or_none(db, company.org.id, ann.id, "sales").override is None
    assert stored_figures(appraisal_of(db, company, "ann"))["sales"] == 1


@pytest.mark.parametrize(("typed", "kept"), [("0", "0"), ("2.5000", "2.5"), ("-0", "0")])
def test_probe_an_override_of_zero_is_zero_and_trailing_zeros_are_fine(
    client, auth, db, company, launched, visits, add_metric, record, typed, kept
):
    """ "0" is a value (not "use the computed one"), unlike a blank."""
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    db.commit()
    record(customer=visits[0].id)
    ann = appraisal_of(db, company, "ann")
    value = values.metric_value_or_none(db, company.org.id, ann.id, "sales")
    auth.login("hr@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/computed/sales/override",
        data={"value": typed, "reason": "paper", "version": value.version},
    )
    assert response.status_code == 302
    db.expire_all()
    stored = values.metric_value_or_none(db, company.org.id, ann.id, "sales")
    assert stored.override == Decimal(kept)
    assert stored_figures(appraisal_of(db, company, "ann"))["sales"] == Decimal(kept)


@pytest.mark.parametrize("typed", ["NaN", "nan", "sNaN", "Infinity", "-inf"])
@pytest.mark.parametrize("op", ["gt", "eq", "in"])
def test_probe_a_filter_on_a_number_refuses_what_is_not_a_finite_number(typed, op):
    """`amount > NaN` was saved and then raised InvalidOperation in every recompute of the
    source (a rep's visit answered 500); infinity compares but means nothing."""
    errors = validate_metric(
        {
            "format": "metric/1",
            "key": "big",
            "name": "Big",
            "source": {"event": "payment_collected"},
            "aggregation": "count",
            "filter": [{"field": "amount", "op": op, "value": [typed] if op == "in" else typed}],
        },
        _fields_of,
        {},
    )
    assert [e.path for e in errors] == ["filter[0].value"]


def test_probe_the_builder_refuses_a_nan_filter_next_to_its_input(client, auth, company, visits):
    auth.login("hr@acme.example")
    page = client.get("/builder/metrics/new").text
    data = form_data(page, "metric-form") | {
        "key": "big",
        "name_zh": "大额",
        "filters-0-field": "amount",
        "filters-0-op": "gt",
        "filters-0-value": "NaN",
    }
    response = client.post("/builder/metrics/new", data=data)
    assert response.status_code == 422
    assert 'value="NaN"' in response.text
