"""Members of an organization: accounts, invitations, roles, activation. The caller commits.

Every change of a role or a credential is audited here, whichever door it came through.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..account.services import check_new_password, controls_account, issue_reset_link
from ..auth.services import hash_password, normalize_login
from ..db import LIKE_ESCAPE, contains_pattern, get_in_org
from ..errors import ServiceError
from ..models import (
    LANGUAGES,
    SCOPE_ALLOWED,
    SCOPE_REQUIRED,
    Department,
    Invitation,
    Membership,
    MembershipRole,
    Organization,
    Role,
    User,
)
from ..paging import Page, paginate

#: The organization's settings page edits these (its audit event records each one that moved).
SETTINGS_FIELDS = ("managers_see_chain", "hr_reads_checkins")


@dataclass(frozen=True)
class AddedMember:
    membership: Membership
    created_account: bool


@dataclass(frozen=True)
class AccountDetails:
    """What an organization may change on an account it alone controls."""

    name: str
    language: str | None


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
        pattern = contains_pattern(q)
        stmt = stmt.where(
            or_(User.name.ilike(pattern, LIKE_ESCAPE), User.email.ilike(pattern, LIKE_ESCAPE))
        )
    return paginate(session, stmt, page, per_page)


def _check_roles(roles: set[str]) -> set[str]:
    known = {r.value for r in Role}
    if not roles or not roles <= known:
        raise ServiceError(_l("Choose at least one role."), "roles")
    return roles


def _check_grants(
    session: Session, org_id: int, roles: set[str], department_id: int | None
) -> dict[str, int | None]:
    """Each role with its department scope: an HR business partner and a department head
    need a department of this organization; an auditor may have one (none: the whole
    organization); other roles are organization-wide, so a department alone scopes nothing."""
    roles = _check_roles(roles)
    scoped = roles & SCOPE_ALLOWED
    if department_id is not None:
        department = get_in_org(session, Department, org_id, department_id)
        if department is None or not department.active:
            raise ServiceError(_l("Choose a department of this organization."), "department")
        if not scoped:
            raise ServiceError(
                _l(
                    "Only an HR business partner, a department head or an auditor is limited "
                    "to a department."
                ),
                "department",
            )
    elif roles & SCOPE_REQUIRED:
        raise ServiceError(
            _l("Choose the department an HR business partner or a department head works in."),
            "department",
        )
    return {role: department_id if role in scoped else None for role in roles}


def _grant_summary(grants: dict[str, int | None]) -> list[str]:
    """The grants as the audit log keeps them: `role` or `role@department id`."""
    return sorted(role if dept is None else f"{role}@{dept}" for role, dept in grants.items())


def add_member(
    session: Session,
    org_id: int,
    *,
    email: str,
    name: str,
    password: str | None,
    roles: set[str],
    language: str | None = None,
    acting_user_id: int | None = None,
    via: str = "web",
    department_id: int | None = None,
) -> AddedMember:
    """Give someone roles in the organization, creating their account if it is new.

    An account that exists already is linked directly, keeping its own password: only for
    an instance administrator (the command line) and demo data. An HR admin's "add member"
    goes through `add_or_invite`, which never grants anything to an existing account.
    """
    email = normalize_login(email)
    grants = _check_grants(session, org_id, set(roles), department_id)
    _check_language(language)
    user = session.scalar(select(User).where(User.email == email))
    created = user is None
    if user is None:
        user = _new_account(session, email, name, password, language)
    elif _is_member(session, user.id, org_id):
        raise ServiceError(_l("This person is already a member of the organization."), "email")
    membership = Membership(user=user, organization_id=org_id)
    membership.set_grants(grants)
    session.add(membership)
    session.flush()
    audit.record(
        session,
        org_id,
        acting_user_id,
        "member.added",
        "membership",
        membership.id,
        email=email,
        roles=_grant_summary(grants),
        created_account=created,
        via=via,
    )
    return AddedMember(membership, created)


def add_or_invite(
    session: Session,
    org_id: int,
    *,
    email: str,
    name: str,
    password: str | None,
    roles: set[str],
    language: str | None,
    acting_user_id: int,
    department_id: int | None = None,
) -> AddedMember | Invitation:
    """An HR admin adds someone: a new e-mail gets a new account owned by the organization;
    an existing account is only invited (it grants nothing until its holder accepts), and
    none of its credentials is touched."""
    email = normalize_login(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        return add_member(
            session,
            org_id,
            email=email,
            name=name,
            password=password,
            roles=roles,
            language=language,
            acting_user_id=acting_user_id,
            department_id=department_id,
        )
    roles = _check_roles(set(roles))
    if roles & SCOPE_ALLOWED or department_id is not None:
        raise ServiceError(
            _l("Invite with organization-wide roles; give a department role once they accept."),
            "roles",
        )
    if _is_member(session, user.id, org_id):
        raise ServiceError(_l("This person is already a member of the organization."), "email")
    if session.scalar(
        select(Invitation.id).where(
            Invitation.user_id == user.id, Invitation.organization_id == org_id
        )
    ):
        raise ServiceError(_l("This person is invited already."), "email")
    invitation = Invitation(
        organization_id=org_id, user=user, roles=sorted(roles), invited_by_id=acting_user_id
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        org_id,
        acting_user_id,
        "member.invited",
        "invitation",
        invitation.id,
        email=email,
        roles=sorted(roles),
    )
    return invitation


def _new_account(
    session: Session, email: str, name: str, password: str | None, language: str | None
) -> User:
    if not password:
        raise ServiceError(_l("A new account needs a password."), "password")
    check_new_password(password)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    user.language = language or None
    session.add(user)
    session.flush()
    return user


def _is_member(session: Session, user_id: int, org_id: int) -> bool:
    return bool(
        session.scalar(
            select(Membership.id).where(
                Membership.user_id == user_id, Membership.organization_id == org_id
            )
        )
    )


def _check_language(language: str | None) -> None:
    if language and language not in LANGUAGES:
        raise ServiceError(_l("Choose a language."), "language")


def list_invitations(session: Session, org_id: int) -> list[Invitation]:
    """The organization's invitations still waiting for their account holder."""
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.organization_id == org_id)
            .options(selectinload(Invitation.user))
            .order_by(Invitation.created_at)
        )
    )


def cancel_invitation(session: Session, invitation: Invitation, acting_user_id: int) -> None:
    audit.record(
        session,
        invitation.organization_id,
        acting_user_id,
        "invitation.cancelled",
        "invitation",
        invitation.id,
    )
    session.delete(invitation)
    session.flush()


def may_change_account(session: Session, membership: Membership) -> bool:
    """Whether this organization's HR admins may change the member's account (password,
    name, language): only when the account belongs to no other organization."""
    return controls_account(session, membership.user_id, membership.organization_id)


def _refuse_unless_controlled(session: Session, membership: Membership) -> None:
    if not may_change_account(session, membership):
        raise ServiceError(
            _l(
                "This account also belongs to another organization: only its holder, or an "
                "instance administrator, can change its password, name or language."
            )
        )


def create_reset_link(session: Session, membership: Membership, acting_user_id: int) -> str:
    """A one-time link for the member to set their own password (the admin never knows it)."""
    _refuse_unless_controlled(session, membership)
    if not membership.user.active:
        raise ServiceError(_l("This account is deactivated."))
    return issue_reset_link(
        session,
        membership.user,
        organization_id=membership.organization_id,
        acting_user_id=acting_user_id,
    )


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
    roles: set[str],
    acting_user_id: int,
    details: AccountDetails | None = None,
    department_id: int | None = None,
) -> Membership:
    """Change the member's roles here, and the account's details when this organization
    alone controls the account (refused otherwise, whatever the page offered)."""
    grants = _check_grants(session, membership.organization_id, set(roles), department_id)
    roles = set(grants)
    before = _member_fields(membership)
    losing_admin = Role.ADMIN.value in membership.roles and Role.ADMIN.value not in roles
    if losing_admin and membership.user_id == acting_user_id:
        raise ServiceError(_l("You cannot remove your own HR admin role."), "roles")
    if losing_admin and _admin_count(session, membership.organization_id) <= 1:
        raise ServiceError(_l("The organization needs at least one HR admin."), "roles")
    if details is not None:
        _refuse_unless_controlled(session, membership)
        _check_language(details.language)
        user = membership.user
        if user.name != details.name.strip():
            user.name = details.name.strip()
        if user.language != (details.language or None):
            user.language = details.language or None
    membership.set_grants(grants)
    session.flush()
    changed = audit.changes(before, _member_fields(membership))
    if changed:
        audit.record(
            session,
            membership.organization_id,
            acting_user_id,
            "member.updated",
            "membership",
            membership.id,
            email=membership.user.email,
            changes=changed,
        )
    return membership


def _member_fields(membership: Membership) -> dict[str, object]:
    """What the member form edits: the grants here and, when this organization controls the
    account, its name and language."""
    user = membership.user
    return {
        "roles": _grant_summary(dict(membership.grants)),
        "name": user.name,
        "language": user.language,
    }


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
    if membership.active != active:
        membership.active = active
        audit.record(
            session,
            membership.organization_id,
            acting_user_id,
            "member.activated" if active else "member.deactivated",
            "membership",
            membership.id,
        )


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
    session: Session,
    organization: Organization,
    value: bool,
    user_id: int | None,
    hr_reads_checkins: bool | None = None,
) -> None:
    """Whether managers also review and follow their reports' teams (design §7), and
    whether HR admins read 1:1 check-ins (None: unchanged)."""
    before = audit.snapshot(organization, SETTINGS_FIELDS)
    organization.managers_see_chain = value
    if hr_reads_checkins is not None:
        organization.hr_reads_checkins = hr_reads_checkins
    changed = audit.changes(before, audit.snapshot(organization, SETTINGS_FIELDS))
    if changed:
        audit.record(
            session,
            organization.id,
            user_id,
            "organization.settings",
            "organization",
            organization.id,
            changes=changed,
        )
