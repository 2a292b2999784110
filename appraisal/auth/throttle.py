"""Sign-in back-off: failures delay further attempts, per account, known device and address.

An attempt is charged as a failure *before* its password is checked, and the caller commits
the charge at once: a compare-and-set on the counter's version, which holds on SQLite and
PostgreSQL alike. Parallel guesses therefore cannot all read "4 failures so far" and all be
checked; at most `free` of them reach the password hash. A right password takes it back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import SignInCounter

# A charge that loses the compare-and-set reads again; each loss means another request's
# charge went through, so this bound is only reached with more parallel attempts than that.
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


def charge(session: Session, charges: Sequence[Charge], now: datetime) -> int:
    """Charge every counter; the seconds to wait when one refuses, else 0. The caller
    commits before checking the password.

    A refusal is decided by reading alone and charges nothing, so hammering a held-back
    account costs the database reads, not writes (SQLite has one writer at a time).
    """
    waits = [_wait(_read(session, item.key), item, now) for item in charges]
    if any(waits):
        return max(waits)
    for item in charges:
        wait = _charge(session, item, now)
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
                .execution_options(synchronize_session=False)
            )
        else:
            session.execute(
                delete(SignInCounter).where(counter).execution_options(synchronize_session=False)
            )
    longest = max(item.backoff.forget_after for item in charges)
    stale = SignInCounter.blocked_until < now - timedelta(seconds=longest)
    session.execute(delete(SignInCounter).where(stale).execution_options(synchronize_session=False))


def _charge(session: Session, item: Charge, now: datetime) -> int:
    for _ in range(_MAX_RACES):
        wait = _try_charge(session, item, now)
        if wait is not None:
            return wait
    return item.backoff.first_delay  # pragma: no cover - refuse rather than let one through


def _try_charge(session: Session, item: Charge, now: datetime) -> int | None:
    """The wait (0: charged), or None when a parallel charge moved the counter first.

    Each statement sees what others committed (SQLite writes one at a time; PostgreSQL reads
    committed rows), so a lost race reads the counter again.
    """
    row = _read(session, item.key)
    if row is None:
        first = {"failures": 1, "blocked_until": _until(now, item.backoff, 1), "version": 1}
        return 0 if _insert_if_absent(session, item.key, first) else None
    wait = _wait(row, item, now)
    if wait:
        return wait
    blocked_until = _aware(row.blocked_until)
    forgotten = now >= blocked_until + timedelta(seconds=item.backoff.forget_after)
    failures = 1 if forgotten else row.failures + 1
    moved = session.connection().execute(  # Core, for a dependable rowcount
        update(SignInCounter)
        .where(SignInCounter.key == item.key, SignInCounter.version == row.version)
        .values(
            failures=failures,
            blocked_until=_until(now, item.backoff, failures),
            version=row.version + 1,
        )
    )
    return 0 if moved.rowcount == 1 else None


def _read(session: Session, key: str) -> Row | None:
    return session.execute(
        select(SignInCounter.failures, SignInCounter.blocked_until, SignInCounter.version).where(
            SignInCounter.key == key
        )
    ).one_or_none()


def _wait(row: Row | None, item: Charge, now: datetime) -> int:
    """Seconds before the counter takes another attempt. Only a real delay counts: parallel
    requests' clocks differ by a little, and a counter below `free` never holds anyone."""
    if row is None or not item.backoff.delay(row.failures):
        return 0
    blocked_until = _aware(row.blocked_until)
    return math.ceil((blocked_until - now).total_seconds()) if blocked_until > now else 0


def _insert_if_absent(session: Session, key: str, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING (both dialects have it): a parallel first charge
    of the same key makes this one a lost race instead of an error."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    statement = (
        dialect.insert(SignInCounter)
        .values(key=key, **values)
        .on_conflict_do_nothing(index_elements=[SignInCounter.key])
        .returning(SignInCounter.key)  # psycopg reports no rowcount here
    )
    return session.execute(statement).first() is not None


def _until(now: datetime, backoff: Backoff, failures: int) -> datetime:
    return now + timedelta(seconds=backoff.delay(failures))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
