"""All models, importable from one place (Alembic reads `Base.metadata` from here)."""

from .accounts import LANGUAGES, Membership, MembershipRole, Role, User
from .api import ApiToken
from .audit import AuditEvent
from .base import Base, OrganizationScoped, utcnow
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
from .throttle import SignInCounter

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
    "Membership",
    "MembershipRole",
    "Organization",
    "OrganizationScoped",
    "Position",
    "Review",
    "ReviewStatus",
    "Role",
    "Scheme",
    "SignInCounter",
    "StaffKind",
    "Template",
    "TemplateVersion",
    "User",
    "utcnow",
]
