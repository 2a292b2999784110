"""A cycle's recompute writes the appraisals and figures it moved with one executemany
UPDATE per table (`bulk.update_in_bulk`) instead of one statement per versioned row; the
optimistic lock still holds: a row changed meanwhile is refused, as a flush refuses it."""

from __future__ import annotations

import gc
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from appraisal.bulk import collector_paused, update_in_bulk
from appraisal.models import Appraisal, MetricValue, Review
from appraisal.runtime.cycles import figures
from appraisal.runtime.metrics import values

from ..conftest import appraisal_of


def test_changed_columns_are_written_and_versions_move(db, company, launched):
    ann, pat = appraisal_of(db, company, "ann"), appraisal_of(db, company, "pat")
    versions = ann.version, pat.version
    ann.total, ann.grade = Decimal("88.5"), "A"
    pat.total = Decimal("61")
    update_in_bulk(db, [ann, pat])
    assert not db.is_modified(ann) and not db.is_modified(pat)  # nothing left to flush
    assert (ann.version, pat.version) == (versions[0] + 1, versions[1] + 1)
    db.commit()
    db.expire_all()
    rows = db.execute(
        select(Appraisal.id, Appraisal.total, Appraisal.grade, Appraisal.version).where(
            Appraisal.id.in_([ann.id, pat.id])
        )
    )
    found = {row.id: (row.total, row.grade, row.version) for row in rows}
    assert found[ann.id] == (Decimal("88.5"), "A", versions[0] + 1)
    assert found[pat.id][0] == Decimal("61") and found[pat.id][2] == versions[1] + 1


def test_a_row_changed_meanwhile_is_refused(db, company, launched):
    ann = appraisal_of(db, company, "ann")
    table = Appraisal.__table__
    db.connection().execute(  # someone else saved it after we read it
        update(table).where(table.c.id == ann.id).values(version=table.c.version + 1)
    )
    ann.total = Decimal(1)
    with pytest.raises(StaleDataError):
        update_in_bulk(db, [ann])
    db.rollback()


def test_written_objects_leave_nothing_for_the_next_flush(db, company, launched):
    """What update_in_bulk wrote, or only set to the value it had, is clean: the next flush
    does not look at it again (a cycle's recompute writes 20,000 objects; it did, at 5 of a
    60 s first run). A relationship change is still the flush's, beside the columns written
    here."""
    ann, bo = appraisal_of(db, company, "ann"), appraisal_of(db, company, "bo")
    figures = Review(organization_id=ann.organization_id, slot="data", rater="data", values={})
    ann.reviews.append(figures)
    db.commit()
    db.expunge_all()
    ann, bo = db.scalars(  # loaded as a recompute loads them
        select(Appraisal)
        .where(Appraisal.id.in_([ann.id, bo.id]))
        .options(selectinload(Appraisal.reviews))
        .order_by(Appraisal.id != ann.id)
    )
    figures = next(r for r in ann.reviews if r.slot == "data")
    figures.values = {"sales": "12"}
    figures.updated_by_id = None  # as put_computed sets it: the value it had
    ann.total = Decimal("70")
    bo.total = Decimal("42")
    bos = Review(organization_id=bo.organization_id, slot="data", rater="data", values={})
    bo.reviews.append(bos)
    update_in_bulk(db, [ann, figures, bo])
    assert figures not in db.dirty and ann not in db.dirty
    assert bos in db.new  # left to the flush
    db.commit()
    db.expire_all()
    assert db.get(Review, figures.id).values == {"sales": "12"}
    assert db.get(Appraisal, ann.id).total == Decimal("70")
    assert db.get(Appraisal, bo.id).total == Decimal("42")
    assert bos.id is not None and bos.appraisal_id == bo.id


@pytest.mark.parametrize("fails", [False, True])
def test_a_whole_cycle_batch_runs_without_the_collector_and_restores_it(db, launched, fails):
    """Setting figures (and targets, launching) pauses Python's cyclic collector for the
    batch and always turns it back on, refused or not: left off, a worker would grow."""
    seen = []
    real = figures.make_figures_reviews

    def observe(*args):
        seen.append(gc.isenabled())
        return real(*args)

    assert gc.isenabled()
    entry = figures.Entry("A001", "sales", "not a number" if fails else "12")
    figures.make_figures_reviews = observe
    try:
        if fails:
            with pytest.raises(figures.EntriesRefused):
                figures.set_figures(db, launched, [entry], None)
        else:
            figures.set_figures(db, launched, [entry], None)
    finally:
        figures.make_figures_reviews = real
    assert seen == ([] if fails else [False])
    assert gc.isenabled()
    db.rollback()


def test_overlapping_pauses_keep_the_collector_off_until_the_last_ends():
    """Two threads' batches overlap: the collector stays off while either runs and is on
    again after the last, whichever ends first (each restoring what it saw could leave it
    off for the worker's lifetime)."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = gc.isenabled()

    assert gc.isenabled()
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first ended": False}
    assert gc.isenabled()


def test_a_savepoint_rolled_back_after_a_bulk_write_forgets_it(db, company, launched):
    """What update_in_bulk wrote inside a savepoint is forgotten with it, in memory too, as
    after a flush: the next save must not send a version the database never kept."""
    ann = appraisal_of(db, company, "ann")
    before = ann.total, ann.version
    savepoint = db.begin_nested()
    ann.total = Decimal("70")
    update_in_bulk(db, [ann])
    savepoint.rollback()
    assert (ann.total, ann.version) == before


def test_a_computed_blank_makes_no_figures_review(db, company, launched, visits, add_metric):
    """A metric with nothing to measure (a share of no records) leaves the figures as they
    were: no empty figures review is made for it."""
    add_metric(
        "located",
        source={"activity": "customer_visit"},
        aggregation="share",
        condition=[{"field": "has_location", "op": "eq", "value": True}],
    )
    values.bind_metrics(db, launched.scheme, {"collection": "located"}, None)
    db.commit()
    stored = db.scalars(select(MetricValue.computed).where(MetricValue.item_key == "collection"))
    assert set(stored) == {None}
    assert not list(db.scalars(select(Review).where(Review.slot == "data")))
