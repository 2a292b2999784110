"""A pack's demo organization: departments, positions, people with sign-ins for each role,
the pack's library, templates and activity forms, schemes, a cycle in progress with targets,
figures and some reviews, and a few days of field work (customers with their sites, location
consents, visits, check-ins, plans and reports), so a new installation shows a living system.
The schemes bind the pack's metrics to their process items, and the cycle gets field records
and business events (tickets, CRM updates, service reports) in its period, so its computed
figures show numbers.

People and the cycle are created through the same services the pages use (the workflow,
figures and reviews included), so the demo is in states the product can reach itself.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ServiceError
from ..models import (
    Appraisal,
    Customer,
    Cycle,
    Employee,
    ExternalEvent,
    Membership,
    Organization,
    Template,
    User,
)
from ..people import services as people
from ..rules import check_event_attributes
from ..runtime.cycles import cycles, figures
from ..runtime.fieldwork import consent, records
from ..runtime.metrics.compute import refresh_cycle
from ..runtime.metrics.definitions import metric_definitions
from ..runtime.metrics.events import person_ref
from ..runtime.metrics.values import bind_metrics
from ..runtime.reviews import access, invitations, reviews
from ..users import services as users
from . import Pack
from .loading import PackReport, load_pack

CONSULTANT = "实施顾问"
DAY = re.compile(r"\{day(?:\+(\d+))?\}")


@dataclass(frozen=True)
class DemoResult:
    organization: Organization
    logins: list[tuple[str, list[str]]]
    report: PackReport
    #: Each sign-in's password, to show once: random unless the caller chose one.
    passwords: dict[str, str] = field(default_factory=dict)


def login_email(local: str, slug: str) -> str:
    return f"{local}@{slug}.example"


def demo_logins(pack: Pack, slug: str) -> list[tuple[str, list[str]]]:
    return [
        (login_email(local, slug), sorted(roles))
        for local, roles in pack.demo.get("logins", {}).values()
    ]


def load_demo_organization(
    session: Session,
    pack: Pack,
    slug: str,
    name: str | None = None,
    *,
    password: str | None = None,
    acting_user_id: int | None = None,
) -> DemoResult:
    """Create the organization `slug` with the pack's demo in it.

    Its people sign in with random passwords (returned once, in `passwords`) unless a
    `password` is given: only the local `make run` demo uses a well-known one. Accounts are
    always new: an existing account is never linked into a demo.
    """
    demo = pack.demo
    emails = [login_email(local, slug) for local, _roles in demo["logins"].values()]
    taken = session.scalar(select(User.email).where(User.email.in_(emails)).limit(1))
    if taken:
        raise ServiceError(
            _l("An account %(email)s exists already; choose another short name.", email=taken),
            "slug",
        )
    org = users.get_or_create_organization(session, slug, name or demo["organization"]["name"])

    departments: dict[str, int] = {}
    for dept_name, code, parent in demo["departments"]:
        departments[dept_name] = people.save_department(
            session, org.id, name=dept_name, code=code, parent_id=departments.get(parent)
        ).id
    positions = {
        pos_name: people.save_position(session, org.id, name=pos_name, staff_kind=kind).id
        for pos_name, kind in demo["positions"]
    }

    names = {login: person_name for _, person_name, *_rest, login in demo["employees"] if login}
    user_ids: dict[str, int] = {}
    passwords: dict[str, str] = {}
    for key, (local, roles) in demo["logins"].items():
        email = login_email(local, slug)
        passwords[email] = password or secrets.token_urlsafe(9)
        added = users.add_member(
            session,
            org.id,
            email=email,
            name=names.get(key, CONSULTANT),
            password=passwords[email],
            roles=set(roles),
            acting_user_id=acting_user_id,
            via="demo",
        )
        user_ids[key] = added.membership.user_id

    employees: dict[str, int] = {}
    for number, person_name, dept, position, manager, hired, login in demo["employees"]:
        employees[number] = people.save_employee(
            session,
            org.id,
            number=number,
            name=person_name,
            department_id=departments[dept],
            position_id=positions[position],
            manager_id=employees.get(manager) if manager else None,
            hire_date=date.fromisoformat(hired),
            user_id=user_ids.get(login) if login else None,
        ).id

    admin_id = user_ids.get("admin")
    report = load_pack(session, org.id, pack, admin_id)
    schemes = {}
    for entry in demo.get("schemes", []):
        template = session.scalar(
            select(Template).where(
                Template.organization_id == org.id, Template.key == entry["template"]
            )
        )
        schemes[entry["name"]] = cycles.save_scheme(
            session,
            org.id,
            None,
            name=entry["name"],
            template_version_id=template.latest.id,
            staff_kind="any",
            period=template.latest.definition.get("period", "month"),
            department_ids=[],
            position_ids=[positions[p] for p in entry["positions"]],
            user_id=admin_id,
        )
        bind_pack_metrics(session, pack, schemes[entry["name"]], entry["template"], admin_id)
    hr = access.viewer_for(session, org.id, admin_id, frozenset({"admin"}))
    launched = []
    plan = running_now(demo["cycle"], org.today()) if demo.get("cycle") else None
    if plan:
        for scheme_name in plan["schemes"]:
            launched.append(_run_cycle(session, schemes[scheme_name], plan, hr, user_ids))
    if demo.get("field"):
        _field_work(session, org, demo["field"], employees, hr, plan)
    if demo.get("events"):
        _events(session, org, demo["events"], employees, demo.get("cycle"))
    session.flush()
    for cycle in launched:
        refresh_cycle(session, cycle)
    session.flush()
    return DemoResult(org, demo_logins(pack, slug), report, passwords)


def bind_pack_metrics(
    session: Session, pack: Pack, scheme: Any, template_key: str, user_id: int | None
) -> None:
    """Bind the pack's metrics to a new scheme's `data` items (the pack's `bindings` for its
    template), leaving out a metric the organization has archived."""
    wanted = pack.bindings.get(template_key, {})
    metrics = metric_definitions(session, scheme.organization_id)
    chosen = {
        item: key for item, key in wanted.items() if key in metrics and not metrics[key].archived
    }
    if chosen:
        bind_metrics(session, scheme, chosen, user_id)


#: The plan's dates, moved together to the days the demo is loaded in.
CYCLE_DAYS = ("starts_on", "ends_on", "goals_due", "self_review_due", "manager_review_due")
#: Days of the cycle behind today at the least, for the demo's records and events to fall in.
DAYS_BEHIND = 7


def running_now(plan: dict[str, Any], today: date) -> dict[str, Any]:
    """The demo cycle as of `today` on the organization's clock. The pack writes it for
    one month; loaded later (or on a month's first days) it would lie in the past, or have no
    days behind today for the demo's records: a visit recorded today would count nowhere.
    Then every date moves by the same number of days, so that today is two thirds of the way
    through the cycle, and the name says the days it covers."""
    start, end = date.fromisoformat(plan["starts_on"]), date.fromisoformat(plan["ends_on"])
    if start + timedelta(days=DAYS_BEHIND) <= today <= end:
        return plan
    shift = today - (start + timedelta(days=(end - start).days * 2 // 3))
    moved = dict(plan) | {
        key: (date.fromisoformat(plan[key]) + shift).isoformat()
        for key in CYCLE_DAYS
        if key in plan
    }
    moved["name"] = f"{moved['starts_on']} ~ {moved['ends_on']}"
    return moved


def _run_cycle(
    session: Session, scheme: Any, plan: dict[str, Any], hr: access.Viewer, user_ids: dict
) -> Cycle:
    """Launch the scheme's cycle and bring it to where the plan says."""
    day = date.fromisoformat
    cycle = cycles.create_cycle(
        session,
        scheme,
        name=f"{scheme.name} {plan['name']}",
        dates=cycles.CycleDates(
            day(plan["starts_on"]),
            day(plan["ends_on"]),
            day(plan["goals_due"]),
            day(plan["self_review_due"]),
            day(plan["manager_review_due"]),
        ),
        anonymity_threshold=3,
        user_id=hr.user_id,
    )
    appraisals = {
        a.employee.number: a for a in cycles.launch_cycle(session, cycle, set(), hr.user_id)
    }
    numbers = set(appraisals)

    def entries(values: dict[str, dict[str, Any]]) -> list[figures.Entry]:
        return [
            figures.Entry(number, key, value)
            for number, row in values.items()
            if number in numbers
            for key, value in row.items()
        ]

    figures.set_targets(session, cycle, entries(plan.get("targets", {})), hr)
    figures.set_figures(session, cycle, entries(plan.get("figures", {})), hr.user_id)
    for number, values in plan.get("hr", {}).items():
        if number in numbers:
            raw = {f"hr.{k}": str(v) for k, v in values.items()}
            reviews.save_review(
                session, appraisals[number], hr, "hr", raw, version=None, submit=False
            )
    for number, logins in plan.get("peers", {}).items():
        if number in numbers:
            for login in logins:
                invitations.invite(session, appraisals[number], hr, "peer", user_ids[login])
    for number in plan.get("confirmed", []):
        if number in numbers:
            employee = _as_employee(session, appraisals[number], hr)
            reviews.take_action(session, appraisals[number], employee, "confirm_goals", None)
    for number, values in plan.get("self_reviews", {}).items():
        if number in numbers:
            employee = _as_employee(session, appraisals[number], hr)
            raw = {f"self.{k}": str(v) for k, v in values.items()}
            reviews.save_review(
                session, appraisals[number], employee, "self", raw, version=None, submit=True
            )
    return cycle


def _cycle_day(org: Organization, days_ago: int, plan: dict[str, Any] | None) -> date | None:
    """A day in the demo cycle: `days_ago` before its last day (or before today while it
    runs), never before its first; None when that day is still to come (a record cannot be
    made in the future)."""
    today = datetime.now(ZoneInfo(org.time_zone)).date()
    if not plan:
        return today - timedelta(days=days_ago)
    starts, ends = date.fromisoformat(plan["starts_on"]), date.fromisoformat(plan["ends_on"])
    day = max(min(today, ends) - timedelta(days=days_ago), starts)
    return day if day < today else None


def _field_work(
    session: Session,
    org: Organization,
    plan: dict[str, Any],
    employees: dict[str, int],
    hr: access.Viewer,
    cycle: dict[str, Any] | None,
) -> None:
    """Customers with their sites and reps, the reps' location consents, and the last few
    days of their work, each record made through `record_activity` by the rep, as the phone
    would (so values, consent and geofence flags are what the product makes of them); HR
    records for a person who does not sign in, as through the API.

    `records` are relative to today in the organization's time zone (`days_ago`, local
    `time`); `cycle_records` to the demo cycle's last day (or today while it runs), so the
    metrics of the cycle count them; `{day}` in a value is that day's date, `{day+N}` N days
    later; a customer is named by its code."""
    customers: dict[str, Customer] = {}
    for row in plan.get("customers", []):
        customer = Customer(
            organization_id=org.id,
            code=row["code"],
            name=row["name"],
            address=row.get("address", ""),
            kind=row.get("kind", ""),
            latitude=Decimal(str(row["latitude"])),
            longitude=Decimal(str(row["longitude"])),
            radius_m=row.get("radius_m"),
            reps=[session.get(Employee, employees[number]) for number in row.get("reps", [])],
        )
        session.add(customer)
        customers[row["code"]] = customer
    session.flush()
    for number, purpose in plan.get("consents", []):
        person = session.get(Employee, employees[number])
        consent.decide(session, _own_viewer(session, person), person, purpose, "granted")
    zone = ZoneInfo(org.time_zone)
    for part, anchor in (("records", None), ("cycle_records", cycle)):
        for index, row in enumerate(plan.get(part, [])):
            day = _cycle_day(org, row["days_ago"], anchor)
            if day is None:
                continue
            person = session.get(Employee, employees[row["employee"]])
            values = {k: _demo_value(value, day, customers) for k, value in row["values"].items()}
            if row.get("location"):
                values["where"] = row["location"]
            name = f"appraisal-demo/{org.slug}/{index}" if anchor is None else None
            records.record_activity(
                session,
                _own_viewer(session, person) if access.signs_in(person) else hr,
                person,
                uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, name or f"demo/{org.slug}/c{index}")),
                type_key=row["type"],
                values=values,
                occurred_at=datetime.combine(day, time.fromisoformat(row["time"]), zone),
            )


def _events(
    session: Session,
    org: Organization,
    rows: list[dict[str, Any]],
    employees: dict[str, int],
    cycle: dict[str, Any] | None,
) -> None:
    """Business events as another system would have pushed them (`source`, its own id,
    the person's employee number, typed `attributes`), placed in the demo cycle as
    `cycle_records` are. An attribute the kind does not declare is a bug of the pack."""
    zone = ZoneInfo(org.time_zone)
    for index, row in enumerate(rows):
        day = _cycle_day(org, row["days_ago"], cycle)
        if day is None:
            continue
        checked = check_event_attributes(row["kind"], row.get("attributes", {}))
        if checked.problems:
            raise ValueError(f"demo event {index}: {checked.problems}")
        moment = datetime.combine(day, time.fromisoformat(row["time"]), zone)
        session.add(
            ExternalEvent(
                organization_id=org.id,
                source=row["source"],
                external_id=f"{row['source']}-demo-{index + 1}",
                kind=row["kind"],
                occurred_at=moment.astimezone(UTC),
                occurred_on=day,
                person_ref=person_ref("employee_number", row["employee"]),
                employee_id=employees[row["employee"]],
                attributes=checked.values,
            )
        )


def _own_viewer(session: Session, person: Employee) -> access.Viewer:
    return access.viewer_for(session, person.organization_id, person.user_id, frozenset())


def _demo_value(value: Any, day: date, customers: dict[str, Customer]) -> Any:
    if not isinstance(value, str):
        return value
    if value in customers:
        return str(customers[value].id)
    return DAY.sub(lambda m: (day + timedelta(days=int(m[1] or 0))).isoformat(), value)


def _as_employee(session: Session, appraisal: Appraisal, hr: access.Viewer) -> access.Viewer:
    """Who takes the appraisee's own steps: the appraisee where they sign in, else HR on
    their behalf (most demo people have no sign-in), as the pages would record it."""
    person = session.get(Employee, appraisal.employee_id)
    if access.signs_in(person):
        return access.Viewer(person.user_id, appraisal.organization_id, False, person.id)
    return hr


def existing_logins(session: Session, pack: Pack, slug: str) -> list[tuple[str, list[str]]]:
    """The demo sign-ins still present in the organization, for `make run` to print."""
    emails = [email for email, _roles in demo_logins(pack, slug)]
    memberships = session.scalars(
        select(Membership)
        .join(Organization)
        .join(User)
        .where(Organization.slug == slug, User.email.in_(emails), Membership.active)
    ).all()
    by_email = {m.user.email: sorted(m.roles) for m in memberships}
    return [(email, by_email[email]) for email in emails if email in by_email]
