"""Signed-in sessions that can be ended: a captured cookie stops working once its session is.

The signed cookie carries a random secret; the `user_sessions` row keyed by its SHA-256 must
exist for the cookie to count. Signing out deletes the row, changing or resetting a password
deletes all the user's rows, and a deactivated account's rows no longer load. Checking a
request is one primary-key lookup joined to its user. The caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import Session

from ..models import User, UserSession, utcnow

#: The key of the secret in Flask's session cookie.
COOKIE_KEY = "account_session"
#: However often the cookie is refreshed, a sign-in ends after this long.
MAX_AGE = timedelta(days=30)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, user_id: int, now: datetime | None = None) -> str:
    """A new sign-in for the user; returns the secret to keep in the cookie."""
    now = now or utcnow()
    session.execute(delete(UserSession).where(UserSession.created_at < now - MAX_AGE))
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(id=_digest(secret), user_id=user_id, created_at=now))
    return secret


def live_user_parameters(
    user_id: str, secret: str | None, now: datetime | None = None
) -> dict[str, object] | None:
    """The parameters of `live_user_query` for a cookie's user id and secret, or None when
    they cannot name a live sign-in (signed out)."""
    if not secret or not user_id.isdigit() or len(secret) > 100:
        return None
    now = now or utcnow()
    return {"digest": _digest(secret), "since": now - MAX_AGE, "user_id": int(user_id)}


@cache
def live_user_query() -> Select:
    """The active user whose live session the cookie names (no row: signed out). Built once
    per process: every request runs it, and building a statement (and its cache key) costs
    more than running it (issue 20); `access` adds the memberships to it."""
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.id == bindparam("digest"),
            UserSession.created_at >= bindparam("since"),
            User.id == bindparam("user_id"),
            User.active,
        )
    )


def end_session(session: Session, secret: str | None) -> None:
    if secret:
        session.execute(delete(UserSession).where(UserSession.id == _digest(secret)))


def end_sessions(session: Session, user_id: int) -> None:
    """End every sign-in of the user (a password change then starts a new one for the
    browser that made it, so a copy of its cookie ends too)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))
