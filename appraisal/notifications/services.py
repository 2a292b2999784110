"""Telling people: an event becomes in-app entries and outbox messages, once.

`notify` is the one door: the areas call it inside their own transaction (so a rolled-back
change tells nobody), and the delivery job (`delivery.py`) sends the outbox afterwards. The
event's `key` names it ("appraisal:12:self"); a person is told an event once per channel
however often it is raised (a retried request, a reminder job run twice), because each row's
dedupe key is unique and a duplicate insert is skipped by the database itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..db import in_chunks
from ..models import (
    Employee,
    Notification,
    NotificationPreference,
    Organization,
    OutboxMessage,
    Robot,
    User,
    utcnow,
)
from ..people.services import with_subdepartments
from ..states import Channel
from .catalogue import KINDS


@dataclass(frozen=True)
class Personal:
    """What differs for one recipient of an event told to many at once (their own
    appraisal's key, page and name), so thousands are told in one bulk insert."""

    key: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    link: str | None = None


@dataclass(frozen=True)
class Event:
    """Something people should hear of. `context` holds the placeholder values (text or
    numbers, in no language: dates as ISO text, steps as codes); `link` is a path inside
    the app; `key` identifies the event among the organization's events. `personal`
    overrides the key, context or link for some recipients (`Personal`)."""

    organization_id: int
    kind: str
    key: str
    user_ids: Sequence[int]
    context: dict[str, Any] = field(default_factory=dict)
    link: str | None = None
    personal: Mapping[int, Personal] = field(default_factory=dict)
    #: False keeps the event out of group chats whatever its kind: who still owes a peer
    #: review is the reviewers' names, which a group must never read.
    to_groups: bool = True

    def for_user(self, user_id: int) -> tuple[str, dict[str, Any], str | None]:
        """The key, context and link this recipient is told."""
        own = self.personal.get(user_id)
        if own is None:
            return self.key, self.context, self.link
        return own.key or self.key, {**self.context, **own.context}, own.link or self.link


def notify(session: Session, event: Event, now: datetime | None = None) -> None:
    """File `event` for each recipient: an in-app entry and an e-mail as their preferences
    say (the e-mail waits for the end of their quiet hours, or for the daily digest), and a
    message for every group robot that posts this kind for their department. Never commits."""
    if event.kind not in KINDS:
        raise KeyError(event.kind)
    user_ids = sorted(set(event.user_ids))
    if not user_ids:
        return
    now = now or utcnow()
    org = session.get(Organization, event.organization_id)
    assert org is not None
    zone = ZoneInfo(org.time_zone)
    users = _recipients(session, user_ids)
    preferences = _preferences(session, user_ids)
    in_app: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    for user in users:
        preference = preferences.get(user.id)
        channels = channels_for(preference, event.kind)
        key, context, link = event.for_user(user.id)
        if Channel.IN_APP in channels:
            in_app.append(
                {
                    "organization_id": org.id,
                    "user_id": user.id,
                    "kind": event.kind,
                    "context": context,
                    "link": link,
                    "dedupe_key": key,
                    "created_at": now,
                }
            )
        if Channel.EMAIL in channels:
            outbox.append(
                _message(
                    org.id,
                    event,
                    Channel.EMAIL,
                    now,
                    user.language or "zh",
                    user_id=user.id,
                    dedupe_key=email_key(user.id, event.kind, key),
                    not_before=send_after(preference, now, zone),
                    context=context,
                    link=link,
                )
            )
    if KINDS[event.kind].robot_safe and event.to_groups:
        outbox.extend(_robot_messages(session, org, event, user_ids, now))
    _insert_new(session, Notification.__table__, in_app, ("user_id", "dedupe_key"))
    _insert_new(session, OutboxMessage.__table__, outbox, ("dedupe_key",))


def email_key(user_id: int, kind: str, key: str) -> str:
    """The outbox key of the e-mail telling `user_id` of the event `key` (unique)."""
    return f"email:{user_id}:{kind}:{key}"


def channels_for(preference: NotificationPreference | None, kind: str) -> tuple[str, ...]:
    """The personal channels a person hears `kind` on: their choice, else the default."""
    if preference is not None and kind in (preference.channels or {}):
        return tuple(preference.channels[kind])
    return tuple(KINDS[kind].channels)


def send_after(
    preference: NotificationPreference | None, now: datetime, zone: ZoneInfo
) -> datetime:
    """When a person's e-mail may go: now, or the end of their quiet hours (in the
    organization's zone; hours may span midnight, 22:00–07:00), or the next daily digest
    (sent at the end of quiet hours, else at DIGEST_AT local time)."""
    local = now.astimezone(zone)
    if preference is not None and preference.daily_digest:
        at = preference.quiet_until or DIGEST_AT
        return _next_local(local, at).astimezone(now.tzinfo)
    if preference is None or preference.quiet_from is None or preference.quiet_until is None:
        return now
    if not in_quiet_hours(local.time(), preference.quiet_from, preference.quiet_until):
        return now
    return _next_local(local, preference.quiet_until).astimezone(now.tzinfo)


#: When a daily digest goes out for someone without quiet hours (local time).
DIGEST_AT = time(8, 0)


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    """Whether `moment` falls in [start, end), hours that may span midnight."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _next_local(local: datetime, at: time) -> datetime:
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (candidate + timedelta(days=1)).replace(hour=at.hour, minute=at.minute)
    return candidate


def _message(
    org_id: int, event: Event, channel: str, now: datetime, language: str, **columns: Any
) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "channel": channel,
        "user_id": None,
        "robot_id": None,
        "kind": event.kind,
        "context": event.context,
        "link": event.link,
        "language": language,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "not_before": now,
        **columns,
    }


def _recipients(session: Session, user_ids: list[int]) -> list[User]:
    users: list[User] = []
    for chunk in in_chunks(user_ids):
        users.extend(session.scalars(select(User).where(User.id.in_(chunk), User.active)))
    return sorted(users, key=lambda u: u.id)


def _preferences(session: Session, user_ids: list[int]) -> dict[int, NotificationPreference]:
    found: dict[int, NotificationPreference] = {}
    for chunk in in_chunks(user_ids):
        for preference in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id.in_(chunk))
        ):
            found[preference.user_id] = preference
    return found


def _robot_messages(
    session: Session, org: Organization, event: Event, user_ids: list[int], now: datetime
) -> Iterable[dict[str, Any]]:
    """One message per robot posting this kind and per recipient in its department's
    subtree (an organization-wide robot hears about everyone)."""
    robots = [
        robot
        for robot in session.scalars(
            select(Robot).where(Robot.organization_id == org.id, Robot.active)
        )
        if event.kind in (robot.kinds or [])
    ]
    if not robots:
        return
    departments = _departments_of(session, org.id, user_ids)
    names = {user.id: user.name for user in _recipients(session, user_ids)}
    for robot in robots:
        if robot.department_id is None:
            heard = user_ids
        else:
            subtree = with_subdepartments(session, org.id, [robot.department_id])
            heard = [u for u in user_ids if departments.get(u) in subtree]
        for user_id in heard:
            key, context, link = event.for_user(user_id)
            yield _message(
                org.id,
                event,
                robot.channel,
                now,
                robot.language,
                robot_id=robot.id,
                dedupe_key=f"{robot.channel}:{robot.id}:{event.kind}:{key}:{user_id}",
                context={
                    "employee": names.get(user_id, ""),
                    **context,
                    "recipient": names.get(user_id, ""),
                },
                link=link,
            )


def _departments_of(session: Session, org_id: int, user_ids: list[int]) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for chunk in in_chunks(user_ids):
        for user_id, department_id in session.execute(
            select(Employee.user_id, Employee.department_id).where(
                Employee.organization_id == org_id, Employee.user_id.in_(chunk)
            )
        ):
            found[user_id] = department_id
    return found


def _insert_new(
    session: Session, table: Any, rows: list[dict[str, Any]], unique: tuple[str, ...]
) -> None:
    """Insert the rows whose unique key is not taken yet, in one statement per chunk; a
    duplicate (the event told before, or by a concurrent run) is skipped by the database."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    make = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    for chunk in in_chunks(rows):
        if make is not None:
            session.execute(make(table).on_conflict_do_nothing(index_elements=list(unique)), chunk)
        else:  # pragma: no cover - the two databases we support both have ON CONFLICT
            session.execute(insert(table), chunk)
