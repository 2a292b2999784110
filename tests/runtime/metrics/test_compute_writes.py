"""A cycle's recompute writes its new values as multi-row INSERTs (SQLAlchemy's
insertmanyvalues, not one statement per row) and reads the stored provenance back as text:
each row must hold exactly what the ORM would have written for the same measure (value,
provenance serialised by the column's own JSON type, metric, organization, version 1), and
reading them back must see nothing to change."""

from __future__ import annotations

import json

from sqlalchemy import Text, cast, select

from appraisal.models import MetricValue, Organization
from appraisal.runtime.metrics import compute, values
from appraisal.runtime.metrics.definitions import compiled_metrics

from ..conftest import appraisal_of


def test_a_cycles_first_values_are_written_as_the_orm_would_write_them(
    db, company, launched, visits, add_metric, record
):
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    add_metric(
        "visited", source={"activity": "customer_visit"}, aggregation="distinct", field="customer"
    )
    add_metric("assigned", source={"customers": "assigned"}, aggregation="count")
    add_metric("coverage", aggregation="ratio", numerator="visited", denominator="assigned")
    record(customer=visits[0].id)
    record(customer=visits[1].id)
    record("pat", customer=visits[1].id)
    values.bind_metrics(db, launched.scheme, {"sales": "coverage", "collection": "visits"}, None)
    db.commit()

    org = db.get(Organization, company.org.id)
    metrics = compiled_metrics(db, org.id)
    appraisals = compute._open_appraisals(db, launched, None)
    people = {a.employee_id for a in appraisals}
    measured = compute._measures(db, org, metrics, launched.starts_on, launched.ends_on, people)
    metric_ids = {m.key: m.id for m in compute.scheme_bindings(db, launched.scheme_id).values()}
    column = MetricValue.__table__.c.provenance
    as_the_orm_writes = column.type.bind_processor(db.get_bind().dialect)

    rows = db.execute(
        select(MetricValue, cast(MetricValue.provenance, Text).label("text")).where(
            MetricValue.appraisal_id.in_([a.id for a in appraisals])
        )
    ).all()
    assert len(rows) == 2 * len(appraisals)  # bound when the scheme was bound: all new
    by_appraisal = {a.id: a for a in appraisals}
    for value, text in rows:
        key = {"sales": "coverage", "collection": "visits"}[value.item_key]
        appraisal = by_appraisal[value.appraisal_id]
        want = measured[key][appraisal.employee_id]
        assert value.computed == want.value, (value.item_key, appraisal.employee_id)
        assert value.provenance == want.provenance()
        # the stored text decodes to the measure's provenance; where the column's type
        # serialises in Python (SQLite), it is the same text byte for byte (PostgreSQL's
        # driver adapts JSON itself, and the server prints it in its own spacing)
        assert json.loads(text) == json.loads(json.dumps(want.provenance(), default=str))
        if as_the_orm_writes is not None:
            assert text == as_the_orm_writes(want.provenance())
        assert value.metric_id == metric_ids[key]
        assert value.organization_id == org.id
        assert value.version == 1 and value.computed_at is not None
        assert value.override is None and value.frozen_at is None
    ann = appraisal_of(db, company, "ann")
    coverage = next(v for v, _ in rows if v.appraisal_id == ann.id and v.item_key == "sales")
    assert coverage.provenance["numerator"]["value"] == "2"  # a ratio keeps both parts
    assert coverage.provenance["denominator"]["value"] == "3"

    # read back as text and decoded, the stored values are exactly what is measured again
    assert compute.refresh_cycle(db, launched).changed == 0
