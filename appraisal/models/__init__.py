"""All models, importable from one place (Alembic reads `Base.metadata` from here)."""

from .accounts import LANGUAGES, LoginFailure, Membership, MembershipRole, Role, User
from .api import ApiToken
from .audit import AuditEvent
from .base import Base, OrganizationScoped, as_utc, utcnow
from .cycles import (
    Appeal,
    Appraisal,
    AppraisalState,
    Cycle,
    CycleState,
    Review,
    ReviewStatus,
    Scheme,
)
from .development import Course, DevelopmentPlan, Interview
from .imports import ImportMapping
from .organization import Organization
from .people import Department, Employee, EmployeeStatus, Position, StaffKind
from .templates import Direction, Indicator, IndicatorCategory, Template, TemplateVersion

__all__ = [
    "LANGUAGES",
    "ApiToken",
    "Appeal",
    "Appraisal",
    "AppraisalState",
    "AuditEvent",
    "Base",
    "Course",
    "Cycle",
    "CycleState",
    "Department",
    "DevelopmentPlan",
    "Direction",
    "Employee",
    "EmployeeStatus",
    "ImportMapping",
    "Indicator",
    "IndicatorCategory",
    "Interview",
    "LoginFailure",
    "Membership",
    "MembershipRole",
    "Organization",
    "OrganizationScoped",
    "Position",
    "Review",
    "ReviewStatus",
    "Role",
    "Scheme",
    "StaffKind",
    "Template",
    "TemplateVersion",
    "User",
    "as_utc",
    "utcnow",
]
