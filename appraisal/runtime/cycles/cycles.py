"""Schemes and cycles: who a published template applies to, and launching a period's run.

Functions take a session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ... import audit
from ...bulk import collector_paused
from ...concurrency import expect_version
from ...db import in_chunks
from ...errors import ServiceError
from ...models import (
    Appraisal,
    Cycle,
    CycleState,
    Department,
    Employee,
    EmployeeStatus,
    Position,
    Scheme,
    Template,
    TemplateVersion,
    User,
    utcnow,
)
from ...models.cycles import DEFAULT_REMINDER_DAYS
from ...notifications import events
from ...paging import Page, paginate
from ...people.services import with_subdepartments
from ...scopes import EVERYWHERE, Reach
from .. import workflow
from ..compiled import version_template
from ..render import fills
from ..reviews.access import signs_in

PERIODS = ("month", "quarter", "half_year", "year")
STAFF_KINDS = ("any", "office", "field")


def list_schemes(session: Session, org_id: int) -> list[Scheme]:
    return list(
        session.scalars(
            select(Scheme)
            .where(Scheme.organization_id == org_id)
            .options(
                selectinload(Scheme.template_version).selectinload(TemplateVersion.template),
                selectinload(Scheme.departments),
                selectinload(Scheme.positions),
            )
            .order_by(Scheme.archived, Scheme.name)
        )
    )


def version_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """Every published template version, newest first within a template."""
    rows = session.execute(
        select(TemplateVersion.id, Template.key, TemplateVersion.version)
        .join(Template, Template.id == TemplateVersion.template_id)
        .where(TemplateVersion.organization_id == org_id, Template.archived.is_(False))
        .order_by(Template.key, TemplateVersion.version.desc())
    )
    return [(id_, f"{key} v{version}") for id_, key, version in rows]


def save_scheme(
    session: Session,
    org_id: int,
    scheme: Scheme | None,
    *,
    name: str,
    template_version_id: int,
    staff_kind: str,
    period: str,
    department_ids: list[int],
    position_ids: list[int],
    user_id: int | None,
    version: int | None = None,
    skip_self_review_without_sign_in: bool = False,
) -> Scheme:
    """`version`: the scheme's version the form showed (None: no expectation)."""
    if scheme is not None:
        expect_version(scheme, version)
    name = name.strip()
    clash = session.scalar(
        select(Scheme.id).where(
            Scheme.organization_id == org_id,
            func.lower(Scheme.name) == name.lower(),
            Scheme.id != (scheme.id if scheme else -1),
        )
    )
    if clash:
        raise ServiceError(_l("A scheme with this name already exists."), "name")
    version = session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.id == template_version_id, TemplateVersion.organization_id == org_id
        )
    )
    if version is None:
        raise ServiceError(_l("Choose a published template version."), "template_version_id")
    if staff_kind not in STAFF_KINDS:
        raise ServiceError(_l("Choose office, field or any staff."), "staff_kind")
    if period not in PERIODS:
        raise ServiceError(_l("Choose a period."), "period")
    departments = _in_org(session, Department, org_id, department_ids)
    positions = _in_org(session, Position, org_id, position_ids)
    if len(departments) != len(set(department_ids)) or len(positions) != len(set(position_ids)):
        raise ServiceError(_l("A chosen department or position does not exist."))
    before = _scheme_fields(scheme)
    if scheme is None:
        scheme = Scheme(organization_id=org_id)
        session.add(scheme)
    scheme.name = name
    scheme.template_version = version
    scheme.staff_kind = staff_kind
    scheme.period = period
    scheme.departments = departments
    scheme.positions = positions
    scheme.skip_self_review_without_sign_in = skip_self_review_without_sign_in
    session.flush()
    audit.record(
        session,
        org_id,
        user_id,
        "scheme.saved",
        "scheme",
        scheme.id,
        name=name,
        template_version_id=version.id,
        changes=audit.changes(before, _scheme_fields(scheme)),
    )
    return scheme


def _scheme_fields(scheme: Scheme | None) -> dict[str, Any]:
    """What the scheme form edits, the departments and positions as sorted ids."""
    if scheme is None:
        return {}
    return audit.snapshot(scheme, SCHEME_FIELDS) | {
        "department_ids": sorted(d.id for d in scheme.departments),
        "position_ids": sorted(p.id for p in scheme.positions),
    }


SCHEME_FIELDS = (
    "name",
    "template_version_id",
    "staff_kind",
    "period",
    "skip_self_review_without_sign_in",
)


def _in_org(session: Session, model: Any, org_id: int, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return list(
        session.scalars(select(model).where(model.id.in_(ids), model.organization_id == org_id))
    )


def covered_query(session: Session, scheme: Scheme) -> Select[tuple[Employee]]:
    """The active employees the scheme applies to, by number (a query: a page of them is
    shown, a number is looked up, everyone is launched)."""
    department_ids = _with_subdepartments(session, scheme)
    query = (
        select(Employee)
        .where(
            Employee.organization_id == scheme.organization_id,
            Employee.status == EmployeeStatus.ACTIVE.value,
        )
        .order_by(Employee.number)
    )
    if department_ids is not None:
        query = query.where(Employee.department_id.in_(department_ids))
    if scheme.positions:
        query = query.where(Employee.position_id.in_([p.id for p in scheme.positions]))
    if scheme.staff_kind != "any":
        query = query.join(Position, Position.id == Employee.position_id).where(
            Position.staff_kind == scheme.staff_kind
        )
    return query


#: What a preview row shows of each employee, loaded with them.
_PREVIEWED = (
    selectinload(Employee.department),
    selectinload(Employee.position),
    selectinload(Employee.user).selectinload(User.memberships),
)


def covered_employees(session: Session, scheme: Scheme) -> list[Employee]:
    """Active employees the scheme applies to, by number."""
    return list(session.scalars(covered_query(session, scheme).options(*_PREVIEWED)))


def _with_subdepartments(session: Session, scheme: Scheme) -> set[int] | None:
    if not scheme.departments:
        return None
    return with_subdepartments(session, scheme.organization_id, [d.id for d in scheme.departments])


#: Reminder days lie within a month of their due date; a cycle has at most this many.
REMINDER_RANGE = (-30, 30)
MAX_REMINDERS = 6


def parse_reminder_days(text: str) -> list[int]:
    """The reminder days HR typed ("-3, 0, 1"), sorted without repeats; a refusal names the
    `reminder_days` field."""
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    try:
        days = sorted({int(p.replace("+", "", 1)) for p in parts})
    except ValueError:
        raise ServiceError(
            _l("Type whole numbers of days separated by commas, for example -3, 0, 1."),
            "reminder_days",
        ) from None
    low, high = REMINDER_RANGE
    if any(d < low or d > high for d in days):
        raise ServiceError(
            _l("Reminder days lie between %(low)d and %(high)d.", low=low, high=high),
            "reminder_days",
        )
    if len(days) > MAX_REMINDERS:
        raise ServiceError(
            _l("At most %(count)d reminder days.", count=MAX_REMINDERS), "reminder_days"
        )
    return days


@dataclass(frozen=True)
class CycleDates:
    starts_on: date
    ends_on: date
    goals_due: date | None = None
    self_review_due: date | None = None
    manager_review_due: date | None = None


def create_cycle(
    session: Session,
    scheme: Scheme,
    *,
    name: str,
    dates: CycleDates,
    anonymity_threshold: int,
    user_id: int | None,
    reminder_days: str | None = None,
) -> Cycle:
    """`reminder_days`: as typed on the form ("-3, 0, 1"); None keeps the default."""
    name = name.strip()
    reminders = (
        list(DEFAULT_REMINDER_DAYS) if reminder_days is None else parse_reminder_days(reminder_days)
    )
    if dates.ends_on < dates.starts_on:
        raise ServiceError(_l("The period must end after it starts."), "ends_on")
    if anonymity_threshold < 1:
        raise ServiceError(_l("At least one response is needed."), "anonymity_threshold")
    if session.scalar(
        select(Cycle.id).where(
            Cycle.organization_id == scheme.organization_id, func.lower(Cycle.name) == name.lower()
        )
    ):
        raise ServiceError(_l("A cycle with this name already exists."), "name")
    cycle = Cycle(
        organization_id=scheme.organization_id,
        scheme=scheme,
        name=name,
        starts_on=dates.starts_on,
        ends_on=dates.ends_on,
        goals_due=dates.goals_due,
        self_review_due=dates.self_review_due,
        manager_review_due=dates.manager_review_due,
        anonymity_threshold=anonymity_threshold,
        reminder_days=reminders,
    )
    session.add(cycle)
    session.flush()
    audit.record(
        session,
        cycle.organization_id,
        user_id,
        "cycle.created",
        "cycle",
        cycle.id,
        name=name,
        reminder_days=reminders,
    )
    return cycle


SELF_REVIEW_PATHS = {
    "employee": _l("Self-review by the employee"),
    "proxy": _l("No sign-in: self-review by HR or the manager on their behalf"),
    "skipped": _l("No sign-in: self-review skipped"),
    "none": _l("No self-review in this template"),
}


@dataclass(frozen=True)
class PreviewRow:
    employee: Employee
    included: bool
    warning: str | None
    path: str = "employee"  # workflow.PATHS: who writes the self-review

    @property
    def path_label(self) -> str:
        return str(SELF_REVIEW_PATHS[self.path])


def preview_cycle(session: Session, cycle: Cycle) -> list[PreviewRow]:
    """Who launching the cycle will create appraisals for, which path each takes through the
    self-review, and what HR should know first."""
    return _preview_rows(session, cycle, covered_employees(session, cycle.scheme))


def preview_page(session: Session, cycle: Cycle, page: int, per_page: int) -> Page[PreviewRow]:
    """One page of `preview_cycle`, counted and cut by the database (a 10,000-person scheme
    is not loaded to show twenty of them)."""
    query = covered_query(session, cycle.scheme).options(*_PREVIEWED)
    found = paginate(session, query, page, per_page)
    rows = _preview_rows(session, cycle, found.items)
    return Page(rows, found.page, found.per_page, found.total)


def _preview_rows(session: Session, cycle: Cycle, employees: list[Employee]) -> list[PreviewRow]:
    excluded = set(cycle.excluded_employee_ids or [])
    busy = _in_running_cycles(session, cycle, [employee.id for employee in employees])
    has_self = fills(version_template(cycle.scheme.template_version), "self")
    rows = []
    for employee in employees:
        warning = None
        if employee.manager_id is None:
            warning = _l("No manager: HR will do the manager's review.")
        if employee.id in busy:
            warning = _l("Already in another running cycle of this period.")
        path = workflow.self_review_path(
            has_self, signs_in(employee), cycle.scheme.skip_self_review_without_sign_in
        )
        rows.append(PreviewRow(employee, employee.id not in excluded, warning, path))
    return rows


def _in_running_cycles(session: Session, cycle: Cycle, employee_ids: list[int]) -> set[int]:
    """Which of these employees another running cycle of an overlapping period appraises."""
    busy: set[int] = set()
    for chunk in in_chunks(employee_ids):
        busy.update(
            session.scalars(
                select(Appraisal.employee_id)
                .join(Cycle, Cycle.id == Appraisal.cycle_id)
                .where(
                    Appraisal.employee_id.in_(chunk),
                    Cycle.organization_id == cycle.organization_id,
                    Cycle.id != cycle.id,
                    Cycle.state.in_([CycleState.RUNNING.value, CycleState.CALIBRATION.value]),
                    Cycle.starts_on <= cycle.ends_on,
                    Cycle.ends_on >= cycle.starts_on,
                )
            )
        )
    return busy


#: What separates the employee numbers HR leaves out: commas (also 、and full-width ，),
#: semicolons, spaces and lines.
NUMBER_SEPARATORS = re.compile(r"[\s,;，、；]+")


def left_out(session: Session, scheme: Scheme, text: str) -> set[int]:
    """The ids of the employees whose numbers HR typed to leave out; a number the scheme
    does not cover is refused, naming it (a typo must not launch for someone HR meant to
    leave out)."""
    numbers = list(dict.fromkeys(n for n in NUMBER_SEPARATORS.split(text or "") if n))
    by_number: dict[str, int] = {}
    covered = covered_query(session, scheme).order_by(None)
    for chunk in in_chunks(numbers):
        query = covered.with_only_columns(Employee.number, Employee.id)
        by_number.update(session.execute(query.where(Employee.number.in_(chunk))).all())
    unknown = [n for n in numbers if n not in by_number]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise ServiceError(
            _l("Not covered by this cycle's scheme: %(numbers)s", numbers=shown), "leave_out"
        )
    return set(by_number.values())


@collector_paused()  # 10,000 appraisals made and scored at once
def launch_cycle(
    session: Session, cycle: Cycle, excluded_ids: set[int], user_id: int | None
) -> list[Appraisal]:
    """Create the appraisals, each stamped with the scheme's template version."""
    if cycle.state != CycleState.PLANNING:
        raise ServiceError(_l("This cycle has already been launched."))
    rows = preview_cycle(session, cycle)
    chosen = [r.employee for r in rows if r.employee.id not in excluded_ids]
    if not chosen:
        raise ServiceError(_l("No employee is left to appraise."))
    version_id = cycle.scheme.template_version_id
    appraisals = [
        Appraisal(
            organization_id=cycle.organization_id,
            cycle=cycle,
            employee=employee,
            manager_id=employee.manager_id,
            template_version_id=version_id,
        )
        for employee in chosen
    ]
    session.add_all(appraisals)
    cycle.excluded_employee_ids = sorted(excluded_ids & {r.employee.id for r in rows})
    cycle.state = workflow.next_cycle_state(cycle.state, "launch")
    cycle.launched_at = utcnow()
    session.flush()
    audit.record(
        session,
        cycle.organization_id,
        user_id,
        "cycle.launched",
        "cycle",
        cycle.id,
        appraisals=len(appraisals),
        excluded=cycle.excluded_employee_ids,
        template_version_id=version_id,
    )
    events.goals_to_confirm(session, appraisals)
    return appraisals


def cycles_query(org_id: int) -> Select[tuple[Cycle]]:
    """The organization's cycles, newest first (for a list or a page of one)."""
    return (
        select(Cycle)
        .where(Cycle.organization_id == org_id)
        .options(selectinload(Cycle.scheme))
        .order_by(Cycle.starts_on.desc(), Cycle.id.desc())
    )


def list_cycles(session: Session, org_id: int) -> list[Cycle]:
    return list(session.scalars(cycles_query(org_id)))


def state_counts(session: Session, cycle: Cycle, reach: Reach = EVERYWHERE) -> Counter[str]:
    """The cycle's appraisals by state (those of employees in `reach`)."""
    query = select(Appraisal.state, func.count()).where(Appraisal.cycle_id == cycle.id)
    if not reach.everywhere:
        query = query.join(Employee, Employee.id == Appraisal.employee_id).where(
            reach.clause(Employee.department_id)
        )
    return Counter(dict(session.execute(query.group_by(Appraisal.state)).all()))
