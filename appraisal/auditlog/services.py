"""Reading the organization's audit log: filters, keyset pages, rows for a file. Nothing here
writes: the log is appended to by `audit.record` only and has no update or delete path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..audit import CHANGED
from ..db import LIKE_ESCAPE, contains_pattern
from ..labels import AUDIT_FIELD, VOCABULARIES, YES_NO
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
class Change:
    """One field of an edit as the reader reads it: its name and values in their language;
    `hidden` when the log keeps only that it changed (a secret, private words)."""

    field: str
    before: Any
    after: Any
    hidden: bool = False

    @property
    def label(self) -> str:
        found = AUDIT_FIELD.get(self.field)
        return str(found[0]) if found else self.field

    @property
    def structured(self) -> bool:
        """A value that is data rather than words (a scoring rule, a set of bands): shown as
        code, as it is stored."""
        return isinstance(self.before, dict) or isinstance(self.after, dict)

    @property
    def before_text(self) -> str:
        return value_text(self.field, self.before)

    @property
    def after_text(self) -> str:
        return value_text(self.field, self.after)

    @property
    def text(self) -> str:
        if self.hidden:
            return f"{self.label}: {_l('changed (not recorded)')}"
        return f"{self.label}: {self.before_text} → {self.after_text}"


def value_text(field: str, value: Any) -> str:
    """A recorded value in the reader's words: a code of the field's vocabulary as its label,
    yes/no, lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(YES_NO[value])
    if isinstance(value, list):
        return ", ".join(value_text(field, one) for one in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    vocabulary = (AUDIT_FIELD.get(field) or (None, None))[1]
    if vocabulary:
        return str(VOCABULARIES[vocabulary].get(str(value), value))
    return str(value)


def changes_of(detail: dict[str, Any]) -> list[Change]:
    """An edit's fields from its `changes={field: [before, after]}` shape (`CHANGED`: a field
    whose values are not recorded), for the log and each row's own history."""
    found = detail.get("changes")
    if not isinstance(found, dict):
        return []
    return [
        Change(str(field), *pair)
        if isinstance(pair, list) and len(pair) == 2
        else Change(str(field), None, None, hidden=True)
        if pair == CHANGED
        else Change(str(field), None, pair)
        for field, pair in found.items()
    ]


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
    def changes(self) -> list[Change]:
        return changes_of(self.detail)

    @property
    def other_detail(self) -> dict[str, Any]:
        return {key: value for key, value in self.detail.items() if key != "changes"}

    @property
    def detail_text(self) -> str:
        """The details in one cell of a file: each change as "field: before → after" in the
        reader's words, then the rest as JSON."""
        parts = [change.text for change in self.changes]
        if self.other_detail:
            parts.append(json.dumps(self.other_detail, ensure_ascii=False, sort_keys=True))
        return "; ".join(parts)


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
