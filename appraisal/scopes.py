"""Where a person's powers apply: one table of powers and the roles that grant them, and the
department subtrees a membership's scoped roles reach. No Flask here, so jobs, the API and
the permission overview read the same answer as the pages.

A role without a department scope reaches the whole organization; a scoped role (an HR
business partner, a department head, a scoped auditor) reaches its department and every
department below it. Lists narrow their query with `Reach.clause`; single rows are checked
with `Reach.covers` and answer 404 outside it, as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from .models import Department, Membership, MembershipRole, Role
from .people.services import below, department_children

#: Roles whose powers only read: every change they ask for is refused, whatever the route.
READ_ONLY_ROLES = frozenset({Role.AUDITOR})


@dataclass(frozen=True)
class Power:
    """Something a role lets a person do, with the roles that grant it."""

    key: str
    label: object  # a lazy translated string
    roles: frozenset[str]
    #: Only an organization-wide grant counts (cycle-wide steps such as locking).
    whole_organization: bool = False


#: Every power the permission overview states, in its order. The pages enforce exactly
#: these (tests/runtime/test_scoped_roles.py checks each route against this table).
POWERS: tuple[Power, ...] = (
    Power(
        "read_results",
        _l("See appraisals, results and calibration"),
        frozenset({Role.ADMIN, Role.HR_PARTNER, Role.DEPARTMENT_HEAD, Role.AUDITOR}),
    ),
    Power(
        "hr_steps",
        _l("HR steps on appraisals (HR review, invitations, reopening)"),
        frozenset({Role.ADMIN, Role.HR_PARTNER}),
    ),
    Power(
        "calibrate",
        _l("Calibrate grades"),
        frozenset({Role.ADMIN, Role.HR_PARTNER, Role.DEPARTMENT_HEAD}),
    ),
    Power(
        "publish",
        _l("Publish results"),
        frozenset({Role.ADMIN, Role.HR_PARTNER, Role.DEPARTMENT_HEAD}),
    ),
    Power(
        "run_cycles",
        _l("Schemes, cycles, quotas, locking and closing"),
        frozenset({Role.ADMIN}),
        whole_organization=True,
    ),
    Power(
        "build",
        _l("Indicator library and templates"),
        frozenset({Role.ADMIN, Role.IMPLEMENTER}),
        whole_organization=True,
    ),
    Power(
        "manage_people",
        _l("Departments, positions and employees"),
        frozenset({Role.ADMIN, Role.IMPLEMENTER}),
        whole_organization=True,
    ),
    Power(
        "manage_users",
        _l("Sign-ins and roles"),
        frozenset({Role.ADMIN}),
        whole_organization=True,
    ),
    Power(
        "read_audit_log",
        _l("Read the organization's audit log"),
        frozenset({Role.ADMIN, Role.AUDITOR}),
        whole_organization=True,
    ),
)
POWER = {p.key: p for p in POWERS}


@dataclass(frozen=True)
class Reach:
    """Where a power applies: everywhere in the organization, or in these departments
    (subtrees already expanded). Empty: nowhere."""

    everywhere: bool = False
    departments: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return self.everywhere or bool(self.departments)

    def covers(self, department_id: int | None) -> bool:
        """Whether a row of this department is inside (an employee without a department
        is only reached organization-wide)."""
        return self.everywhere or (department_id is not None and department_id in self.departments)

    def includes(self, other: Reach) -> bool:
        """Whether everything `other` reaches is inside this reach."""
        return self.everywhere or (not other.everywhere and other.departments <= self.departments)

    def as_record(self) -> dict[str, object]:
        """The reach as JSON (what a job's file was written inside)."""
        return {"everywhere": self.everywhere, "departments": sorted(self.departments)}

    @classmethod
    def from_record(cls, record: dict[str, object]) -> Reach:
        departments = record.get("departments") or []
        assert isinstance(departments, list)
        return cls(bool(record.get("everywhere")), frozenset(int(d) for d in departments))

    def clause(self, department_column: ColumnElement[int | None]) -> ColumnElement[bool]:
        """The SQL filter for a query over rows with `department_column`."""
        if self.everywhere:
            return true()
        if not self.departments:
            return false()
        return department_column.in_(sorted(self.departments))


EVERYWHERE = Reach(everywhere=True)
NOWHERE = Reach()


def grants_of(session: Session, org_id: int, user_id: int) -> frozenset[tuple[str, int | None]]:
    """The (role, department scope) grants of a user's active membership in an
    organization."""
    return frozenset(
        session.execute(
            select(MembershipRole.role, MembershipRole.department_id)
            .join(Membership, Membership.id == MembershipRole.membership_id)
            .where(
                Membership.organization_id == org_id,
                Membership.user_id == user_id,
                Membership.active,
            )
        ).all()
    )


def effective_roles(roles: Iterable[str], writing: bool) -> frozenset[str]:
    """The roles that count for a request: a change never counts a read-only role."""
    roles = frozenset(roles)
    return roles - READ_ONLY_ROLES if writing else roles


def reach(
    session: Session,
    org_id: int,
    grants: Iterable[tuple[str, int | None]],
    power: str,
    roles: Iterable[str] | None = None,
    tree: dict[int | None, list[int]] | None = None,
) -> Reach:
    """Where `grants` give `power` (only among `roles`, the request's effective roles,
    when given): organization-wide grants reach everywhere, scoped ones their subtrees
    (`tree`: the organization's `department_children`, when the caller has it)."""
    spec = POWER[power]
    allowed = spec.roles if roles is None else spec.roles & frozenset(roles)
    chosen = [(role, dept) for role, dept in grants if role in allowed]
    if any(dept is None for _role, dept in chosen):
        return EVERYWHERE
    if spec.whole_organization or not chosen:
        return NOWHERE
    tree = department_children(session, org_id) if tree is None else tree
    # A scope on a department that is not the organization's reaches nothing (the forms
    # refuse one; a row written by other means must not widen a reach nor break a page).
    known = {dept for kids in tree.values() for dept in kids}
    roots = {dept for _role, dept in chosen if dept in known}
    return Reach(departments=frozenset(below(tree, roots)))


def scope_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """The departments a role can be scoped to (active ones, by name)."""
    return [
        (id_, name)
        for id_, name in session.execute(
            select(Department.id, Department.name)
            .where(Department.organization_id == org_id, Department.active)
            .order_by(Department.name)
        )
    ]
