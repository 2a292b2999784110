"""Who did what, when, from where, and why: an append-only, hash-chained log per organization.

Each event stores the SHA-256 of its canonical content and of the previous event's hash in
the same organization, numbered 1, 2, … by `seq`. The numbers and hashes are taken at flush
time under a row lock on the organization's `audit_heads` row (an UPDATE, which PostgreSQL
locks per row and SQLite serialises with its write lock), so two transactions never chain
onto the same previous event: the second waits for the first to commit, then continues from
it. The unique (organization_id, seq) stays as a second guard. No Flask here.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, OrganizationScoped, as_utc, utcnow

#: The "previous hash" of an organization's first event.
GENESIS = "0" * 64
#: Longest user agent kept (they are free text sent by the client).
USER_AGENT_LENGTH = 200


#: Numbers events in the order they were recorded, so a flush chains them in that order.
recorded_order = itertools.count(1)


class AuditEvent(OrganizationScoped, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        # The chain's order, the page's keyset and a second guard against a forked chain.
        Index("uq_audit_events_organization_id_seq", "organization_id", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    token_name: Mapped[str | None] = mapped_column(String(80))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last link of an organization's chain: the lock writers queue on, and the anchor
    that shows a deleted tail (the last events removed) to `audit verify`."""

    __tablename__ = "audit_heads"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


def canonical(values: dict[str, Any]) -> bytes:
    """The hashed form of an event: sorted JSON of what it says (not its row id)."""
    at = values["at"]
    content = {
        "organization_id": values["organization_id"],
        "seq": values["seq"],
        "at": as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "user_id": values["user_id"],
        "action": values["action"],
        "entity": values["entity"],
        "entity_id": values["entity_id"],
        "detail": values["detail"] or {},
        "ip": values["ip"],
        "user_agent": values["user_agent"],
        "token_name": values["token_name"],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, values: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(values)).hexdigest()


def event_values(event_: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event_, name) for name in HASHED}


HASHED = (
    "organization_id",
    "seq",
    "at",
    "user_id",
    "action",
    "entity",
    "entity_id",
    "detail",
    "ip",
    "user_agent",
    "token_name",
)


def _take_head(session: Session, org_id: int, count: int) -> tuple[int, str]:
    """Reserve `count` numbers after the organization's head (locking it until commit);
    returns the first number and the hash to chain from."""
    connection = session.connection()
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    connection.execute(
        dialect.insert(AuditHead)
        .values(organization_id=org_id, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=[AuditHead.organization_id])
    )
    connection.execute(
        update(AuditHead)
        .where(AuditHead.organization_id == org_id)
        .values(seq=AuditHead.seq + count)
    )
    seq, head = connection.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.organization_id == org_id)
    ).one()
    return seq - count + 1, head


@event.listens_for(Session, "before_flush")
def _chain(session: Session, _context: Any, _instances: Any) -> None:
    """Number and hash the session's new events, per organization in the order recorded."""
    pending = [e for e in session.new if isinstance(e, AuditEvent) and e.seq is None]
    if not pending:
        return
    pending.sort(key=lambda e: getattr(e, "recorded", 0))
    by_org: dict[int, list[AuditEvent]] = {}
    for event_ in pending:
        by_org.setdefault(event_.organization_id, []).append(event_)
    for org_id in sorted(by_org):  # one order for every writer: no deadlock between two
        events = by_org[org_id]
        seq, prev = _take_head(session, org_id, len(events))
        for offset, event_ in enumerate(events):
            event_.at = event_.at or utcnow()
            event_.detail = event_.detail or {}
            event_.seq = seq + offset
            event_.prev_hash = prev
            event_.hash = prev = entry_hash(prev, event_values(event_))
        session.connection().execute(
            update(AuditHead).where(AuditHead.organization_id == org_id).values(hash=prev)
        )
