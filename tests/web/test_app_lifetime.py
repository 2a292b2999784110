"""An app a process no longer uses is freed: SQLAlchemy's mappers keep the statements they
compiled keyed by the engine's dialect, so nothing on a dialect may hold its app (tests make
an app each; a dialect that held it kept them all: 400 apps, 3.9 GB in one run)."""

from __future__ import annotations

import gc
import weakref

from appraisal import create_app
from appraisal.db import get_session
from appraisal.models import Organization


def test_an_app_is_freed_once_dropped(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "STORAGE_DIR": str(tmp_path / "files"),
        }
    )
    with app.app_context():
        session = get_session()
        session.add(Organization(slug="lifetime", name="Lifetime"))
        session.flush()  # a mapper compiles its INSERT for this app's dialect
        session.rollback()
    freed = weakref.ref(app)
    app.extensions["appraisal.engine"].dispose()
    del app, session
    gc.collect()
    assert freed() is None
