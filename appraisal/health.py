"""Can the database take writes? One reading of the drivers' refusals, and the /healthz probe.

A read-only, full or locked database is not a bug in a page: reads still work, and a write
that cannot happen is answered 503 with a message (see `views`), never a 500.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from enum import Enum

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .db import sqlite_file

log = logging.getLogger("appraisal")


class Unwritable(Enum):
    """Why the database refuses writes; the value names it in logs, /healthz and the API."""

    READ_ONLY = "read_only"
    FULL = "full"
    BUSY = "busy"


# SQLite primary result codes (https://sqlite.org/rescode.html); the extended codes
# (SQLITE_READONLY_DIRECTORY, …) share the low byte.
_SQLITE_CODES = {
    8: Unwritable.READ_ONLY,
    13: Unwritable.FULL,
    5: Unwritable.BUSY,
    6: Unwritable.BUSY,
}
# PostgreSQL SQLSTATEs: read_only_sql_transaction (also a hot standby), disk_full,
# lock_not_available (lock_timeout).
_SQLSTATES = {"25006": Unwritable.READ_ONLY, "53100": Unwritable.FULL, "55P03": Unwritable.BUSY}

#: A SQLite database with less room than this to grow counts as full.
MIN_FREE_BYTES = 16 * 1024 * 1024
MIN_FREE_PAGES = 16
#: How long the probe waits for another writer before calling the database busy.
PROBE_WAIT_MS = 1000
_PROBE = text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0")


def why_unwritable(error: BaseException | None) -> Unwritable | None:
    """The reason behind a driver error that means "no writes for now", else None."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return _SQLITE_CODES.get(code & 0xFF) if code is not None else None
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return _SQLSTATES.get(sqlstate) if isinstance(sqlstate, str) else None


def check_database(engine: Engine) -> dict[str, str]:
    """`database_read` and `database_write`, each "ok" or what is wrong.

    The write probe is an UPDATE that matches no row, rolled back: it is refused exactly when
    real writes are (read-only file or transaction, standby, lock held too long) yet changes
    nothing. Room to grow is checked separately (SQLite only: free pages and disk space).
    """
    checks = {"database_read": "ok", "database_write": "ok"}
    try:
        connection = engine.connect()
        connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health: the database does not answer")
        return checks | {"database_read": "error", "database_write": "not_checked"}
    with connection:
        try:
            if engine.dialect.name == "sqlite":
                _probe_sqlite(connection)
            else:
                connection.execute(text("SET LOCAL lock_timeout = '1s'"))
                connection.execute(_PROBE)
            connection.rollback()
        except SQLAlchemyError as error:
            reason = why_unwritable(error)
            log.warning("health: the database refuses writes: %s", getattr(error, "orig", error))
            checks["database_write"] = reason.value if reason else "error"
            return checks
        if engine.dialect.name == "sqlite" and not _sqlite_has_room(connection, engine):
            checks["database_write"] = Unwritable.FULL.value
    return checks


def _probe_sqlite(connection: Connection) -> None:
    waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {PROBE_WAIT_MS}")
    try:
        connection.execute(_PROBE)
    finally:
        connection.rollback()
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited or 0)}")


def _sqlite_has_room(connection: Connection, engine: Engine) -> bool:
    pragma = connection.exec_driver_sql
    pages = pragma("PRAGMA page_count").scalar() or 0
    limit = pragma("PRAGMA max_page_count").scalar() or 0
    free = pragma("PRAGMA freelist_count").scalar() or 0
    connection.rollback()
    if limit - pages + free < MIN_FREE_PAGES:
        log.warning("health: the database is at its page limit (%s of %s pages)", pages, limit)
        return False
    database = sqlite_file(engine)
    if database is not None:
        available = shutil.disk_usage(database.resolve().parent).free
        if available < MIN_FREE_BYTES:
            log.warning("health: %s bytes free beside the database", available)
            return False
    return True
