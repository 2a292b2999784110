"""A cycle's recompute writes its new values and its new figures reviews in one statement
each, through the driver (`bulk.insert_in_bulk`: COPY on PostgreSQL, an executemany
elsewhere), and reads the stored provenance back as text: each row must hold exactly what the
ORM would have written (value, provenance serialised by the column's own JSON type, metric,
organization, version 1; a review's defaults), and reading them back must see nothing to
change."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import Text, cast, func, select

from appraisal.models import Appraisal, MetricValue, Organization, Review
from appraisal.runtime.cycles.figures import stored_figures
from appraisal.runtime.metrics import compute, values
from appraisal.runtime.metrics.definitions import compiled_metrics
from appraisal.runtime.reviews.access import final_result

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


def test_a_first_recompute_makes_one_figures_review_each_held_or_not(
    db, company, launched, visits, add_metric, record
):
    """The reviews a cycle's first recompute makes in one statement are the ones the ORM
    would make; an appraisal whose reviews the session already holds gets its review through
    that collection, and no appraisal gets two."""
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    record(customer=visits[0].id)
    record(customer=visits[1].id)
    ann = appraisal_of(db, company, "ann")
    assert [r.slot for r in ann.reviews if r.slot == "data"] == []  # loaded: held
    open_ids = {a.id for a in compute._open_appraisals(db, launched, None)}
    assert ann.id in open_ids and len(open_ids) > 1
    values.bind_metrics(db, launched.scheme, {"collection": "visits"}, None)
    db.commit()
    db.expire_all()

    reviews = list(db.scalars(select(Review).where(Review.slot == "data")))
    assert Counter(r.appraisal_id for r in reviews) == Counter(open_ids)  # one each
    for review in reviews:
        assert (review.rater, review.status, review.comment) == ("data", "draft", "")
        assert review.organization_id == company.org.id
        assert review.created_at is not None and review.updated_by_id is None
    assert stored_figures(db.get(Appraisal, ann.id))["collection"] == 2
    pat = appraisal_of(db, company, "pat")
    assert stored_figures(pat)["collection"] == 0
    result = final_result(pat)  # its stored score is its score with the new figures
    assert (pat.total, pat.complete) == (result.total, result.complete)

    # nothing left to make or change: a second run writes no review
    count = db.scalar(select(func.count()).select_from(Review))
    assert compute.refresh_cycle(db, launched).changed == 0
    db.commit()
    assert db.scalar(select(func.count()).select_from(Review)) == count
