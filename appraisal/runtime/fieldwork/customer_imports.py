"""Customers in bulk, keyed by code: a CSV/XLSX file (mapped, dry run, applied) and the API's
upserts (one, or a batch of up to 1,000), all through `upsert_customers`.

All or nothing, like the employee import (whose report, refusal and column-mapping
machinery this reuses): every row is checked first (the same checks as the page's form,
codes given twice, reps as employee numbers of people still employed here), each row gets an
outcome, and only a batch without errors is applied. A column left out of the file (or a key
left out of an API body) keeps what is stored; an empty cell clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ... import audit
from ...db import in_chunks
from ...models import Customer
from ...people.imports import PROGRESS_EVERY, RowError, RowOutcome, RowsRefused, UpsertReport
from ..metrics.compute import refresh_employees
from .customers import (
    FIELDS,
    active_employees_by_number,
    apply_values,
    check_customer,
    rep_problems,
    split_numbers,
    storable_code,
)

KIND = "customers"  # the remembered column mapping's name
REQUIRED = ("code", "name")
ALIASES = {
    "code": ("code", "customer code", "customer_code", "客户编码", "客户编号", "编码", "编号"),
    "name": ("name", "customer", "customer name", "客户名称", "客户", "名称", "门店名称", "网点"),
    "address": ("address", "地址", "客户地址", "详细地址"),
    "kind": ("kind", "type", "customer type", "类型", "客户类型", "类别"),
    "reps": ("reps", "rep", "sales reps", "负责人工号", "负责人", "业务员", "业务员工号"),
    "latitude": ("latitude", "lat", "纬度"),
    "longitude": ("longitude", "lng", "lon", "经度"),
    "radius_m": (
        "radius_m",
        "radius",
        "geofence",
        "围栏半径（米）",
        "围栏半径",
        "半径（米）",
        "半径",
    ),
    "active": ("active", "status", "in use", "启用（是/否）", "启用", "状态"),
}
SAMPLE_ROWS = [
    [
        "C001",
        "徐汇旗舰店",
        "上海市徐汇区漕溪北路 88 号",
        "门店",
        "E002、E003",
        31.188,
        121.437,
        200,
        "是",
    ],
    ["C002", "华联超市（浦东店）", "上海市浦东新区张杨路 500 号", "商超", "E002", "", "", "", "是"],
    ["C003", "老城区经销商", "", "经销商", "", "", "", "", "否"],
]


def upsert_customers(
    session: Session,
    org_id: int,
    rows: list[Mapping[str, Any]],
    user_id: int | None,
    *,
    dry_run: bool = False,
    first_row: int = 1,
    source: str = "file",
    progress: Callable[[int, int], None] | None = None,
) -> UpsertReport:
    """Check every row, then (unless `dry_run`) apply them all; raises `RowsRefused` with the
    report when any row is wrong. Rows are numbered from `first_row` (2 for a file with a
    header line, 0 for an API batch); `progress(done, total)` hears of the rows checked."""
    report = UpsertReport()
    codes = sorted({code for r in rows if storable_code(code := str(r.get("code") or "").strip())})
    existing: dict[str, Customer] = {}
    for chunk in in_chunks(codes):
        existing.update(
            (c.code, c)
            for c in session.scalars(
                select(Customer)
                .where(
                    Customer.organization_id == org_id,
                    Customer.code.in_(chunk),
                )
                .options(selectinload(Customer.reps))
            )
        )
    employees = (
        active_employees_by_number(session, org_id) if any("reps" in r for r in rows) else {}
    )
    plans: list[tuple[int, Customer | None, dict[str, Any], list | None]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, len(rows))
        row = first_row + index
        given = {name: raw[name] for name in FIELDS if name in raw}
        if source == "file" and not any(str(v).strip() for v in given.values()):
            continue  # an empty line of the file
        code = str(given.get("code") or "").strip()
        current = existing.get(code)
        checked = check_customer(given, current)
        errors = dict(checked.errors)
        if code and code in seen and "code" not in errors:
            errors["code"] = _also_on(code, seen[code])
        reps = None
        if "reps" in given:
            numbers = split_numbers(given["reps"])
            kept = {e.number: e for e in current.reps} if current is not None else {}
            problem = rep_problems(numbers, employees | kept)
            if problem is not None:
                errors["reps"] = problem
            else:
                reps = [(employees | kept)[n] for n in numbers]
        report.errors.extend(RowError(row, name, errors[name]) for name in FIELDS if name in errors)
        if code and code not in seen:
            seen[code] = row
        plans.append((row, current, checked.values, reps))
        report.outcomes.append(
            RowOutcome(row, code, "error" if errors else _outcome(current, checked.values, reps))
        )
    if report.errors:
        raise RowsRefused(report)
    if dry_run:
        return report
    moved: set[int] = set()
    for _row, current, values, reps in plans:
        customer = current or Customer(organization_id=org_id, reps=[])
        moved |= apply_values(customer, values, reps)
        session.add(customer)
    session.flush()
    refresh_employees(session, org_id, moved)
    if progress is not None:
        progress(len(rows), len(rows))
    audit.record(
        session,
        org_id,
        user_id,
        "customer.imported",
        "organization",
        org_id,
        source=source,
        created=report.count("create"),
        updated=report.count("update"),
        unchanged=report.count("unchanged"),
    )
    return report


def _also_on(code: str, row: int) -> Any:
    return _l("Customer code %(code)s is also on row %(row)d", code=code, row=row)


def _outcome(current: Customer | None, values: Mapping[str, Any], reps: list | None) -> str:
    if current is None:
        return "create"
    same = all(getattr(current, name) == value for name, value in values.items()) and (
        reps is None or {e.id for e in current.reps} == {e.id for e in reps}
    )
    return "unchanged" if same else "update"
