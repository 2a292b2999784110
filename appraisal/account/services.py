"""One sign-in account, as its holder sees it: their password, one-time reset links, and the
invitations organizations sent them. Also who may control an account's credentials.

Users are global, so an organization's HR admins control an account's credentials only when
every membership and invitation of that account is in their organization; anything else is
for the account holder or an instance administrator (the command line). The caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, bindparam, delete, select, union, update
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash

from .. import audit
from ..audit import record_for_account
from ..auth import sessions, throttle
from ..auth.services import hash_password
from ..auth.throttle import SignInPolicy
from ..errors import ServiceError
from ..models import ApiToken, Invitation, Membership, PasswordReset, User, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
#: How long a reset link works.
RESET_LINK_HOURS = 72


def check_new_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH), field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError(
            _l("Use at most %(count)d characters.", count=MAX_PASSWORD_LENGTH), field
        )


def _organizations_of(session: Session, user_id: int) -> list[int]:
    """Every organization the account belongs to or is invited to."""
    return list(
        session.scalars(
            union(
                select(Membership.organization_id).where(Membership.user_id == user_id),
                select(Invitation.organization_id).where(Invitation.user_id == user_id),
            )
        )
    )


def controls_account(session: Session, user_id: int, org_id: int) -> bool:
    """Whether the organization's HR admins may change the account's password, name or
    language: only when the account belongs to (or is invited by) no other organization."""
    return set(_organizations_of(session, user_id)) <= {org_id}


def _set_password(session: Session, user: User, password: str, field: str) -> None:
    """The one way a password changes: every sign-in, every open reset link and every API
    token of the account ends (a token made with a stolen password must not outlive it)."""
    check_new_password(password, field)
    user.password_hash = hash_password(password)
    sessions.end_sessions(session, user.id)
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def password_check_charge(user: User, policy: SignInPolicy) -> throttle.Charge:
    """The counter that holds back guesses of a signed-in account's current password: a
    stolen session must not become a way to learn the password (and try it elsewhere)."""
    return throttle.Charge(f"password-check:{user.id}", policy.account)


def charge_password_check(
    session: Session, user: User, policy: SignInPolicy, new: str, now: datetime | None = None
) -> int:
    """Charge a current-password check as a failure before the password is checked, as a
    sign-in is (`throttle`); the seconds to wait when held back, else 0. The caller commits
    at once, so a refused change's rollback does not take the charge back. A new password
    that would be refused anyway is refused first, uncharged: the holder who typed the
    right current password and too short a new one has guessed nothing."""
    check_new_password(new, "new_password")
    return throttle.charge(session, [password_check_charge(user, policy)], now or utcnow())


def change_own_password(
    session: Session, user: User, current: str, new: str, policy: SignInPolicy
) -> str:
    """The holder changes their password (the check already charged, see
    `charge_password_check`). Every sign-in ends, a copy of this browser's cookie included;
    the secret of a fresh sign-in for this browser is returned."""
    if not check_password_hash(user.password_hash, current):
        raise ServiceError(_l("This is not your current password."), "current_password")
    throttle.settle(session, [password_check_charge(user, policy)], utcnow())
    _set_password(session, user, new, "new_password")
    record_for_account(session, user.id, user.id, "password.changed")
    return sessions.start_session(session, user.id)


def set_password_by_instance_admin(session: Session, user: User, password: str) -> None:
    """The command line sets a password (an instance administrator); all sign-ins end."""
    _set_password(session, user, password, "password")
    record_for_account(session, user.id, None, "password.set", via="cli")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_reset_link(
    session: Session,
    user: User,
    *,
    organization_id: int | None,
    acting_user_id: int | None,
    now: datetime | None = None,
) -> str:
    """A one-time secret for /account/reset/<secret>; earlier open links stop working.

    The caller has checked who may do this (`controls_account`, or the command line).
    """
    now = now or utcnow()
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    secret = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            organization_id=organization_id,
            token_hash=_digest(secret),
            created_by_id=acting_user_id,
            created_at=now,
            expires_at=now + timedelta(hours=RESET_LINK_HOURS),
        )
    )
    if organization_id is None:
        record_for_account(session, user.id, None, "password.reset_link", via="cli")
    else:
        audit.record(
            session, organization_id, acting_user_id, "password.reset_link", "user", user.id
        )
    return secret


def find_reset(session: Session, secret: str, now: datetime | None = None) -> PasswordReset | None:
    """The open reset link, or None when it is unknown, used (it is deleted then), expired,
    its account inactive, or the account has since joined another organization than the one
    that made it."""
    if not secret or len(secret) > 100:
        return None
    reset = session.scalar(
        select(PasswordReset)
        .where(PasswordReset.token_hash == _digest(secret))
        .options(selectinload(PasswordReset.user))
    )
    now = now or utcnow()
    if reset is None or not reset.user.active or _aware(reset.expires_at) <= now:
        return None
    if reset.organization_id is not None and not controls_account(
        session, reset.user_id, reset.organization_id
    ):
        return None
    return reset


def redeem_reset(session: Session, secret: str, password: str) -> User:
    """Set the password through a reset link, once; every sign-in of the account ends."""
    reset = find_reset(session, secret)
    if reset is None:
        raise ServiceError(_l("This link is not valid any more. Ask for a new one."))
    user = reset.user
    _set_password(session, user, password, "password")  # also deletes the link itself
    record_for_account(session, user.id, user.id, "password.reset")
    return user


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- invitations ------------------------------------------------------------------------------


def pending_invitations(session: Session, user_id: int) -> list[Invitation]:
    return list(session.scalars(_invitations_of(), {"user_id": user_id}))


@cache
def _invitations_of() -> Select[tuple[Invitation]]:
    """Built once per process: the home page asks on every view (issue 20)."""
    return (
        select(Invitation)
        .where(Invitation.user_id == bindparam("user_id", type_=Integer))
        .options(selectinload(Invitation.organization))
        .order_by(Invitation.created_at)
    )


def my_invitation(session: Session, user_id: int, invitation_id: int) -> Invitation | None:
    """The invitation, only if it is addressed to this user (else None: a 404)."""
    return session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.user_id == user_id)
    )


def accept_invitation(session: Session, invitation: Invitation) -> Membership:
    """The holder joins the organization with the roles offered."""
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == invitation.user_id,
            Membership.organization_id == invitation.organization_id,
        )
    )
    if membership is None:
        membership = Membership(
            user_id=invitation.user_id, organization_id=invitation.organization_id
        )
        membership.set_roles(set(invitation.roles))
        session.add(membership)
        session.flush()
    audit.record(
        session,
        invitation.organization_id,
        invitation.user_id,
        "invitation.accepted",
        "membership",
        membership.id,
        roles=sorted(membership.roles),
    )
    session.delete(invitation)
    session.flush()
    return membership


def decline_invitation(session: Session, invitation: Invitation) -> None:
    audit.record(
        session,
        invitation.organization_id,
        invitation.user_id,
        "invitation.declined",
        "invitation",
        invitation.id,
    )
    session.delete(invitation)
    session.flush()
