"""A cycle's recompute writes the appraisals and figures it moved with one executemany
UPDATE per table (`bulk.update_in_bulk`) instead of one statement per versioned row; the
optimistic lock still holds: a row changed meanwhile is refused, as a flush refuses it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from appraisal.bulk import update_in_bulk
from appraisal.models import Appraisal

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
