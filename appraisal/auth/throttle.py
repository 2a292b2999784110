"""Sign-in back-off: failures delay further attempts, per account, known device and address.

An attempt is charged as a failure *before* its password is checked, in a short transaction
of its own: a compare-and-set on the counter's version, which holds on SQLite and PostgreSQL
alike. Parallel guesses therefore cannot all read "4 failures so far" and all be checked; at
most `free` of them reach the password hash. A correct password then takes its charge back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import SignInCounter

# Parallel charges of one key retry after losing the compare-and-set; each retry means another
# request's charge went through, so this bound is never reached below this many at once.
_MAX_RACES = 200


@dataclass(frozen=True)
class Backoff:
    """`free` failures cost nothing; from then on each failure makes the next attempt wait,
    `first_delay` seconds doubling per failure up to `max_delay`. The failures are forgotten
    `forget_after` seconds after the last wait has ended."""

    free: int
    first_delay: int
    max_delay: int
    forget_after: int

    def delay(self, failures: int) -> int:
        """The wait after `failures` failures."""
        if failures < self.free:
            return 0
        return min(self.max_delay, self.first_delay * 2 ** min(failures - self.free, 32))


@dataclass(frozen=True)
class SignInPolicy:
    """An account (or a known device) gets `account`; an address, shared by an office behind
    one NAT, four times as many free failures."""

    account: Backoff
    address: Backoff

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignInPolicy:
        account = Backoff(
            free=config["LOGIN_MAX_FAILURES"],
            first_delay=config["LOGIN_FIRST_DELAY_SECONDS"],
            max_delay=config["LOGIN_MAX_DELAY_SECONDS"],
            forget_after=config["LOGIN_FAILURE_WINDOW_SECONDS"],
        )
        return cls(account=account, address=replace(account, free=4 * account.free))


@dataclass(frozen=True)
class Charge:
    """One counter an attempt is charged to. A `shared` counter (an address) is refunded on
    success rather than cleared: one person's right password says nothing of the others'."""

    key: str
    backoff: Backoff
    shared: bool = False


def charges_for(policy: SignInPolicy, login: str, address: str, device: str | None) -> list[Charge]:
    """From a known device only the device's own counter; else the address's and the name's.

    So a stranger's failures, which land on the name and their address, can delay new
    browsers but never one the user has signed in with.
    """
    if device:
        return [Charge(f"device:{device}", policy.account)]
    return [
        Charge(f"address:{address}", policy.address, shared=True),
        Charge(f"account:{login}", policy.account),
    ]


def charge(engine: Engine, charges: Sequence[Charge], now: datetime) -> int:
    """Charge each counter in turn, committed at once; the seconds to wait when one refuses
    (the later ones are then not charged), else 0: check the password."""
    for item in charges:
        wait = _charge(engine, item, now)
        if wait:
            return wait
    return 0


def settle(session: Session, charges: Sequence[Charge], now: datetime) -> None:
    """A correct password: take the charges back, and drop counters long forgotten anyway."""
    for item in charges:
        counter = SignInCounter.key == item.key
        if item.shared:
            session.execute(
                update(SignInCounter)
                .where(counter, SignInCounter.failures > 0)
                .values(failures=SignInCounter.failures - 1, version=SignInCounter.version + 1)
            )
        else:
            session.execute(delete(SignInCounter).where(counter))
    longest = max(item.backoff.forget_after for item in charges)
    session.execute(
        delete(SignInCounter).where(SignInCounter.blocked_until < now - timedelta(seconds=longest))
    )


def _charge(engine: Engine, item: Charge, now: datetime) -> int:
    for _ in range(_MAX_RACES):
        try:
            with engine.begin() as connection:
                wait = _try_charge(connection, item, now)
        except IntegrityError:  # a parallel attempt created the counter first
            continue
        if wait is not None:
            return wait
    return item.backoff.first_delay  # pragma: no cover - refuse rather than let one through


def _try_charge(connection: Connection, item: Charge, now: datetime) -> int | None:
    """The wait (0: charged), or None when a parallel charge moved the counter first."""
    row = connection.execute(
        select(SignInCounter.failures, SignInCounter.blocked_until, SignInCounter.version).where(
            SignInCounter.key == item.key
        )
    ).one_or_none()
    if row is None:
        connection.execute(
            insert(SignInCounter).values(
                key=item.key, failures=1, blocked_until=_until(now, item.backoff, 1), version=1
            )
        )
        return 0
    blocked_until = _aware(row.blocked_until)
    if blocked_until > now:
        return math.ceil((blocked_until - now).total_seconds())
    forgotten = now >= blocked_until + timedelta(seconds=item.backoff.forget_after)
    failures = 1 if forgotten else row.failures + 1
    moved = connection.execute(
        update(SignInCounter)
        .where(SignInCounter.key == item.key, SignInCounter.version == row.version)
        .values(
            failures=failures,
            blocked_until=_until(now, item.backoff, failures),
            version=row.version + 1,
        )
    )
    return 0 if moved.rowcount == 1 else None


def _until(now: datetime, backoff: Backoff, failures: int) -> datetime:
    return now + timedelta(seconds=backoff.delay(failures))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
