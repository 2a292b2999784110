"""All models, importable from one place (Alembic reads `Base.metadata` from here)."""

from .accounts import LANGUAGES, LoginFailure, Membership, MembershipRole, Role, User
from .audit import AuditEvent
from .base import Base, OrganizationScoped, utcnow
from .organization import Organization
from .people import Department, Employee, EmployeeStatus, Position, StaffKind
from .templates import Direction, Indicator, IndicatorCategory, Template, TemplateVersion

__all__ = [
    "LANGUAGES",
    "AuditEvent",
    "Base",
    "Department",
    "Direction",
    "Employee",
    "EmployeeStatus",
    "Indicator",
    "IndicatorCategory",
    "LoginFailure",
    "Membership",
    "MembershipRole",
    "Organization",
    "OrganizationScoped",
    "Position",
    "Role",
    "StaffKind",
    "Template",
    "TemplateVersion",
    "User",
    "utcnow",
]
