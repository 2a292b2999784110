"""The customer/site master: the customers and sites field staff visit, per organization.

One set of checks (`check_customer`) serves the page's form, the file import and the API,
so all three refuse the same values with the same words. A customer is keyed by its `code`
(what a CRM or a spreadsheet upserts by); it is never deleted, because records point at it:
it is deactivated, and then the phone's picker no longer offers it.

Reps are employees of the organization who are still employed. Changing only the reps
touches the customer's row too, so its version moves (a stale form is refused) and
`updated_at` tells an API client that polls `updated_since`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ... import audit
from ...concurrency import expect_version
from ...db import LIKE_ESCAPE, contains_pattern
from ...errors import ServiceError
from ...inputs import bad_text, describe
from ...models import Customer, Employee, EmployeeStatus, utcnow
from ...models.fieldwork import customer_reps
from ...paging import Page, paginate
from ..metrics.compute import refresh_employees

#: Every field of a customer, in the order the form, the file and the export use.
FIELDS = (
    "code",
    "name",
    "address",
    "kind",
    "reps",
    "latitude",
    "longitude",
    "radius_m",
    "active",
)
#: The words for each field: the form's labels, the mapping step's, and the export's header
#: in Chinese (each is also a name the import recognises, so an export imports back).
COLUMN_NAMES = {
    "code": _l("Customer code"),
    "name": _l("Customer name"),
    "address": _l("Address"),
    "kind": _l("Customer type"),
    "reps": _l("Reps' employee numbers"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "radius_m": _l("Geofence radius (m)"),
    "active": _l("In use (yes/no)"),
}
TEXT_LIMITS = {"code": 60, "name": 200, "address": 300, "kind": 60}
#: A geofence wider than this is a typo (kilometres typed as metres), not a site.
MAX_RADIUS_M = 100_000
COORDINATE_PLACES = Decimal("0.000001")  # the column keeps 6 decimals (about 0.1 m)
COORDINATE_RANGE = {"latitude": Decimal(90), "longitude": Decimal(180)}
YES = {"1", "yes", "y", "true", "active", "是", "启用", "有效", "在用", "正常"}
NO = {"0", "no", "n", "false", "inactive", "否", "停用", "无效", "禁用", "已停用"}


class CustomerRefused(ServiceError):
    """Values that cannot be saved: `errors` maps a field to its message."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(_l("Some values need correcting; nothing was saved."))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Checked:
    """What `check_customer` made of the values given: the clean ones and the problems."""

    values: dict[str, Any]
    errors: dict[str, Any]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def check_customer(raw: Mapping[str, Any], current: Customer | None = None) -> Checked:
    """Check the fields present in `raw` (text as typed or read from a file, or JSON values);
    a field left out keeps what `current` holds. Reps are not checked here (they need the
    organization's employees, see `rep_problems`)."""
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name not in raw:
            continue
        text = _text(raw[name])
        if char := bad_text(text, multiline=False):
            errors[name] = _l("contains a control character (%(char)s)", char=describe(char))
        elif len(text) > limit:
            errors[name] = _l("at most %(count)d characters", count=limit)
        values[name] = text
    if current is None and "code" not in raw:
        errors["code"] = _l("The customer code is missing.")
    if "code" in values and "code" not in errors:
        if not values["code"]:
            errors["code"] = _l("The customer code is missing.")
        elif any(c.isspace() for c in values["code"]):
            errors["code"] = _l("A customer code has no spaces.")
    name_given = "name" in values and "name" not in errors
    if (name_given and not values["name"]) or (current is None and "name" not in raw):
        errors["name"] = _l("The name is missing.")
    for name in COORDINATE_RANGE:
        if name in raw:
            values[name] = _coordinate(name, raw[name], errors)
    if "radius_m" in raw:
        values["radius_m"] = _radius(raw["radius_m"], errors)
    if "active" in raw:
        values["active"] = _active(raw["active"], errors)
    _check_site(values, current, errors)
    return Checked(values, errors)


def _coordinate(name: str, value: Any, errors: dict[str, Any]) -> Decimal | None:
    if value is None or _text(value) == "":
        return None
    try:
        number = Decimal(_text(value).replace("，", ".").replace(",", "."))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        errors[name] = _l("%(value)s is not a number", value=_text(value)[:40])
        return None
    limit = COORDINATE_RANGE[name]
    if not -limit <= number <= limit:
        errors[name] = _l(
            "must be between -%(limit)s and %(limit)s (decimal degrees)", limit=str(limit)
        )
        return None
    return number.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)


def _radius(value: Any, errors: dict[str, Any]) -> int | None:
    if value is None or _text(value) == "":
        return None
    text = _text(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value():
        errors["radius_m"] = _l("Give the radius in whole metres.")
        return None
    if not 0 < number <= MAX_RADIUS_M:
        errors["radius_m"] = _l(
            "The radius must be more than 0 and at most %(max)d metres.", max=MAX_RADIUS_M
        )
        return None
    return int(number)


def _active(value: Any, errors: dict[str, Any]) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text == "" or text in YES:
        return True
    if text in NO:
        return False
    errors["active"] = _l("use yes or no")
    return None


def _check_site(values: dict[str, Any], current: Customer | None, errors: dict[str, Any]) -> None:
    """Both coordinates or neither; a geofence needs a site to be around."""
    if {"latitude", "longitude", "radius_m"} & errors.keys():
        return
    site = {
        name: values[name] if name in values else getattr(current, name, None)
        for name in ("latitude", "longitude", "radius_m")
    }
    if (site["latitude"] is None) != (site["longitude"] is None):
        missing = "latitude" if site["latitude"] is None else "longitude"
        errors[missing] = _l("Give both coordinates, or neither.")
    elif site["radius_m"] is not None and site["latitude"] is None:
        errors["radius_m"] = _l("A radius needs the site's coordinates.")


def split_numbers(text: Any) -> list[str]:
    """Employee numbers as a file holds them: separated by commas, 顿号 or semicolons
    (half- or full-width), or given as a list already."""
    if isinstance(text, list | tuple):
        parts = [_text(p) for p in text]
    else:
        parts = _text(text)
        for separator in ("，", "、", ";", "；", "\n"):
            parts = parts.replace(separator, ",")
        parts = [p.strip() for p in parts.split(",")]
    return list(dict.fromkeys(p for p in parts if p))


def active_employees_by_number(session: Session, org_id: int) -> dict[str, Employee]:
    return {
        e.number: e
        for e in session.scalars(
            select(Employee).where(
                Employee.organization_id == org_id,
                Employee.status == EmployeeStatus.ACTIVE.value,
            )
        )
    }


def rep_problems(numbers: list[str], employees: Mapping[str, Employee]) -> Any:
    """The message for rep numbers that are not employees still employed here, or None."""
    unknown = [n for n in numbers if n not in employees]
    if not unknown:
        return None
    return _l("no employee %(numbers)s here (or they have left)", numbers="、".join(unknown[:10]))


# -- listing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the list shows: a search over name, code and address, a type, a rep, and
    active (True), inactive (False) or both (None)."""

    q: str = ""
    kind: str = ""
    rep_id: int | None = None
    active: bool | None = True


def customers_query(org_id: int, filters: Filters = Filters()) -> Select[tuple[Customer]]:
    stmt = select(Customer).where(Customer.organization_id == org_id)
    if filters.q.strip():
        pattern = contains_pattern(filters.q)
        stmt = stmt.where(
            or_(
                Customer.name.ilike(pattern, escape=LIKE_ESCAPE),
                Customer.code.ilike(pattern, escape=LIKE_ESCAPE),
                Customer.address.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if filters.kind:
        stmt = stmt.where(Customer.kind == filters.kind)
    if filters.rep_id:
        stmt = stmt.where(
            Customer.id.in_(
                select(customer_reps.c.customer_id).where(
                    customer_reps.c.employee_id == filters.rep_id
                )
            )
        )
    if filters.active is not None:
        stmt = stmt.where(Customer.active.is_(filters.active))
    return stmt


def rep_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """The list's rep filter: the people assigned to at least one customer (not every
    employee: the office staff of a company of thousands would fill it), by number."""
    assigned = (
        select(customer_reps.c.employee_id)
        .join(Customer, Customer.id == customer_reps.c.customer_id)
        .where(Customer.organization_id == org_id)
    )
    rows = session.execute(
        select(Employee.id, Employee.number, Employee.name)
        .where(Employee.organization_id == org_id, Employee.id.in_(assigned))
        .order_by(Employee.number)
    )
    return [(id_, f"{number} {name}") for id_, number, name in rows]


def list_customers(
    session: Session, org_id: int, filters: Filters = Filters(), page: int = 1, per_page: int = 20
) -> Page[Customer]:
    """One page of the list, by name; only the page's rows (and their reps) are loaded."""
    stmt = (
        customers_query(org_id, filters)
        .options(selectinload(Customer.reps))
        .order_by(Customer.name, Customer.id)
    )
    return paginate(session, stmt, page, per_page)


def kind_choices(session: Session, org_id: int) -> list[str]:
    """The types in use, for the list's filter."""
    return list(
        session.scalars(
            select(Customer.kind)
            .where(Customer.organization_id == org_id, Customer.kind != "")
            .distinct()
            .order_by(Customer.kind)
        )
    )


def storable_code(code: str) -> bool:
    """Whether a customer could have this code (worth looking up: PostgreSQL refuses a NUL
    in a query, so such a code never reaches one)."""
    return bool(code) and len(code) <= TEXT_LIMITS["code"] and not bad_text(code, multiline=False)


def customer_by_code(session: Session, org_id: int, code: str) -> Customer | None:
    """The customer with this code; None also for a code no customer could have (too long,
    control characters: PostgreSQL refuses a NUL in a query)."""
    if not storable_code(code):
        return None
    return session.scalar(
        select(Customer)
        .where(Customer.organization_id == org_id, Customer.code == code)
        .options(selectinload(Customer.reps))
    )


def customers_table(
    session: Session, org_id: int, filters: Filters = Filters()
) -> Iterator[list[Any]]:
    """Every customer the filters select, as the import reads them (reps as employee
    numbers joined with 、, coordinates as decimals, active as yes/no), in batches so 20,000
    customers never sit in memory as objects at once."""
    stmt = customers_query(org_id, filters).order_by(Customer.code)
    reps = rep_numbers(session, org_id)
    for customer in session.scalars(stmt.execution_options(yield_per=1000)):
        yield [
            customer.code,
            customer.name,
            customer.address,
            customer.kind,
            "、".join(reps.get(customer.id, ())),
            None if customer.latitude is None else float(customer.latitude),
            None if customer.longitude is None else float(customer.longitude),
            customer.radius_m,
            customer.active,
        ]


def rep_numbers(session: Session, org_id: int) -> dict[int, list[str]]:
    """Each customer's reps by employee number, in one query."""
    rows = session.execute(
        select(customer_reps.c.customer_id, Employee.number)
        .join(Employee, Employee.id == customer_reps.c.employee_id)
        .where(Employee.organization_id == org_id)
        .order_by(Employee.number)
    )
    found: dict[int, list[str]] = {}
    for customer_id, number in rows:
        found.setdefault(customer_id, []).append(number)
    return found


def changes_query(
    org_id: int, q: str = "", since: datetime | None = None
) -> Select[tuple[Customer]]:
    """Every customer of the organization (in use or not) matching `q`: by code, or, for a
    client polling changes (`since`), oldest change first."""
    stmt = customers_query(org_id, Filters(q=q, active=None)).options(selectinload(Customer.reps))
    if since is None:
        return stmt.order_by(Customer.code)
    return stmt.where(Customer.updated_at >= since).order_by(Customer.updated_at, Customer.id)


# -- saving ------------------------------------------------------------------------------------


def save_customer(
    session: Session,
    org_id: int,
    raw: Mapping[str, Any],
    rep_ids: list[int],
    *,
    customer: Customer | None = None,
    version: int | None = None,
    user_id: int | None = None,
) -> Customer:
    """Create or update a customer from the page's form; raises `CustomerRefused` with every
    problem at its field, or `EditConflict` when the form showed an older version."""
    if customer is not None:
        expect_version(customer, version)
    checked = check_customer(raw, customer)
    errors = dict(checked.errors)
    code = checked.values.get("code")
    if code and "code" not in errors:
        taken = session.scalar(
            select(Customer.id).where(
                Customer.organization_id == org_id,
                Customer.code == code,
                Customer.id != (customer.id if customer else -1),
            )
        )
        if taken:
            errors["code"] = _l("Customer code %(code)s is already taken.", code=code)
    reps = _reps_by_id(session, org_id, rep_ids, customer)
    if reps is None:
        errors["rep_ids"] = _l("Choose employees of this organization who have not left.")
    if errors:
        raise CustomerRefused(errors)
    created = customer is None
    before = _customer_fields(customer, checked.values)
    customer = customer or Customer(organization_id=org_id, reps=[])
    moved = apply_values(customer, checked.values, reps)
    session.add(customer)
    session.flush()
    refresh_employees(session, org_id, moved)
    audit.record(
        session,
        org_id,
        user_id,
        "customer.created" if created else "customer.saved",
        "customer",
        customer.id,
        code=customer.code,
        changes=audit.changes(before, _customer_fields(customer, checked.values)),
    )
    return customer


def _customer_fields(customer: Customer | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the customer form edits (its checked values) and the reps' ids."""
    if customer is None:
        return {}
    return audit.snapshot(customer, values) | {"rep_ids": sorted(e.id for e in customer.reps)}


def _reps_by_id(
    session: Session, org_id: int, rep_ids: list[int], customer: Customer | None
) -> list[Employee] | None:
    """The chosen reps; None when one is not an employee here. A rep who has left since
    being assigned may stay (the form still lists them), but nobody who left is added."""
    wanted = list(dict.fromkeys(rep_ids))
    if not wanted:
        return []
    kept = {e.id for e in customer.reps} if customer is not None else set()
    found = session.scalars(
        select(Employee).where(Employee.organization_id == org_id, Employee.id.in_(wanted))
    ).all()
    usable = {e.id: e for e in found if e.status == EmployeeStatus.ACTIVE.value or e.id in kept}
    if len(usable) != len(wanted):
        return None
    return [usable[i] for i in wanted]


def apply_values(
    customer: Customer, values: Mapping[str, Any], reps: list[Employee] | None
) -> set[int]:
    """Write checked values (and the reps, unless None) on the customer. A change of reps
    alone touches the row, so its version moves. Returns the employees whose number of
    assigned customers this moves (reps before and after, when the reps change or the
    customer is new, activated or deactivated): their computed coverage is recomputed."""
    changed = False
    before = {e.id for e in customer.reps}
    was_active = customer.active if customer.id is not None else None
    for name, value in values.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed = True
    if reps is not None and before != {e.id for e in reps}:
        customer.reps = list(reps)
        changed = True
    if changed and customer.id is not None:
        customer.updated_at = utcnow()
    after = {e.id for e in customer.reps}
    if before != after or was_active != (customer.active is not False):
        return before | after
    return set()


def set_customer_active(
    session: Session,
    customer: Customer,
    active: bool,
    user_id: int | None,
    version: int | None = None,
) -> None:
    """Deactivate (the phone no longer offers it; its records stay) or reactivate."""
    expect_version(customer, version)
    if customer.active == active:
        return
    customer.active = active
    session.flush()
    refresh_employees(session, customer.organization_id, {e.id for e in customer.reps})
    audit.record(
        session,
        customer.organization_id,
        user_id,
        "customer.reactivated" if active else "customer.deactivated",
        "customer",
        customer.id,
        code=customer.code,
    )


# -- for other areas -----------------------------------------------------------------------------


def _assigned_to(employee: Employee) -> ColumnElement[bool]:
    return and_(
        customer_reps.c.customer_id == Customer.id,
        customer_reps.c.employee_id == employee.id,
    )


#: How many customers the phone's picker shows at a time.
PICKER_PAGE = 30


def customers_for(
    session: Session,
    employee: Employee,
    search: str = "",
    page: int = 1,
    per_page: int = PICKER_PAGE,
) -> Page[Customer]:
    """The phone's customer picker: the organization's active customers, those `employee`
    is a rep of first, then by name; `search` matches name, code or address."""
    assigned = select(customer_reps.c.customer_id).where(_assigned_to(employee)).exists()
    stmt = select(Customer).where(
        Customer.organization_id == employee.organization_id, Customer.active.is_(True)
    )
    search = " ".join((search or "").split())[:100]
    if search:
        pattern = contains_pattern(search)
        stmt = stmt.where(
            or_(
                Customer.name.ilike(pattern, escape=LIKE_ESCAPE),
                Customer.code.ilike(pattern, escape=LIKE_ESCAPE),
                Customer.address.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    stmt = stmt.order_by(assigned.desc(), Customer.name, Customer.id)
    return paginate(session, stmt, page, per_page)


def assigned_ids(session: Session, employee: Employee, customers: list[Customer]) -> set[int]:
    """Which of `customers` the employee is a rep of (the picker marks them)."""
    if not customers:
        return set()
    return set(
        session.scalars(
            select(customer_reps.c.customer_id).where(
                customer_reps.c.employee_id == employee.id,
                customer_reps.c.customer_id.in_([c.id for c in customers]),
            )
        )
    )


def assigned_count(session: Session, employee: Employee) -> int:
    """How many active customers `employee` is a rep of (coverage: visited ÷ assigned)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Customer)
            .join(customer_reps, _assigned_to(employee))
            .where(
                Customer.organization_id == employee.organization_id,
                Customer.active.is_(True),
            )
        )
        or 0
    )
