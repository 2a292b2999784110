"""Creating, listing, revoking and checking personal API tokens.

The token text is shown once; only its SHA-256 is stored (a token is random and long, so a
fast hash is enough and lets every request be checked by one indexed lookup).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..access import can_use_api
from ..errors import ServiceError
from ..models import ApiToken, Membership, Organization, as_utc, utcnow
from ..scopes import effective_roles

PREFIX = "apr_"
MAX_DAYS = 730
#: `last_used_at` is "used around then", refreshed at most this often per token.
USE_RECORD_INTERVAL = timedelta(minutes=5)

log = logging.getLogger("appraisal")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the text to show once


def create_token(
    session: Session, org_id: int, user_id: int, name: str, days: int | None = 365
) -> NewToken:
    name = name.strip()
    if not name:
        raise ServiceError(
            _l("Give the token a name, such as the system that will use it."), "name"
        )
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ServiceError(_l("A token lasts 1 to 730 days."), "days")
    member = session.scalar(
        select(Membership).where(
            Membership.organization_id == org_id, Membership.user_id == user_id, Membership.active
        )
    )
    if member is None:
        raise ServiceError(_l("Only a member of the organization can have a token for it."))
    if not can_use_api(member.roles):
        raise ServiceError(
            _l("API tokens are for HR admins and implementers, whose integrations use the API.")
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization_id=org_id,
        user_id=user_id,
        name=name[:80],
        prefix=secret[: len(PREFIX) + 6],
        token_hash=_digest(secret),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    audit.record(session, org_id, user_id, "token.created", "api_token", token.id, name=token.name)
    return NewToken(token, secret)


def list_tokens(session: Session, org_id: int, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.organization_id == org_id, ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_token(session: Session, token: ApiToken, user_id: int) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session, token.organization_id, user_id, "token.revoked", "api_token", token.id
        )


@dataclass(frozen=True)
class TokenHolder:
    """Who a request's token speaks for."""

    token: ApiToken
    membership: Membership
    #: Whether the request asks for a change: then a read-only role (an auditor) does not
    #: count, as on the pages (`scopes.effective_roles`).
    writing: bool = False

    @property
    def roles(self) -> frozenset[str]:
        return effective_roles(self.membership.roles, self.writing)


def authenticate(session: Session, secret: str, now: datetime | None = None) -> TokenHolder | None:
    """The token's holder, or None for an unknown, revoked or expired token, or one whose
    creator no longer belongs to the organization."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    now = now or utcnow()
    if token is None or not token.usable(now):
        return None
    membership = session.scalar(
        select(Membership)
        .join(Organization)
        .where(
            Membership.organization_id == token.organization_id,
            Membership.user_id == token.user_id,
            Membership.active,
            Organization.active,
        )
        .options(selectinload(Membership.role_rows), selectinload(Membership.user))
    )
    if membership is None or not membership.user.active:
        return None
    return TokenHolder(token, membership)


class UseRecorder:
    """Records when tokens are used, without ever failing the request that uses them.

    The write is incidental to a read: it happens at most once per interval per token, in a
    short transaction of its own (not the request's, which it could poison, nor holding
    SQLite's write lock for the whole request), and a database that refuses it (read-only,
    full, locked) is logged, once per interval, and otherwise ignored.
    """

    def __init__(self, interval: timedelta = USE_RECORD_INTERVAL) -> None:
        self.interval = interval
        self._tried: dict[int, datetime] = {}  # token id -> last attempt by this process

    def record(
        self,
        engine: Engine,
        token: ApiToken,
        now: datetime | None = None,
        origin: audit.Origin | None = None,
        path: str = "",
    ) -> None:
        """Refresh `last_used_at` and, with it, write a `token.used` audit event: once per
        interval, not per request, so a sync job's thousands of reads do not bury the log (and
        the chain's lock) under one line each; what the token changes is audited anyway, with
        the token's name, by the services it calls."""
        now = now or utcnow()
        cutoff = now - self.interval
        used, tried = token.last_used_at, self._tried.get(token.id)
        if (used and as_utc(used) > cutoff) or (tried and tried > cutoff):
            return
        if len(self._tried) > 10_000:
            self._tried = {k: v for k, v in self._tried.items() if v > cutoff}
        self._tried[token.id] = now
        try:
            with engine.begin() as connection:
                result = connection.execute(
                    update(ApiToken)
                    .where(
                        ApiToken.id == token.id,
                        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= cutoff),
                    )
                    .values(last_used_at=now)
                )
                if result.rowcount == 1:  # this process won the interval: one event for it
                    with Session(bind=connection) as session:
                        audit.set_origin(session, origin or audit.Origin(token_name=token.name))
                        audit.record(
                            session,
                            token.organization_id,
                            token.user_id,
                            "token.used",
                            "api_token",
                            token.id,
                            path=path[:200],
                        )
                        session.flush()
        except SQLAlchemyError as error:
            log.warning(
                "Could not record the use of API token %s (last_used_at): %s",
                token.id,
                getattr(error, "orig", error),
            )
