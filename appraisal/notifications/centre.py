"""A person's in-app centre (the bell): how many entries wait unread, a page of them drawn
in the reader's language, and marking them read.

Everything is the person's own and the current organization's: someone with memberships in
two organizations sees each one's entries only while working in it, and an entry id of
anyone else (or of the other organization) is simply not found. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, ScalarSelect, Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from ..models import Notification, utcnow
from ..paging import Page, paginate
from . import render

#: Entries a page of the centre shows.
PER_PAGE = 20
#: The bell counts no further: "99+" says enough, and the count stays one short query
#: however many entries a person leaves unread.
COUNT_CAP = 100


def _own(org_id: int | ColumnElement[int], user_id: int | ColumnElement[int]):
    return (Notification.organization_id == org_id, Notification.user_id == user_id)


def unread_count(session: Session, org_id: int, user_id: int, cap: int = COUNT_CAP) -> int:
    """The person's unread entries in the organization, counted up to `cap` (one query on
    the `(user_id, read_at)` index)."""
    return session.scalar(_unread(cap), {"org_id": org_id, "user_id": user_id}) or 0


@cache
def _unread(cap: int) -> Select:
    """The bell's count on a page whose sign-in did not bring it (`unread_in`): built once
    per process, like every statement each request runs."""
    return select(func.count()).select_from(
        _unread_ids(bindparam("org_id"), bindparam("user_id"), cap).subquery()
    )


def unread_in(
    org_id: ColumnElement[int], user_id: ColumnElement[int], cap: int = COUNT_CAP
) -> ScalarSelect[int]:
    """The bell's count as a column of another statement whose rows carry the organization
    and the person (the sign-in's, `access`), so a page needs no statement of its own."""
    ids = _unread_ids(org_id, user_id, cap).correlate_except(Notification)
    return select(func.count()).select_from(ids.subquery()).scalar_subquery()


def _unread_ids(org_id: ColumnElement[int], user_id: ColumnElement[int], cap: int) -> Select:
    """Up to `cap` unread entries: the count stops there (one short scan of the
    `(user_id, read_at)` index however many wait)."""
    return (
        select(Notification.id)
        .where(*_own(org_id, user_id), Notification.read_at.is_(None))
        .limit(cap)
    )


@dataclass(frozen=True)
class Entry:
    """One entry as the centre shows it: its words in the reader's language."""

    id: int
    kind: str
    subject: str
    body: str
    created_at: datetime
    read: bool
    link: str | None


def entries(
    session: Session,
    org_id: int,
    user_id: int,
    page: int,
    language: str,
    *,
    name: str,
    organization: str,
) -> Page[Entry]:
    """A page of the person's entries, newest first, each drawn in `language` (HR's
    template for its kind where there is one) with the reader's `name` and `organization`."""
    stmt = (
        select(Notification)
        .where(*_own(org_id, user_id))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    found = paginate(session, stmt, page, PER_PAGE)
    drawn = []
    for row in found.items:
        words = render.words(
            session,
            org_id,
            row.kind,
            language,
            row.context or {},
            name=name,
            organization=organization,
        )
        drawn.append(
            Entry(
                row.id,
                row.kind,
                words.subject,
                words.body,
                row.created_at,
                row.read_at is not None,
                row.link,
            )
        )
    return Page(drawn, found.page, found.per_page, found.total)


def own_entry(session: Session, org_id: int, user_id: int, id_: int) -> Notification | None:
    """The person's entry `id_` in the organization; anyone else's is None (a 404)."""
    return session.scalar(
        select(Notification).where(Notification.id == id_, *_own(org_id, user_id))
    )


def mark_read(entry: Notification, now: datetime | None = None) -> None:
    """Read now (an entry read before keeps the first moment)."""
    if entry.read_at is None:
        entry.read_at = now or utcnow()


def mark_all_read(session: Session, org_id: int, user_id: int, now: datetime | None = None) -> int:
    """Every unread entry of the person in the organization is read now; how many were."""
    result = session.execute(
        update(Notification)
        .where(*_own(org_id, user_id), Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
