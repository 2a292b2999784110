"""The serving lock: a restore must never replace a SQLite database under a running app.

Every process that serves requests holds a shared `flock` on a file beside the database
(`<database>.serving-lock`), taken when it handles its first request and kept until it exits
(the operating system drops it even after a crash or `kill -9`). `appraisal restore` takes the
same lock exclusively and refuses when it cannot: some process is serving, and writes it has
acknowledged would be lost. A process that has not served yet has acknowledged nothing; if its
first request arrives during a restore it answers 503 (without touching the database, which the
restore has locked) and takes the lock once the restore is done. A job worker (`appraisal
worker`, which writes to the database too) holds it from its start. Other CLI commands and
tests do not take it.

PostgreSQL is restored with its own tools (README, Backups), so there is no lock for it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, Response, jsonify, request
from flask_babel import gettext as _

from .db import sqlite_file

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no lock (README, Backups)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("appraisal")

# Both languages: the user's choice is in the database, which the restore holds.
RESTORING = (
    "数据库正在从备份恢复，请一分钟后再试。\n"
    "The database is being restored from a backup. Try again in a minute."
)


class Busy(Exception):
    """The lock is held the other way: an app is serving, or a restore is running."""


def lock_path(database: Path) -> Path:
    database = database.resolve()  # one lock file whatever path or symlink led to the database
    return database.with_name(database.name + ".serving-lock")


def _locked(database: Path, mode: int) -> int:
    """An open descriptor holding the lock in `mode`; Busy when another holder conflicts."""
    # O_RDONLY is enough for flock, so a read-only lock file (or database) still works.
    fd = os.open(lock_path(database), os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Busy from None
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def exclusive(database: Path) -> Iterator[None]:
    """Hold the database for a restore; Busy while any process is serving it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = _locked(database, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def hold_shared(database: Path) -> int | None:
    """Take the serving lock for this process's lifetime (a job worker): the descriptor, or
    None where there is no flock. Busy while a restore runs."""
    if fcntl is None:  # pragma: no cover
        return None
    return _locked(database, fcntl.LOCK_SH)


class ServingLock:
    """The shared lock of one serving process, taken on its first request."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.fd: int | None = None
        self.settled = False  # held, or given up on (logged)
        self._guard = threading.Lock()

    def hold(self) -> Response | None:
        """Before each request: take the lock once; 503 while a restore runs."""
        if self.settled:
            return None
        with self._guard:
            if not self.settled:
                try:
                    self.fd = _locked(self.database, fcntl.LOCK_SH)
                except Busy:
                    return _restoring()
                except OSError as error:
                    log.warning(
                        "No serving lock at %s (%s): `appraisal restore` cannot tell that "
                        "this app is running",
                        lock_path(self.database),
                        error,
                    )
                self.settled = True
        return None


def _restoring() -> Response:
    if request.path.startswith("/api/"):
        # the API's language needs no database (pages cannot know the reader's: both)
        message = _("The database is being restored from a backup. Try again in a minute.")
        body = {"error": {"code": "restoring", "message": message, "details": []}}
        response = jsonify(body)
    else:
        response = Response(RESTORING, mimetype="text/plain")
    response.status_code = 503
    response.headers["Retry-After"] = "60"
    return response


def init_app(app: Flask) -> None:
    """Serving processes take the lock; tests do not unless they ask (`SERVING_LOCK`)."""
    if fcntl is None or not app.config.get("SERVING_LOCK", not app.testing):
        return
    database = sqlite_file(app.extensions["appraisal.engine"])
    if database is None:
        return
    lock = ServingLock(database)
    app.extensions["appraisal.serving_lock"] = lock
    app.before_request(lock.hold)
