"""Reading the organization's audit log: filters, keyset pages, rows for a file. Nothing here
writes: the log is appended to by `audit.record` only and has no update or delete path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..db import LIKE_ESCAPE, contains_pattern
from ..models import AuditEvent, Organization, User, as_utc


@dataclass(frozen=True)
class Filters:
    person: str = ""  # part of the name or e-mail of who acted
    action: str = ""
    entity: str = ""
    since: date | None = None  # organization's days, both ends included
    until: date | None = None


#: The log's columns (the page's and the file's).
COLUMNS = {
    "when": _l("When"),
    "who": _l("Who"),
    "action": _l("Action"),
    "entity": _l("Entity"),
    "entity_id": _l("Entity id"),
    "details": _l("Details"),
    "ip": _l("IP address"),
    "user_agent": _l("Browser"),
    "token": _l("API token"),
    "seq": _l("Number"),
    "hash": _l("Hash"),
}

#: An export holds at most this many rows, the newest the filters select (the page says so).
EXPORT_MAX = 50_000
PER_PAGE = 50


@dataclass(frozen=True)
class Row:
    """One event as the log shows it (`at` in the organization's time)."""

    seq: int
    at: datetime
    who: str
    action: str
    entity: str
    entity_id: int | None
    detail: dict[str, Any]
    ip: str | None
    user_agent: str | None
    token_name: str | None
    hash: str

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """`(field, before, after)` from the `changes={field: [before, after]}` shape."""
        found = self.detail.get("changes")
        if not isinstance(found, dict):
            return []
        return [
            (str(field), *pair)
            if isinstance(pair, list) and len(pair) == 2
            else (field, None, pair)
            for field, pair in found.items()
        ]

    @property
    def other_detail(self) -> dict[str, Any]:
        return {key: value for key, value in self.detail.items() if key != "changes"}


@dataclass(frozen=True)
class KeysetPage:
    """Newest first; `older` is the `before=` of the next page (None on the last)."""

    items: list[Row]
    older: int | None


def log_query(session: Session, org_id: int, filters: Filters) -> Select[Any]:
    """The organization's events the filters select, newest first, in the order of the
    (organization, seq) index."""
    stmt = (
        select(AuditEvent, User.name, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.organization_id == org_id)
        .order_by(AuditEvent.seq.desc())
    )
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.entity:
        stmt = stmt.where(AuditEvent.entity == filters.entity)
    if filters.person.strip():
        pattern = contains_pattern(filters.person[:200])
        stmt = stmt.where(
            or_(
                User.name.ilike(pattern, escape=LIKE_ESCAPE),
                User.email.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if filters.since or filters.until:
        zone = _zone(session, org_id)
        if filters.since:
            stmt = stmt.where(AuditEvent.at >= _local_midnight(filters.since, zone))
        if filters.until:
            stmt = stmt.where(AuditEvent.at < _local_midnight(filters.until + timedelta(1), zone))
    return stmt


def log_page(
    session: Session, org_id: int, filters: Filters, before: int | None, per_page: int = PER_PAGE
) -> KeysetPage:
    """One page: the events numbered below `before` (the first page without it). Keyset,
    not offset, so a page deep in a large log is as quick as the first."""
    stmt = log_query(session, org_id, filters)
    if before is not None:
        stmt = stmt.where(AuditEvent.seq < before)
    found = session.execute(stmt.limit(per_page + 1)).all()
    rows = list(_rows(session, org_id, found[:per_page]))
    return KeysetPage(rows, rows[-1].seq if len(found) > per_page else None)


def log_rows(session: Session, org_id: int, filters: Filters) -> Iterator[Row]:
    """The rows the filters select for a file, newest first, read a thousand at a time."""
    stmt = log_query(session, org_id, filters).limit(EXPORT_MAX)
    yield from _rows(session, org_id, session.execute(stmt.execution_options(yield_per=1000)))


def _rows(session: Session, org_id: int, found: Any) -> Iterator[Row]:
    zone = _zone(session, org_id)
    for event, name, email in found:
        yield Row(
            seq=event.seq,
            at=as_utc(event.at).astimezone(zone),
            who=f"{name} <{email}>" if email else "",
            action=event.action,
            entity=event.entity,
            entity_id=event.entity_id,
            detail=event.detail or {},
            ip=event.ip,
            user_agent=event.user_agent,
            token_name=event.token_name,
            hash=event.hash,
        )


def _zone(session: Session, org_id: int) -> ZoneInfo:
    return ZoneInfo(session.get(Organization, org_id).time_zone)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of the organization's `day`, in UTC (SQLite compares the stored UTC text)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)
