"""Authentication with throttling. Plain functions over a session; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import LoginFailure, User, utcnow

# Checked when the login name is unknown, so a wrong name costs as much time as a wrong
# password and the answer does not tell them apart.
_DUMMY_HASH = generate_password_hash("appraisal-dummy-password")


class SignIn(Enum):
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: User | None = None
    retry_after_seconds: int = 0


def normalize_login(login: str) -> str:
    return login.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def find_user(session: Session, login: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_login(login)))


def authenticate(
    session: Session,
    login: str,
    password: str,
    address: str,
    *,
    max_failures: int,
    window_seconds: int,
    now: datetime | None = None,
) -> SignInResult:
    """Check a sign-in; failures are recorded by name and address, and too many lock both.

    An address gets four times the allowance of a name: many staff share one office NAT.
    """
    now = now or utcnow()
    login = normalize_login(login)
    since = now - timedelta(seconds=window_seconds)
    by_login = _failures_since(session, LoginFailure.login == login, since)
    by_address = _failures_since(session, LoginFailure.address == address, since)
    if by_login[0] >= max_failures or by_address[0] >= 4 * max_failures:
        oldest = min(t for _, t in (by_login, by_address) if t is not None)
        retry = int((_aware(oldest) + timedelta(seconds=window_seconds) - now).total_seconds())
        return SignInResult(SignIn.THROTTLED, retry_after_seconds=max(retry, 1))

    user = session.scalar(select(User).where(User.email == login))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        session.add(LoginFailure(login=login, address=address, at=now))
        return SignInResult(SignIn.INVALID)

    session.execute(delete(LoginFailure).where(LoginFailure.login == login))
    session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.at < since, LoginFailure.at < now - timedelta(days=1))
        )
    )
    user.last_login_at = now
    return SignInResult(SignIn.OK, user=user)


def _failures_since(session: Session, condition, since: datetime) -> tuple[int, datetime | None]:
    count, oldest = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(condition, LoginFailure.at >= since)
    ).one()
    return count, oldest


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
