"""Sending the outbox: a periodic job (every NOTIFICATIONS_DELIVER_MINUTES) takes the
messages that are due, hands each channel its share, and records what came of each.

A message is *claimed* before it is sent (its `not_before` moves a lease ahead in a
conditional UPDATE), so two consumers, or a run that overlaps the next, never send it
twice. A failed attempt waits longer each time (`BACKOFF`); after the last one the message
is failed for good, with its error in the delivery log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..jobs.registry import Progress, periodic
from ..models import Notification, OutboxMessage, utcnow
from ..states import Channel, DeliveryStatus

DELIVER = "notifications.deliver"
#: Messages one run takes (the rest wait for the next run, a minute later).
BATCH = 500
#: How long a claimed message is kept from other runs while it is being sent.
LEASE = timedelta(minutes=10)
#: The wait after the 1st, 2nd, … failed attempt; after the last, the message is failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
)

#: channel → sender(session, messages, now): sends and marks each message (see `sent`,
#: `retry`, `failed`, `merged`, `skipped`). Filled by the channel modules.
Sender = Callable[[Session, list[OutboxMessage], datetime], None]
SENDERS: dict[str, Sender] = {}


def sender(channel: Channel) -> Callable[[Sender], Sender]:
    def register(send: Sender) -> Sender:
        SENDERS[channel] = send
        return send

    return register


def deliver_due(
    session: Session, now: datetime | None = None, limit: int = BATCH
) -> dict[str, int]:
    """Send what is due now; returns how many messages each channel was handed."""
    now = now or utcnow()
    ids = claim_due(session, now, limit)
    if not ids:
        return {}
    messages = list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        )
    )
    by_channel: dict[str, list[OutboxMessage]] = defaultdict(list)
    for message in messages:
        by_channel[message.channel].append(message)
    for channel, share in by_channel.items():
        send = SENDERS.get(channel)
        if send is None:
            for message in share:
                retry(message, now, f"no sender for channel {channel}")
            continue
        send(session, share, now)
    session.flush()
    return {channel: len(share) for channel, share in by_channel.items()}


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """The ids of up to `limit` due messages, claimed for this run."""
    candidates = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == DeliveryStatus.PENDING,
                OutboxMessage.not_before <= now,
            )
            .order_by(OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit)
        )
    )
    if not candidates:
        return []
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(candidates),
            OutboxMessage.status == DeliveryStatus.PENDING,
            OutboxMessage.not_before <= now,
        )
        .values(not_before=now + LEASE)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars())


def sent(message: OutboxMessage, now: datetime, subject: str, body: str) -> None:
    """The message went: keep what was sent."""
    message.status = DeliveryStatus.SENT
    message.attempts += 1
    message.sent_at = now
    message.subject, message.body = subject, body
    message.last_error = None


def merged(message: OutboxMessage, into: OutboxMessage, now: datetime) -> None:
    """The message went inside a digest (`into`, itself marked sent)."""
    message.status = DeliveryStatus.MERGED
    message.merged_into_id = into.id
    message.sent_at = now


def skipped(message: OutboxMessage, reason: str) -> None:
    """Nobody to send it to (no address, an inactive account, a robot turned off)."""
    message.status = DeliveryStatus.SKIPPED
    message.last_error = reason


def retry(message: OutboxMessage, now: datetime, error: str, wait: timedelta | None = None) -> None:
    """A failed attempt: try again after the back-off (or `wait`, e.g. a robot's rate
    limit), or fail for good after the last attempt."""
    message.attempts += 1
    message.last_error = error[:2000]
    if message.attempts > len(BACKOFF):
        message.status = DeliveryStatus.FAILED
        return
    message.not_before = now + (wait or BACKOFF[message.attempts - 1])


def failed(message: OutboxMessage, error: str) -> None:
    """Refused for good (a mail server's 5xx for this recipient): no retry would help."""
    message.status = DeliveryStatus.FAILED
    message.attempts += 1
    message.last_error = error[:2000]


def postpone(message: OutboxMessage, until: datetime) -> None:
    """Not sent, not failed: wait (a robot's minute is full)."""
    message.not_before = until


@periodic(DELIVER, every="NOTIFICATIONS_DELIVER_MINUTES")
def deliver(session: Session, progress: Progress) -> dict[str, Any]:
    """The outbox, every few minutes (the first run after a restart sends what waited)."""
    handed = deliver_due(session)
    progress(sum(handed.values()), sum(handed.values()))
    return {"handed": handed}


PRUNE = "notifications.prune"
#: What is never pruned: a message still to send, an entry its reader has not opened.
_KEPT = (DeliveryStatus.PENDING,)


def prune_old(session: Session, now: datetime, keep_days: int) -> dict[str, int]:
    """Delete outbox messages done with (sent, merged, failed, skipped) and in-app entries
    already read, older than `keep_days`: the delivery log and the bell keep half a year by
    default instead of growing for ever. Unread entries and waiting messages stay."""
    cutoff = now - timedelta(days=keep_days)
    outbox = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.created_at < cutoff, OutboxMessage.status.not_in(_KEPT))
        .execution_options(synchronize_session=False)
    ).rowcount
    entries = session.execute(
        delete(Notification)
        .where(Notification.created_at < cutoff, Notification.read_at.is_not(None))
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"outbox": outbox, "entries": entries}


@periodic(PRUNE, every="JOBS_PRUNE_MINUTES")
def prune(session: Session, progress: Progress) -> dict[str, Any]:
    """Old delivered messages and read entries, every JOBS_PRUNE_MINUTES."""
    done = prune_old(session, utcnow(), int(current_app.config["NOTIFICATIONS_KEEP_DAYS"]))
    progress(1, 1)
    return done
