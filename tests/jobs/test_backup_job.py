"""Issue 19: an instance administrator lets the worker make a backup (`appraisal backup
PATH --queue`), watching its progress; a refusal fails the job with its reason."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from appraisal import create_app
from appraisal.db import make_engine
from appraisal.jobs.queue import consumer_in_threads
from appraisal.migrate import upgrade
from appraisal.models import Job, Organization


@pytest.fixture
def file_app(tmp_path):
    """An app on its own SQLite file (the shared test database may be PostgreSQL), with a
    real queue."""
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    upgrade(make_engine(url))
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "k",
            "LOG_FORMAT": "plain",
            "STORAGE_DIR": str(tmp_path / "files"),
            "JOBS_IMMEDIATE": False,
            "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}",
            "JOBS_POLL_SECONDS": 0.05,
        }
    )
    with app.extensions["appraisal.sessionmaker"]() as session:
        session.add(Organization(slug="acme", name="Acme"))
        session.commit()
    yield app
    app.extensions["appraisal.engine"].dispose()


def test_the_worker_makes_a_backup_an_administrator_started(file_app, tmp_path):
    runner = file_app.test_cli_runner()
    target = tmp_path / "backups" / "b.sqlite"
    with consumer_in_threads(file_app, workers=1, periodic=False):
        result = runner.invoke(args=["backup", str(target), "--queue"])
        assert result.exit_code == 0, result.output
        refused = runner.invoke(args=["backup", str(target), "--queue"])  # exists already
    assert f"Backed up to {target}." in result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT slug FROM organizations").fetchall() == [("acme",)]
    copy.close()
    assert refused.exit_code == 1 and "exists; choose a new file name" in refused.output
    with file_app.extensions["appraisal.sessionmaker"]() as session:
        jobs = session.scalars(select(Job).where(Job.kind == "backup.database")).all()
        assert [(j.status, j.organization_id, j.user_id) for j in jobs] == [
            ("done", None, None),
            ("failed", None, None),
        ]
        assert jobs[0].done == jobs[0].total > 0  # the pages copied
