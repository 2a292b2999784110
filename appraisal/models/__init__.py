"""All models, importable from one place (Alembic reads `Base.metadata` from here)."""

from .accounts import LANGUAGES, LoginFailure, Membership, MembershipRole, Role, User
from .audit import AuditEvent
from .base import Base, OrganizationScoped, utcnow
from .organization import Organization
from .people import Department, Employee, EmployeeStatus, Position, StaffKind

__all__ = [
    "LANGUAGES",
    "AuditEvent",
    "Base",
    "Department",
    "Employee",
    "EmployeeStatus",
    "LoginFailure",
    "Membership",
    "MembershipRole",
    "Organization",
    "OrganizationScoped",
    "Position",
    "Role",
    "StaffKind",
    "User",
    "utcnow",
]
