"""Metric values flow into appraisals: bound items are computed for the cycle's period,
move when a record is made, keep HR's override through recomputation, refuse typing, and
stop moving when the cycle closes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from appraisal.models import ActivityRecord, ActivityType, Appraisal, MetricValue
from appraisal.runtime.cycles import figures
from appraisal.runtime.cycles.figures import EntriesRefused, Entry, stored_figures
from appraisal.runtime.fieldwork import customers
from appraisal.runtime.fieldwork.records import local_day
from appraisal.runtime.metrics import compute, values

from ..conftest import appraisal_of


def visits_type(db, org) -> ActivityType:
    return db.scalar(select(ActivityType).where(ActivityType.organization_id == org.id))


def _bind(db, launched, **chosen):
    values.bind_metrics(db, launched.scheme, chosen, None)
    db.commit()


def test_a_visit_moves_the_bound_figure_at_once(db, company, launched, visits, add_metric, record):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    _bind(db, launched, sales="visits")
    ann = appraisal_of(db, company, "ann")
    assert stored_figures(ann)["sales"] == 0
    record(customer=visits[0].id)
    record(customer=visits[1].id)
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == 2
    value = db.scalar(select(MetricValue).where(MetricValue.appraisal_id == ann.id))
    assert value.computed == Decimal(2)
    assert value.provenance["records"] == 2


def test_coverage_is_distinct_customers_visited_over_customers_assigned(
    db, company, launched, visits, add_metric, record
):
    add_metric(
        "visited", source={"activity": "customer_visit"}, aggregation="distinct", field="customer"
    )
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    add_metric("coverage", aggregation="ratio", numerator="visited", denominator="assigned")
    _bind(db, launched, sales="coverage")
    for customer in (visits[0], visits[0], visits[1]):
        record(customer=customer.id)
    ann = appraisal_of(db, company, "ann")
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == pytest.approx(66.67)  # 2 of 3 customers
    pat = appraisal_of(db, company, "pat")
    assert (
        "sales" not in stored_figures(pat) or stored_figures(pat)["sales"] is None
    )  # none assigned


def test_period_edges_are_the_organizations_local_days(
    db, company, launched, visits, add_metric, record
):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    _bind(db, launched, sales="visits")
    # 2026-09-30 16:30 UTC is 10-01 00:30 in Shanghai: inside the cycle
    record(customer=visits[0].id, at=datetime(2026, 9, 30, 16, 30, tzinfo=UTC))
    # 2026-09-30 15:59 UTC is 09-30 23:59 in Shanghai: outside
    record(customer=visits[0].id, at=datetime(2026, 9, 30, 15, 59, tzinfo=UTC))
    # the cycle's last day ends at 2026-12-31 16:00 UTC (records that late are still in the
    # future today, so they are placed as the service places them, by `local_day`)
    org = company.org
    for moment in (
        datetime(2026, 12, 31, 15, 59, tzinfo=UTC),
        datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
    ):
        db.add(
            ActivityRecord(
                organization_id=org.id,
                uuid=str(uuid.uuid4()),
                activity_type_id=visits_type(db, org).id,
                type_version_id=visits_type(db, org).latest.id,
                employee_id=company.people["ann"].id,
                customer_id=visits[0].id,
                occurred_at=moment,
                occurred_on=local_day(org, moment),
                values={"customer": visits[0].id},
            )
        )
    db.commit()
    compute.refresh_cycle(db, launched)
    db.commit()
    ann = appraisal_of(db, company, "ann")
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == 2  # 10-01 00:30 and 12-31 23:59 local


def test_typed_figures_for_a_computed_item_are_refused(db, company, launched, visits, add_metric):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    _bind(db, launched, sales="visits")
    with pytest.raises(EntriesRefused) as refused:
        figures.set_figures(db, launched, [Entry("A001", "sales", "99")], None)
    assert "computed by a metric" in str(refused.value.errors[0].message)
    db.rollback()
    # the other figures stay typed
    assert figures.set_figures(db, launched, [Entry("A001", "collection", "80")], None) == 1


def test_an_override_survives_recomputation_and_clearing_restores_the_computed_value(
    db, company, launched, visits, add_metric, record
):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    _bind(db, launched, sales="visits")
    record(customer=visits[0].id)
    ann = appraisal_of(db, company, "ann")
    value = values.metric_value_or_none(db, company.org.id, ann.id, "sales")
    with pytest.raises(values.ComputedFigureRefused) as refused:
        values.override_value(db, value, "5", "", None, value.version)
    assert refused.value.field == "reason"
    values.override_value(db, value, "5", "Two visits were logged on paper", None, value.version)
    db.commit()
    record(customer=visits[1].id)
    compute.refresh_cycle(db, launched)
    db.commit()
    db.refresh(ann)
    db.refresh(value)
    assert value.computed == Decimal(2)
    assert stored_figures(ann)["sales"] == 5
    values.override_value(db, value, "", "Paper visits now entered", None, value.version)
    db.commit()
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == 2


def test_values_freeze_when_the_cycle_closes(db, company, launched, visits, add_metric, record):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    _bind(db, launched, sales="visits")
    record(customer=visits[0].id)
    compute.freeze_cycle(db, launched)
    launched.state = "closed"
    db.commit()
    assert compute.refresh_cycle(db, launched).appraisals == 0
    ann = db.scalar(select(Appraisal).where(Appraisal.employee_id == company.people["ann"].id))
    value = db.scalar(select(MetricValue).where(MetricValue.appraisal_id == ann.id))
    assert value.frozen_at is not None


def test_assigning_or_deactivating_a_customer_moves_coverage_at_once(
    db, company, launched, visits, add_metric, record
):
    add_metric(
        "visited", source={"activity": "customer_visit"}, aggregation="distinct", field="customer"
    )
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    add_metric("coverage", aggregation="ratio", numerator="visited", denominator="assigned")
    _bind(db, launched, sales="coverage")
    record(customer=visits[0].id)
    ann = appraisal_of(db, company, "ann")
    assert stored_figures(ann)["sales"] == pytest.approx(33.33)  # 1 of 3
    customers.save_customer(
        db,
        company.org.id,
        {"code": "C9", "name": "New shop"},
        [company.people["ann"].id],
        user_id=None,
    )
    db.commit()
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == 25  # 1 of 4
    customers.set_customer_active(db, visits[1], False, None)
    db.commit()
    db.refresh(ann)
    assert stored_figures(ann)["sales"] == pytest.approx(33.33)  # 1 of 3 again
