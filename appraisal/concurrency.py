"""Optimistic locking: every editable thing carries a version (`version_id_col`), every form
posts the version it showed, and every way a concurrent save can be noticed ends in the same
`EditConflict` (HTTP 409, what was typed kept).

Two doors lead here. A form opened before someone else saved posts an old version: the
service compares it (`expect_version`) before changing anything. Two saves that both passed
that check at the same moment meet at flush time: the second UPDATE finds the row's version
moved (`StaleDataError`), or the second first-insert hits the unique key (`IntegrityError`);
`lost_updates` turns both into the same conflict.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .errors import ServiceError

NO_ROW_YET = 0  # the version a form shows before its row exists: "there must be none yet"

CONFLICT = _l(
    "Someone else saved this form while you were editing it. Your values are kept below and "
    "were not saved; compare them with the saved ones and save again."
)
#: The same conflict as a program reads it (the API: no form, no values kept below).
API_CONFLICT = _l(
    "Someone else changed this since you read it, so nothing was saved. Read it again "
    "(with its new version) and send your change again."
)


class EditConflict(ServiceError):
    """Someone else saved the same thing since this form was opened; `current` is the row as
    it was found, where the service had it (None when noticed only at flush time, then
    `at_flush` is true)."""

    def __init__(self, current: Any = None, message: Any = None, at_flush: bool = False) -> None:
        super().__init__(message or CONFLICT)
        self.current = current
        self.at_flush = at_flush
        self.api_message = message or API_CONFLICT  # a service's own words stay its own


def expect_version(row: Any, version: int | None) -> None:
    """Refuse a change to `row` (None: it does not exist yet) made from a form that showed
    another version. `version` None means the caller states no expectation (trusted code,
    API writes without a precondition): last writer wins."""
    if version is None:
        return
    if (row.version if row is not None else NO_ROW_YET) != version:
        raise EditConflict(row)


def is_unique_violation(error: IntegrityError) -> bool:
    """A duplicate key (SQLite and PostgreSQL), as opposed to a broken foreign key or check."""
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return state == "23505" or "UNIQUE constraint failed" in str(original)


@contextmanager
def lost_updates(session: Session) -> Iterator[None]:
    """Run a change and flush it; a concurrent save found at flush time becomes an
    `EditConflict` after the session is rolled back, so the page can answer 409."""
    try:
        yield
        session.flush()
    except StaleDataError as error:
        session.rollback()
        raise EditConflict(at_flush=True) from error
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        session.rollback()
        raise EditConflict(at_flush=True) from error
