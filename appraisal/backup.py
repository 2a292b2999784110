"""Backups of an SQLite database with SQLite's online backup API (safe while the app runs).

A restore is not: it would replace the database under a running app, which would go on as if
the writes it had acknowledged were still there. It refuses while any process serves the
database (`serving`). PostgreSQL installations use `pg_dump` / `pg_restore` (see README,
Backups); these commands say so rather than half-doing it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine

from . import serving
from .db import sqlite_file
from .errors import ServiceError

PAGES_PER_STEP = 256


class BackupRefused(ServiceError):
    """A backup or restore that cannot be done safely (the command says why)."""


def sqlite_path(engine: Engine) -> Path:
    path = sqlite_file(engine)
    if path is None:
        raise BackupRefused(
            "backup and restore work on SQLite files; for PostgreSQL use pg_dump and "
            "pg_restore (README, Backups)"
        )
    return path


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress=None) -> None:
    def step(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step)


def backup(engine: Engine, destination: Path, progress=None) -> None:
    """Copy the live database to `destination` (which must not exist yet)."""
    live = sqlite_path(engine)
    if destination.exists():
        raise BackupRefused(f"{destination} exists; choose a new file name")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(live) as source, sqlite3.connect(destination) as target:
        _copy(source, target, progress)
    source.close()
    target.close()


def _check_backup(path: Path) -> None:
    if not path.is_file():
        raise BackupRefused(f"{path} is not a file")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            found = probe.execute("SELECT version_num FROM alembic_version").fetchone()
        probe.close()
    except sqlite3.DatabaseError:
        found = None
    if not found:
        raise BackupRefused(f"{path} is not a backup of this application")


def restore(engine: Engine, source_path: Path, progress=None) -> None:
    """Replace the live database's content with the backup's, in one step."""
    live = sqlite_path(engine)
    _check_backup(source_path)
    try:
        with serving.exclusive(live):
            engine.dispose()  # no pooled connection keeps the old state
            with sqlite3.connect(source_path) as source, sqlite3.connect(live) as target:
                _copy(source, target, progress)
            source.close()
            target.close()
    except serving.Busy:
        raise BackupRefused(
            f"the application is serving {live}: stop it (every worker) first, then restore; "
            "writes it had confirmed would otherwise be lost"
        ) from None
    except OSError as error:
        raise BackupRefused(f"cannot take {serving.lock_path(live)}: {error}") from None
