"""The recompute's fast reading (driver rows, JSON decoded as text, the period kept by the
query, numbers and plain values aggregated in one loop) gives exactly what `rules.measure`
gives over the same records read as ORM objects (`row_of_record`, the drill-down's rows):
for one person (their rows by their index) and for the whole organization, over a mix of
filters, approved-only, returned records, blanks, unreadable values and the period's edges
on the organization's clock (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from appraisal.models import (
    ActivityRecord,
    ActivityType,
    ActivityTypeVersion,
    ExternalEvent,
    Metric,
    Organization,
)
from appraisal.rules import measure
from appraisal.runtime.metrics import compute
from appraisal.runtime.metrics.compute import row_of_event, row_of_record
from appraisal.runtime.metrics.definitions import compiled_metrics

from .conftest import metric_definition

START, END = date(2026, 10, 1), date(2026, 12, 31)
VISIT = {"activity": "customer_visit"}
TICKET = {"event": "ticket_closed"}
METRICS = {
    "visits": {"source": VISIT, "aggregation": "count"},
    "approved": {"source": VISIT, "aggregation": "count", "approved_only": True},
    "visited": {"source": VISIT, "aggregation": "distinct", "field": "customer"},
    "outcomes": {"source": VISIT, "aggregation": "distinct", "field": "outcome"},
    "amount": {"source": VISIT, "aggregation": "sum", "field": "amount"},
    "avg_amount": {"source": VISIT, "aggregation": "avg", "field": "amount", "places": 3},
    "smallest": {"source": VISIT, "aggregation": "min", "field": "amount"},
    "largest": {"source": VISIT, "aggregation": "max", "field": "amount"},
    "stay": {"source": VISIT, "aggregation": "duration_avg", "from": "arrived", "to": "left"},
    "won": {
        "source": VISIT,
        "aggregation": "share",
        "condition": [{"field": "outcome", "op": "eq", "value": "won"}],
    },
    "big_won": {
        "source": VISIT,
        "aggregation": "count",
        "filter": [
            {"field": "amount", "op": "ge", "value": "100"},
            {"field": "outcome", "op": "in", "value": ["won", "met"]},
        ],
    },
    "not_blank": {
        "source": VISIT,
        "aggregation": "count",
        "filter": [{"field": "amount", "op": "not_empty"}],
    },
    "blank": {
        "source": VISIT,
        "aggregation": "count",
        "filter": [{"field": "outcome", "op": "empty"}],
    },
    "outside": {
        "source": VISIT,
        "aggregation": "count",
        "filter": [{"field": "outside_geofence", "op": "eq", "value": True}],
    },
    "located": {
        "source": VISIT,
        "aggregation": "count",
        "filter": [{"field": "has_location", "op": "eq", "value": True}],
    },
    "late": {  # the time on the organization's clock
        "source": VISIT,
        "aggregation": "count",
        "filter": [{"field": "occurred_at", "op": "ge", "value": "2026-10-01T08:00:00"}],
    },
    "early_days": {
        "source": VISIT,
        "aggregation": "count",
        "filter": [{"field": "occurred_on", "op": "le", "value": "2026-10-01"}],
    },
    "formula": {"source": VISIT, "aggregation": "sum", "field": "amount", "where": "amount > 50"},
    "by_arrival": {"source": VISIT, "aggregation": "count", "date": "arrived"},
    "tickets": {"source": TICKET, "aggregation": "count"},
    "handling": {"source": TICKET, "aggregation": "avg", "field": "handling_minutes"},
    "sla": {
        "source": TICKET,
        "aggregation": "share",
        "condition": [{"field": "sla_met", "op": "eq", "value": True}],
    },
    "urgent": {
        "source": TICKET,
        "aggregation": "count",
        "filter": [{"field": "priority", "op": "ne", "value": "low"}],
    },
    "from_crm": {
        "source": TICKET,
        "aggregation": "count",
        "filter": [{"field": "source", "op": "eq", "value": "crm"}],
    },
}
#: Moments around the cycle's edges: Shanghai is UTC+8, so 16:00 UTC is the next local day.
MOMENTS = [
    datetime(2026, 9, 30, 15, 59, tzinfo=UTC),  # 09-30 23:59 local: before
    datetime(2026, 9, 30, 16, 0, tzinfo=UTC),  # 10-01 00:00 local: the first moment
    datetime(2026, 10, 1, 0, 30, tzinfo=UTC),  # 10-01 08:30 local
    datetime(2026, 11, 15, 3, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 15, 59, tzinfo=UTC),  # 12-31 23:59 local: the last moment
    datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # 2027-01-01 local: after
]
#: Form values, blank, unreadable and of another type among them.
VALUES = [
    {
        "outcome": "won",
        "amount": "120.50",
        "arrived": "2026-10-01T09:00",
        "left": "2026-10-01T10:15",
    },
    {"outcome": "met", "amount": "80"},
    {"outcome": "", "amount": ""},
    {"amount": "abc", "arrived": "2026-09-30T23:00", "left": "2026-10-01T01:00"},
    {"outcome": "won", "amount": 100, "arrived": "2026-12-31T23:00", "left": "bad"},
    {},
    {
        "outcome": "lost",
        "amount": "0.005",
        "arrived": "2027-01-01T00:10",
        "left": "2027-01-01T00:40",
    },
]
STATUSES = ["recorded", "approved", "pending", "returned", "approved"]
ATTRIBUTES = [
    {"handling_minutes": "12", "sla_met": True, "priority": "high"},
    {"handling_minutes": "7.5", "sla_met": False, "priority": "low"},
    {"handling_minutes": "", "sla_met": True},
    {"handling_minutes": "x", "priority": ""},
    {},
]


@pytest.fixture
def mix(db, company, visits):
    """Records and events of ann and pat in every combination above, written as stored."""
    org = company.org
    for key, definition in METRICS.items():
        db.add(
            Metric(organization_id=org.id, key=key, definition=metric_definition(key, **definition))
        )
    visit = db.scalar(select(ActivityType).where(ActivityType.organization_id == org.id))
    version = db.scalar(
        select(ActivityTypeVersion).where(ActivityTypeVersion.activity_type_id == visit.id)
    )
    zone = ZoneInfo(org.time_zone)
    n = 0
    for person in ("ann", "pat"):
        employee = company.people[person]
        for moment in MOMENTS:
            for index, values in enumerate(VALUES):
                n += 1
                at = moment + timedelta(minutes=index)
                customer = visits[n % len(visits)].id if n % 5 else None
                db.add(
                    ActivityRecord(
                        organization_id=org.id,
                        uuid=f"00000000-0000-4000-8000-{n:012d}",
                        activity_type_id=visit.id,
                        type_version_id=version.id,
                        employee_id=employee.id,
                        customer_id=customer,
                        occurred_at=at,
                        occurred_on=at.astimezone(zone).date(),
                        values={**values, "customer": customer} if customer else values,
                        status=STATUSES[n % len(STATUSES)],
                        outside_geofence=[True, False, None][n % 3],
                        latitude=None if n % 4 == 0 else 31.2,
                        longitude=None if n % 4 == 0 else 121.4,
                    )
                )
                db.add(
                    ExternalEvent(
                        organization_id=org.id,
                        source=["crm", "helpdesk"][n % 2],
                        external_id=f"T{n}",
                        kind="ticket_closed" if n % 7 else "lead_created",
                        occurred_at=at,
                        occurred_on=at.astimezone(zone).date(),
                        person_ref=employee.number,
                        employee_id=employee.id,
                        attributes=ATTRIBUTES[n % len(ATTRIBUTES)],
                        status="matched" if n % 6 else "held",
                    )
                )
    db.commit()
    return org


def expected(db, org: Organization, employee_id: int, key: str, metrics) -> object:
    """`rules.measure` over the person's rows read as ORM objects, as the drill-down reads."""
    metric = metrics[key]
    zone = ZoneInfo(org.time_zone)
    if metric.source.kind == "activity":
        rows = [
            row_of_record(r, zone)
            for r in db.scalars(
                select(ActivityRecord).where(
                    ActivityRecord.employee_id == employee_id, ActivityRecord.status != "returned"
                )
            )
        ]
    else:
        rows = [
            row_of_event(e, zone)
            for e in db.scalars(
                select(ExternalEvent).where(
                    ExternalEvent.employee_id == employee_id,
                    ExternalEvent.kind == metric.source.key,
                    ExternalEvent.status == "matched",
                )
            )
        ]
    return measure(metric, rows, START, END)


@pytest.mark.parametrize("whole_organization", [False, True])
def test_the_recompute_measures_exactly_as_the_rules_do(
    db, company, mix, monkeypatch, whole_organization
):
    if whole_organization:  # the cycle's path: every row of the kind, not the person's
        monkeypatch.setattr(compute._Reader, "FEW", 0)
    metrics = compiled_metrics(db, mix.id)
    assert set(metrics) == set(METRICS)  # every definition above compiles
    people = {company.people["ann"].id, company.people["pat"].id}
    found = compute._measures(db, mix, metrics, START, END, people)
    for person in people:
        for key in METRICS:
            want = expected(db, mix, person, key, metrics)
            assert found[key][person] == want, key
    assert found["visits"][company.people["ann"].id].records > 0  # the mix is not empty
