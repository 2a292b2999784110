"""All models, importable from one place (Alembic reads `Base.metadata` from here)."""

from ..states import AppealStatus, AppraisalState, CycleState, ReviewStatus
from .accounts import (
    LANGUAGES,
    Invitation,
    Membership,
    MembershipRole,
    PasswordReset,
    Role,
    User,
    UserSession,
)
from .api import ApiToken
from .audit import AuditEvent
from .base import Base, OrganizationScoped, Versioned, as_utc, utcnow
from .cycles import Appeal, Appraisal, Cycle, Review, Scheme
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
    "AppealStatus",
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
    "Invitation",
    "Membership",
    "MembershipRole",
    "Organization",
    "OrganizationScoped",
    "PasswordReset",
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
    "UserSession",
    "Versioned",
    "as_utc",
    "utcnow",
]
