"""People who sign in, their memberships and roles in organizations, invitations, password
resets and signed-in sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, OrganizationScoped, utcnow
from .organization import Organization


class Role(StrEnum):
    ADMIN = "admin"
    IMPLEMENTER = "implementer"
    MANAGER = "manager"
    EMPLOYEE = "employee"
    #: HR powers inside one department subtree (a plant's or a region's HR business partner).
    HR_PARTNER = "hr_partner"
    #: Sees, calibrates and publishes inside one department subtree.
    DEPARTMENT_HEAD = "department_head"
    #: Reads what HR reads (in a subtree when scoped) and changes nothing.
    AUDITOR = "auditor"


#: Roles that need a department scope, and those that may have one (the others never do).
SCOPE_REQUIRED = frozenset({Role.HR_PARTNER, Role.DEPARTMENT_HEAD})
SCOPE_ALLOWED = SCOPE_REQUIRED | {Role.AUDITOR}


LANGUAGES = ("zh", "en")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Runs the instance: makes and downloads backups, which hold every organization's data.
    #: Granted only on the command line (`appraisal users instance-admin`), never by a page.
    instance_admin: Mapped[bool] = mapped_column(default=False, server_default=false())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("language IS NULL OR language IN ('zh', 'en')", name="language"),
    )

    # flask-login protocol, kept here so the model needs no Flask import.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(Base):
    """A user's place in one organization; roles are granted per organization."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship()
    role_rows: Mapped[list[MembershipRole]] = relationship(
        cascade="all, delete-orphan", order_by="MembershipRole.role"
    )

    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    @property
    def grants(self) -> frozenset[tuple[str, int | None]]:
        """Each role with its department scope (None: the whole organization)."""
        return frozenset((row.role, row.department_id) for row in self.role_rows)

    def set_roles(self, roles: set[str] | frozenset[str]) -> None:
        wanted = {Role(r).value for r in roles}
        self.role_rows[:] = [row for row in self.role_rows if row.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(MembershipRole(role=role))

    def set_grants(self, grants: dict[str, int | None]) -> None:
        """The roles with their department scopes (None: the whole organization)."""
        self.set_roles(set(grants))
        for row in self.role_rows:
            row.department_id = grants[row.role]


ROLE_CHECK = "role IN ({})".format(", ".join(f"'{r.value}'" for r in Role))
SCOPE_CHECK = (
    "(role NOT IN ({req}) OR department_id IS NOT NULL) AND "
    "(role IN ({allowed}) OR department_id IS NULL)".format(
        req=", ".join(f"'{r.value}'" for r in sorted(SCOPE_REQUIRED)),
        allowed=", ".join(f"'{r.value}'" for r in sorted(SCOPE_ALLOWED)),
    )
)


class MembershipRole(Base):
    __tablename__ = "membership_roles"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The department subtree the role is limited to; None: the whole organization. Deleting
    #: the department removes the grant (never widens it to the whole organization).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role_known"),
        CheckConstraint(SCOPE_CHECK, name="role_scope"),
    )


class Invitation(OrganizationScoped, Base):
    """An organization's offer of roles to an account that exists already. It grants nothing:
    the membership is created only when the account holder, signed in, accepts it."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organization: Mapped[Organization] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)


class PasswordReset(Base):
    """A one-time link for the account holder to set their own password, deleted when used;
    only the SHA-256 of the link's secret is stored. `organization_id` is the organization
    whose HR admin made it (None: an instance administrator, on the command line)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class UserSession(Base):
    """One sign-in. The cookie carries a random secret; the row (keyed by its SHA-256) must
    exist for the cookie to count, so signing out or changing the password ends it."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
