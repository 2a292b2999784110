"""A transaction that only read ends with COMMIT on PostgreSQL, so the statements psycopg
prepared survive it (a ROLLBACK makes psycopg forget them, and every request's statements
were parsed and planned again); one that wrote anything and was not committed is still
rolled back: nothing half-saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from appraisal.bulk import insert_in_bulk
from appraisal.db import make_engine, only_reads
from appraisal.models import Organization


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT users.id FROM users WHERE users.id = %(id)s",
        "  select 1",
        "WITH RECURSIVE chain(id) AS (SELECT 1) SELECT id FROM chain",
        "SELECT users.updated_at, users.deleted_flag, users.insertion FROM users",
    ],
)
def test_plain_reads_are_reads(statement):
    assert only_reads(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE users SET name = 'x'",
        "INSERT INTO users (name) VALUES ('x')",
        "DELETE FROM users",
        "WITH moved AS (UPDATE users SET name = 'x' RETURNING id) SELECT id FROM moved",
        "WITH gone AS (DELETE FROM users RETURNING id) SELECT count(*) FROM gone",
        "SELECT id FROM users FOR UPDATE",
        "SELECT * INTO copy FROM users",
        "SELECT set_config('statement_timeout', '1', false)",
        "SELECT nextval('users_id_seq')",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_try_advisory_xact_lock(1)",
        "SELECT pg_notify('jobs', 'x')",
        "SELECT lo_unlink(1)",
        "LOCK TABLE users",
        "SAVEPOINT sa_savepoint_1",
        "SET statement_timeout = 1",
        "CREATE TABLE copy (id int)",
    ],
)
def test_anything_that_may_write_lock_or_set_is_not_a_read(statement):
    assert not only_reads(statement)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    yield engine
    with engine.begin() as connection:
        connection.execute(Organization.__table__.delete().where(Organization.slug.like("rt-%")))
    engine.dispose()


def _prepared(session: Session) -> list[str]:
    return session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()


def _organizations(engine, slug: str) -> int:
    with Session(engine) as session:
        return session.scalar(
            select(func.count()).select_from(Organization).where(Organization.slug == slug)
        )


def test_statements_prepared_by_reading_requests_survive_the_end_of_each(engine):
    # one pooled connection, six short "requests" that each read once and close
    for _ in range(6):
        with Session(engine) as session:
            session.scalar(select(Organization.id).where(Organization.slug == "rt-none"))
    with Session(engine) as session:
        prepared = _prepared(session)
    assert any("FROM organizations" in statement for statement in prepared), prepared


def test_a_flushed_change_that_was_not_committed_is_rolled_back(engine):
    with Session(engine) as session:
        session.scalar(select(Organization.id).where(Organization.slug == "rt-none"))
        session.add(Organization(slug="rt-flushed", name="Flushed"))
        session.flush()
        session.scalar(select(Organization.id).where(Organization.slug == "rt-none"))
    assert _organizations(engine, "rt-flushed") == 0


def test_a_core_insert_that_was_not_committed_is_rolled_back(engine):
    with Session(engine) as session:
        session.execute(insert(Organization).values(slug="rt-core", name="Core"))
        for _ in range(3):
            session.scalar(select(Organization.id).where(Organization.slug == "rt-none"))
    assert _organizations(engine, "rt-core") == 0


def test_a_write_committed_earlier_does_not_make_a_later_read_a_write(engine):
    with Session(engine) as session:
        session.add(Organization(slug="rt-kept", name="Kept"))
        session.commit()
        session.scalar(select(Organization.id).where(Organization.slug == "rt-kept"))
        session.add(Organization(slug="rt-dropped", name="Dropped"))
        session.flush()
    assert _organizations(engine, "rt-kept") == 1
    assert _organizations(engine, "rt-dropped") == 0


def test_a_read_that_failed_ends_cleanly_and_the_connection_reads_again(engine):
    with Session(engine) as session, pytest.raises(DataError):
        session.execute(text("SELECT 1 / 0"))
    with Session(engine) as session:
        assert session.scalar(text("SELECT 2")) == 2


def test_rows_copied_in_through_the_driver_and_not_committed_are_rolled_back(engine):
    """`insert_in_bulk` copies rows in through psycopg, unseen by SQLAlchemy's statements:
    PostgreSQL's own record that the transaction wrote (its transaction id) decides."""
    with Session(engine) as session:
        session.scalar(select(Organization.id).where(Organization.slug == "rt-none"))
        insert_in_bulk(session, Organization.__table__, [{"slug": "rt-copied", "name": "C"}])
    assert _organizations(engine, "rt-copied") == 0


def test_a_row_written_by_any_driver_cursor_and_not_committed_is_rolled_back(engine):
    with Session(engine) as session:
        session.scalar(select(Organization.id).where(Organization.slug == "rt-none"))
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(
                "INSERT INTO organizations (slug, name, active, managers_see_chain,"
                " hr_reads_checkins, time_zone, created_at)"
                " VALUES ('rt-raw', 'Raw', true, false, false, 'Asia/Shanghai', now())"
            )
    assert _organizations(engine, "rt-raw") == 0


def test_a_session_setting_changed_and_not_committed_is_undone(engine):
    """A SET writes no row (no transaction id), so the statements' own check must catch it:
    committed, it would carry over to the next request on the connection."""
    with Session(engine) as session:
        default = session.scalar(text("SHOW application_name"))
    with Session(engine) as session:
        session.execute(text("SET application_name = 'rt-left-over'"))
        session.scalar(select(Organization.id).where(Organization.slug == "rt-none"))
    with Session(engine) as session:
        assert session.scalar(text("SHOW application_name")) == default
