"""Authentication with throttling. Plain functions over a session; the caller commits, once
after charging the attempt and once after checking the password."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import record_for_account
from ..models import User, utcnow
from . import sessions, throttle
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


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt already charged to its counters (or refused before that)."""

    login: str
    user: User | None
    charges: list[throttle.Charge]
    now: datetime
    retry_after_seconds: int


def charge_attempt(
    session: Session,
    login: str,
    address: str,
    *,
    devices: Mapping[int, str],
    policy: SignInPolicy,
    now: datetime | None = None,
) -> Attempt:
    """Charge the attempt as a failure before its password is checked; the caller commits
    at once, so parallel guesses see the charge (see `throttle`).

    `devices` maps the accounts this browser has signed in to (`devices.known_devices`) to its
    device id for each: from a known device only that device's own failures count.
    """
    now = now or utcnow()
    login = normalize_login(login)
    user = find_user(session, login)
    device = devices.get(user.id) if user else None
    charges = throttle.charges_for(policy, login, address, device)
    wait = throttle.charge(session, charges, now)
    return Attempt(login, user, charges, now, wait)


def authenticate(session: Session, attempt: Attempt, password: str) -> SignInResult:
    """Check the password of a charged attempt; a right one takes the charges back.

    Sign-ins and failed ones are audited in every organization of the account. A failure
    with an unknown login name is audited nowhere: no organization owns it, and what was
    typed (often a password in the wrong field) is kept by no one. Neither is the typed
    password, nor a refusal while throttled (the throttle bounds how many failures there are;
    the refusals an attacker sends while held are not).
    """
    if attempt.retry_after_seconds:
        return SignInResult(SignIn.THROTTLED, retry_after_seconds=attempt.retry_after_seconds)
    user = attempt.user
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        if user is not None:
            reason = "inactive" if valid else "password"
            record_for_account(session, user.id, None, "auth.sign_in_failed", reason=reason)
        return SignInResult(SignIn.INVALID)
    throttle.settle(session, attempt.charges, attempt.now)
    user.last_login_at = attempt.now
    record_for_account(session, user.id, user.id, "auth.signed_in")
    return SignInResult(SignIn.OK, user=user)


def sign_out(session: Session, user_id: int, secret: str | None) -> None:
    """End this browser's sign-in, audited like the sign-in was."""
    sessions.end_session(session, secret)
    record_for_account(session, user_id, user_id, "auth.signed_out")
