"""All models, importable from one place (Alembic reads `Base.metadata` from here)."""

from ..states import (
    AppealStatus,
    AppraisalState,
    ConsentChoice,
    CycleState,
    EventStatus,
    JobStatus,
    RecordStatus,
    ReviewStatus,
)
from .accounts import (
    LANGUAGES,
    SCOPE_ALLOWED,
    SCOPE_REQUIRED,
    Invitation,
    Membership,
    MembershipRole,
    PasswordReset,
    Role,
    User,
    UserSession,
)
from .api import ApiToken
from .audit import AuditEvent, AuditHead
from .backups import BackupEvery, BackupSchedule
from .base import Base, OrganizationScoped, Versioned, as_utc, utcnow
from .continuous import (
    CheckIn,
    FeedbackNote,
    FeedbackRequest,
    PlanFile,
    PlanItem,
    PlanUpdate,
    WorkPlan,
)
from .cycles import Appeal, Appraisal, Cycle, Review, Scheme
from .development import Course, DevelopmentPlan, Interview
from .fieldwork import (
    ActivityRecord,
    ActivityType,
    ActivityTypeVersion,
    Customer,
    LocationConsent,
    LocationPurpose,
    LocationSource,
    Photo,
    customer_reps,
)
from .goals import Goal, GoalNode
from .imports import ImportMapping
from .jobs import Job
from .metrics import ExternalEvent, ExternalPerson, Metric, MetricValue, SchemeMetric
from .notifications import (
    MessageTemplate,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Robot,
)
from .organization import DEFAULT_TIME_ZONE, Organization
from .people import Department, Employee, EmployeeStatus, Position, StaffKind
from .templates import Direction, Indicator, IndicatorCategory, Template, TemplateVersion
from .throttle import SignInCounter

__all__ = [
    "DEFAULT_TIME_ZONE",
    "LANGUAGES",
    "SCOPE_ALLOWED",
    "SCOPE_REQUIRED",
    "ActivityRecord",
    "ActivityType",
    "ActivityTypeVersion",
    "ApiToken",
    "Appeal",
    "AppealStatus",
    "Appraisal",
    "AppraisalState",
    "AuditEvent",
    "AuditHead",
    "BackupEvery",
    "BackupSchedule",
    "Base",
    "CheckIn",
    "ConsentChoice",
    "Course",
    "Customer",
    "Cycle",
    "CycleState",
    "Department",
    "DevelopmentPlan",
    "Direction",
    "Employee",
    "EmployeeStatus",
    "EventStatus",
    "ExternalEvent",
    "ExternalPerson",
    "FeedbackNote",
    "FeedbackRequest",
    "Goal",
    "GoalNode",
    "ImportMapping",
    "Indicator",
    "IndicatorCategory",
    "Interview",
    "Invitation",
    "Job",
    "JobStatus",
    "LocationConsent",
    "LocationPurpose",
    "LocationSource",
    "Membership",
    "MembershipRole",
    "MessageTemplate",
    "Metric",
    "MetricValue",
    "Notification",
    "NotificationPreference",
    "Organization",
    "OrganizationScoped",
    "OutboxMessage",
    "PasswordReset",
    "Photo",
    "PlanFile",
    "PlanItem",
    "PlanUpdate",
    "Position",
    "RecordStatus",
    "Review",
    "ReviewStatus",
    "Robot",
    "Role",
    "Scheme",
    "SchemeMetric",
    "SignInCounter",
    "StaffKind",
    "Template",
    "TemplateVersion",
    "User",
    "UserSession",
    "Versioned",
    "WorkPlan",
    "as_utc",
    "customer_reps",
    "utcnow",
]
