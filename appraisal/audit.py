"""Recording audit events. The caller's transaction carries them with the change itself.

Where a request came from (address, browser, API token) is put on the session by the web
layer (`db.get_session`, the API's sign-in) as an `Origin`, so services record it without
knowing about requests; a command has none.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, select
from sqlalchemy.orm import Session

from .labels import AUDIT_ACTION, AUDIT_ENTITY, RECORDED_BEFORE
from .models import AuditEvent, AuditHead, Membership, User
from .models.audit import GENESIS, USER_AGENT_LENGTH, entry_hash, event_values, recorded_order

#: The key of the request's `Origin` in `Session.info`.
ORIGIN = "audit_origin"


class UnlabelledAction(UserWarning):
    """An audit action with no words in `labels.AUDIT_ACTION` (history would show the code);
    the test suite turns warnings into errors."""


@dataclass(frozen=True)
class Origin:
    """Where the request that made a change came from."""

    ip: str | None = None
    user_agent: str | None = None
    token_name: str | None = None

    @classmethod
    def of(cls, ip: str | None, user_agent: str | None) -> Origin:
        return cls(
            ip=(ip or None) and ip[:45], user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None
        )


def set_origin(session: Session, origin: Origin) -> None:
    session.info[ORIGIN] = origin


def with_token(session: Session, token_name: str) -> None:
    """Events of an API request name the token it used."""
    set_origin(session, replace(session.info.get(ORIGIN) or Origin(), token_name=token_name))


def record(
    session: Session,
    organization_id: int,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """One event, named `area.verb` (a key of `labels.AUDIT_ACTION`). Only services record:
    whoever changes something (a page, a command, the API) gets the same trail.

    A service that edits a row passes `changes={field: [before, after]}` (see `changes`); the
    audit page shows it as before → after. The event is numbered and chained at flush.
    """
    if action not in AUDIT_ACTION or action in RECORDED_BEFORE:
        warnings.warn(f"audit action {action!r} has no label", UnlabelledAction, stacklevel=2)
    if entity not in AUDIT_ENTITY:
        warnings.warn(f"audit entity {entity!r} has no label", UnlabelledAction, stacklevel=2)
    origin = session.info.get(ORIGIN) or Origin()
    event = AuditEvent(
        organization_id=organization_id,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
        ip=origin.ip,
        user_agent=origin.user_agent,
        token_name=origin.token_name,
    )
    event.recorded = next(recorded_order)  # type: ignore[attr-defined]
    session.add(event)
    return event


#: Fields whose values never enter the log (credentials and where messages go): an edit of
#: one is recorded as `CHANGED`, without its old or new value.
SECRET_FIELDS = frozenset(
    {
        "password",
        "password_hash",
        "token",
        "token_hash",
        "secret",
        "signing_secret",
        "webhook",
        "webhook_url",
        "url",
        "passphrase",
        "api_key",
        "access_key",
        "secret_key",
    }
)
#: What `changes` records for a secret field that moved.
CHANGED = "changed"
#: Longest text kept for one value (longer text is cut and ends in "…").
VALUE_LENGTH = 200


def snapshot(row: Any | None, fields: Iterable[str]) -> dict[str, Any]:
    """A row's editable `fields` as they are now (a row not made yet: none). Taken before an
    edit and again after it, the two give the edit's `changes`: every service that edits a
    row records it this one way."""
    if row is None:
        return {}
    return {name: copy.deepcopy(getattr(row, name)) for name in fields}


def changes(
    before: dict[str, Any], after: dict[str, Any], withhold: Iterable[str] = ()
) -> dict[str, Any]:
    """`{field: [before, after]}` for the fields whose value moved: the one shape of an edit.

    A field in `before` only (a key an edited JSON document dropped) went to None: `after`
    is the whole state after the edit, never just the fields that moved. Values are
    compared whole but kept short (`VALUE_LENGTH`) and as JSON; a secret field
    (`SECRET_FIELDS`), or one the caller `withhold`s (private words the log's readers may
    not read), is recorded as `CHANGED`, never with its values."""
    hidden = SECRET_FIELDS.union(withhold)
    moved: dict[str, Any] = {}
    for key in [*after, *(key for key in before if key not in after)]:
        old, value = before.get(key), after.get(key)
        if old == value:
            continue
        moved[key] = CHANGED if key in hidden else [short(old), short(value)]
    return moved


def short(value: Any) -> Any:
    """A value as the log keeps it: JSON, and no longer than `VALUE_LENGTH` characters."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        value = value.value
    elif isinstance(value, Decimal):
        return float(value)
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    if isinstance(value, str):
        return value if len(value) <= VALUE_LENGTH else value[: VALUE_LENGTH - 1] + "…"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) <= VALUE_LENGTH:
        return json.loads(text)
    return text[: VALUE_LENGTH - 1] + "…"


def record_for_account(
    session: Session, user_id: int, actor_id: int | None, action: str, **detail: Any
) -> None:
    """An audit event about the account in each organization it belongs to."""
    for org_id in session.scalars(
        select(Membership.organization_id).where(Membership.user_id == user_id)
    ):
        record(session, org_id, actor_id, action, "user", user_id, **detail)


def audit_trail(
    session: Session, org_id: int, entity: str, entity_id: int, limit: int = 50
) -> list[tuple[Any, str, str, dict[str, Any]]]:
    """Who did what and when to one row (a template, an appraisal, …), newest first."""
    parameters = {"org_id": org_id, "entity": entity, "entity_id": entity_id, "limit": limit}
    rows = session.execute(_trail(), parameters).all()
    return [(row.at, row.name or "", row.action, row.detail or {}) for row in rows]


@cache
def _trail() -> Select:
    """Built once per process: the appraisal page shows a trail on every view (issue 20)."""
    return (
        select(AuditEvent.at, User.name, AuditEvent.action, AuditEvent.detail)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(
            AuditEvent.organization_id == bindparam("org_id", type_=Integer),
            AuditEvent.entity == bindparam("entity", type_=String),
            AuditEvent.entity_id == bindparam("entity_id", type_=Integer),
        )
        .order_by(AuditEvent.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


@dataclass(frozen=True)
class Break:
    """The first link of an organization's chain that does not hold."""

    organization_id: int
    seq: int
    event_id: int | None
    reason: str


def verify(session: Session, organization_id: int | None = None) -> list[Break]:
    """Recompute every organization's chain (or one); the first broken link of each.

    An edited event no longer matches its hash; a deleted one leaves a gap in `seq` and a
    `prev_hash` that names no event; an inserted one needs a free number and a hash over its
    predecessor; a deleted tail no longer reaches the head.
    """
    heads = {h.organization_id: h for h in session.scalars(select(AuditHead))}
    orgs = set(heads) | set(session.scalars(select(AuditEvent.organization_id).distinct()))
    if organization_id is not None:
        orgs &= {organization_id}
    breaks = []
    for org_id in sorted(orgs):
        found = _first_break(session, org_id, heads.get(org_id))
        if found:
            breaks.append(found)
    return breaks


def _first_break(session: Session, org_id: int, head: AuditHead | None) -> Break | None:
    expected_seq, prev = 1, GENESIS
    for event in _chain_of(session, org_id):
        if event.seq != expected_seq:
            return Break(org_id, expected_seq, event.id, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return Break(org_id, event.seq, event.id, "does not follow the event before it")
        if entry_hash(prev, event_values(event)) != event.hash:
            return Break(org_id, event.seq, event.id, "its content was changed")
        expected_seq, prev = expected_seq + 1, event.hash
    last = expected_seq - 1
    if head is None or (head.seq, head.hash) != (last, prev):
        head_seq = head.seq if head else 0
        return Break(org_id, last + 1, None, f"the chain ends at {last}, its head at {head_seq}")
    return None


def _chain_of(session: Session, org_id: int) -> Iterator[AuditEvent]:
    """The organization's events in order, a thousand at a time (a server-side cursor on
    PostgreSQL, closed even when the check stops at the first break)."""
    result = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.organization_id == org_id)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=1000)
    )
    try:
        yield from result
    finally:
        result.close()


def chained_organizations(session: Session) -> list[int]:
    return list(
        session.scalars(select(AuditHead.organization_id).order_by(AuditHead.organization_id))
    )


def head_of(session: Session, organization_id: int) -> tuple[int, str, datetime | None]:
    """The last number and hash of the chain: write them down elsewhere (a ticket, the backup
    log) and a rewrite of the whole chain is caught too."""
    head = session.get(AuditHead, organization_id)
    last_at = session.scalar(
        select(AuditEvent.at)
        .where(AuditEvent.organization_id == organization_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    return (head.seq, head.hash, last_at) if head else (0, GENESIS, None)
