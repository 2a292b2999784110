"""Backup, change, restore: the old state is back (SQLite's online backup API)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appraisal import create_app
from appraisal.db import make_engine
from appraisal.migrate import upgrade
from appraisal.models import Employee, Organization


@pytest.fixture
def file_app(tmp_path):
    """An app on its own SQLite file (the shared test database may be PostgreSQL)."""
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    upgrade(make_engine(url))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "LOG_FORMAT": "plain"})
    yield app
    app.extensions["appraisal.engine"].dispose()


def names(app) -> list[str]:
    with app.extensions["appraisal.sessionmaker"]() as session:
        return list(session.scalars(select(Employee.name).order_by(Employee.number)))


def test_backup_change_restore_round_trip(file_app, tmp_path):
    runner = file_app.test_cli_runner()
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        org = Organization(slug="acme", name="Acme")
        session.add(org)
        session.flush()
        session.add(Employee(organization_id=org.id, number="E1", name="Before"))
        session.commit()

    saved = tmp_path / "backups" / "monday.sqlite"
    result = runner.invoke(args=["backup", str(saved)])
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output

    with file_app.extensions["appraisal.sessionmaker"]() as session:
        session.scalar(select(Employee)).name = "After"
        session.add(Employee(organization_id=1, number="E2", name="New"))
        session.commit()
    assert names(file_app) == ["After", "New"]

    result = runner.invoke(args=["restore", str(saved), "--yes"])
    assert result.exit_code == 0, result.output
    assert names(file_app) == ["Before"]

    again = runner.invoke(args=["backup", str(saved)])
    assert again.exit_code == 1 and "exists" in again.output


def test_restore_refuses_a_file_that_is_not_a_backup(file_app, tmp_path):
    junk = tmp_path / "notes.sqlite"
    junk.write_text("not a database")
    result = file_app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1 and "not a backup of this application" in result.output


def test_backup_explains_postgresql(app, runner, tmp_path):
    if app.extensions["appraisal.engine"].dialect.name != "postgresql":
        pytest.skip("runs where the test database is PostgreSQL (CI)")
    result = runner.invoke(args=["backup", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 1 and "pg_dump" in result.output
