"""Members of an organization: accounts, roles, activation. The caller commits."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..auth.services import hash_password, normalize_login
from ..errors import ServiceError
from ..models import LANGUAGES, Membership, MembershipRole, Organization, Role, User
from ..paging import Page, paginate

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class AddedMember:
    membership: Membership
    created_account: bool


def list_members(
    session: Session, org_id: int, q: str = "", page: int = 1, per_page: int = 20
) -> Page[Membership]:
    stmt = (
        select(Membership)
        .join(User)
        .where(Membership.organization_id == org_id)
        .options(selectinload(Membership.user), selectinload(Membership.role_rows))
        .order_by(Membership.active.desc(), User.name)
    )
    if q.strip():
        pattern = "%" + q.strip().replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(or_(User.name.ilike(pattern, "\\"), User.email.ilike(pattern, "\\")))
    return paginate(session, stmt, page, per_page)


def _check_roles(roles: set[str]) -> set[str]:
    known = {r.value for r in Role}
    if not roles or not roles <= known:
        raise ServiceError(_l("Choose at least one role."), "roles")
    return roles


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            _l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH), field
        )


def add_member(
    session: Session,
    org_id: int,
    *,
    email: str,
    name: str,
    password: str | None,
    roles: set[str],
    language: str | None = None,
) -> AddedMember:
    """Give someone roles in the organization, creating their account if it is new.

    An account that exists already (a consultant working for several companies) is linked,
    and keeps its own password.
    """
    email = normalize_login(email)
    roles = _check_roles(set(roles))
    if language and language not in LANGUAGES:
        raise ServiceError(_l("Choose a language."), "language")
    user = session.scalar(select(User).where(User.email == email))
    created = user is None
    if user is None:
        if not password:
            raise ServiceError(_l("A new account needs a password."), "password")
        _check_password(password)
        user = User(email=email, name=name.strip(), password_hash=hash_password(password))
        user.language = language or None
        session.add(user)
        session.flush()
    elif session.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id, Membership.organization_id == org_id
        )
    ):
        raise ServiceError(_l("This person is already a member of the organization."), "email")
    membership = Membership(user=user, organization_id=org_id)
    membership.set_roles(roles)
    session.add(membership)
    session.flush()
    return AddedMember(membership, created)


def _admin_count(session: Session, org_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(MembershipRole)
            .join(Membership)
            .where(
                Membership.organization_id == org_id,
                Membership.active,
                MembershipRole.role == Role.ADMIN.value,
            )
        )
        or 0
    )


def update_member(
    session: Session,
    membership: Membership,
    *,
    name: str,
    roles: set[str],
    language: str | None,
    new_password: str | None,
    acting_user_id: int,
) -> Membership:
    roles = _check_roles(set(roles))
    losing_admin = Role.ADMIN.value in membership.roles and Role.ADMIN.value not in roles
    if losing_admin and membership.user_id == acting_user_id:
        raise ServiceError(_l("You cannot remove your own HR admin role."), "roles")
    if losing_admin and _admin_count(session, membership.organization_id) <= 1:
        raise ServiceError(_l("The organization needs at least one HR admin."), "roles")
    if language and language not in LANGUAGES:
        raise ServiceError(_l("Choose a language."), "language")
    if new_password:
        _check_password(new_password, "new_password")
        membership.user.password_hash = hash_password(new_password)
    membership.user.name = name.strip()
    membership.user.language = language or None
    membership.set_roles(roles)
    session.flush()
    return membership


def set_member_active(
    session: Session, membership: Membership, active: bool, acting_user_id: int
) -> None:
    if not active and membership.user_id == acting_user_id:
        raise ServiceError(_l("You cannot deactivate your own access."))
    if (
        not active
        and Role.ADMIN.value in membership.roles
        and _admin_count(session, membership.organization_id) <= 1
    ):
        raise ServiceError(_l("The organization needs at least one HR admin."))
    membership.active = active


def get_or_create_organization(
    session: Session, slug: str, name: str | None = None
) -> Organization:
    organization = session.scalar(select(Organization).where(Organization.slug == slug))
    if organization is None:
        organization = Organization(slug=slug, name=name or slug)
        session.add(organization)
        session.flush()
    return organization


def set_managers_see_chain(
    session: Session, organization: Organization, value: bool, user_id: int | None
) -> None:
    """Whether managers also review and follow their reports' teams (design §7)."""
    if organization.managers_see_chain != value:
        organization.managers_see_chain = value
        audit.record(
            session,
            organization.id,
            user_id,
            "organization.settings",
            "organization",
            organization.id,
            managers_see_chain=value,
        )
