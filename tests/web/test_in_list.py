"""`db.in_list`: a statement built once, given a list of ids at each execution, finds exactly
those rows on SQLite and PostgreSQL whatever the list's length, empty included; on
PostgreSQL its text does not grow with the list (one array parameter)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appraisal.db import in_list
from appraisal.models import Department


@pytest.fixture
def departments(db, make):
    org = make.org("acme")
    found = [Department(organization_id=org.id, name=f"Dept {n}") for n in range(7)]
    db.add_all(found)
    db.commit()
    return [d.id for d in found]


STATEMENT = select(Department.id).where(in_list(Department.id, "ids")).order_by(Department.id)


@pytest.mark.parametrize("size", [0, 1, 3, 7])
def test_the_rows_of_the_ids_given_and_no_others(db, departments, size):
    wanted = departments[:size]
    assert list(db.scalars(STATEMENT, {"ids": [*wanted, departments[-1] + 1000]})) == wanted


def test_one_statement_answers_lists_of_every_length(db, departments):
    """The same statement object, executed again with other lists (the compiled form is
    cached by SQLAlchemy: a list baked into it would answer the first list again)."""
    assert list(db.scalars(STATEMENT, {"ids": departments[2:4]})) == departments[2:4]
    assert list(db.scalars(STATEMENT, {"ids": departments[5:]})) == departments[5:]
    assert list(db.scalars(STATEMENT, {"ids": []})) == []


def test_on_postgresql_the_text_does_not_grow_with_the_list(db, departments):
    from sqlalchemy import event

    engine = db.get_bind()
    if engine.dialect.name != "postgresql":
        pytest.skip("an expanding IN elsewhere")
    sent = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        db.scalars(STATEMENT, {"ids": departments[:1]}).all()
        db.scalars(STATEMENT, {"ids": departments}).all()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert sent[0] == sent[1]
    assert "= ANY (" in sent[0]
