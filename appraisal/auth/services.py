"""Authentication with throttling. Plain functions over a session; the caller commits
(only the throttle's charges are committed on their own, before the password is checked)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import User, utcnow
from . import throttle
from .throttle import SignInPolicy

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
    devices: Mapping[int, str],
    policy: SignInPolicy,
    now: datetime | None = None,
) -> SignInResult:
    """Check a sign-in. The attempt is charged as a failure before the password is checked
    (see `throttle`), and a right password takes the charge back.

    `devices` maps the accounts this browser has signed in to (`devices.known_devices`) to its
    device id for each: from a known device only that device's own failures count.
    """
    now = now or utcnow()
    login = normalize_login(login)
    user = find_user(session, login)
    charges = throttle.charges_for(policy, login, address, devices.get(user.id) if user else None)
    wait = throttle.charge(session.get_bind(), charges, now)
    if wait:
        return SignInResult(SignIn.THROTTLED, retry_after_seconds=wait)

    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        return SignInResult(SignIn.INVALID)
    throttle.settle(session, charges, now)
    user.last_login_at = now
    return SignInResult(SignIn.OK, user=user)
