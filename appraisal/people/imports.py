"""Employees in bulk, keyed by employee number: the API's upsert now, file imports later.

All or nothing: every row is checked first (numbers, duplicates in the batch, managers in the
organization or further down the batch, reporting loops, dates in the usual formats), each
row gets an outcome, and only a batch without errors is applied. Departments and positions
are matched by name and created when new.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..errors import ServiceError
from ..inputs import bad_text, describe
from ..models import Department, Employee, ImportMapping, Position

# 2024-03-01, 2024/03/01, 2024.03.01, 2024年3月1日 (one regular expression rather than four
# strptime attempts: a file of 50,000 bad dates spent most of its time in strptime).
DATE = re.compile(
    r"(\d{4})(?:-(\d{1,2})-(\d{1,2})|/(\d{1,2})/(\d{1,2})|\.(\d{1,2})\.(\d{1,2})"
    r"|年(\d{1,2})月(\d{1,2})日)"
)
PROGRESS_EVERY = 500
DATE_EXAMPLES = "2024-03-01, 2024/03/01, 2024.03.01, 2024年3月1日"
STATUS_WORDS = {
    "active": "active",
    "在职": "active",
    "left": "left",
    "离职": "left",
    "已离职": "left",
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
FIELDS = (
    "number",
    "name",
    "email",
    "department",
    "position",
    "manager_number",
    "hire_date",
    "status",
)


@dataclass
class RowError:
    row: int
    column: str
    message: Any  # a catalogue string, worded when shown (in the reader's language)


@dataclass
class RowOutcome:
    row: int
    number: str
    outcome: str  # create | update | unchanged | error


@dataclass
class UpsertReport:
    outcomes: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    new_departments: list[str] = field(default_factory=list)
    new_positions: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


class RowsRefused(ServiceError):
    """Rows that cannot be saved; `report` holds every row's outcome and error."""

    def __init__(self, report: UpsertReport) -> None:
        super().__init__(
            _l("%(count)d rows need correcting; nothing was saved.", count=len(report.errors))
        )
        self.report = report


def parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    found = DATE.fullmatch(text)
    if found is None:
        raise ValueError(text)
    year, month, day = (int(p) for p in found.groups() if p is not None)
    return date(year, month, day)  # a ValueError for 2024-13-01 or 2024-02-30


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def upsert_employees(
    session: Session,
    org_id: int,
    rows: list[dict[str, Any]],
    user_id: int | None,
    *,
    dry_run: bool = False,
    first_row: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> UpsertReport:
    """Check every row, then (unless `dry_run`) apply them all; raises RowsRefused with the
    report when any row is wrong. Rows are numbered from `first_row` (2 for a file with a
    header line)."""
    report = UpsertReport()
    existing = {
        e.number: e
        for e in session.scalars(select(Employee).where(Employee.organization_id == org_id))
    }
    departments = {
        d.name: d
        for d in session.scalars(select(Department).where(Department.organization_id == org_id))
    }
    positions = {
        p.name: p
        for p in session.scalars(select(Position).where(Position.organization_id == org_id))
    }
    plans: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, len(rows))
        row = first_row + index
        values = {name: _text(raw.get(name)) for name in FIELDS}
        if not any(values.values()):
            continue  # an empty line
        errors = _check_row(row, values, seen)
        plan = dict(values)
        try:
            plan["hire_date"] = parse_date(raw.get("hire_date"))
        except ValueError:
            errors.append(
                RowError(
                    row,
                    "hire_date",
                    _l(
                        "%(value)r is not a date (%(examples)s)",
                        value=values["hire_date"],
                        examples=DATE_EXAMPLES,
                    ),
                )
            )
        plan["status"] = STATUS_WORDS.get(values["status"].lower() or "active")
        if plan["status"] is None:
            errors.append(RowError(row, "status", _l("use active or left")))
        report.errors.extend(errors)
        if values["number"] and values["number"] not in seen:
            seen[values["number"]] = row
        plans.append((row, plan))

    batch = {plan["number"]: (row, plan) for row, plan in plans if plan["number"]}
    for row, plan in plans:
        boss = plan["manager_number"]
        if boss and boss not in batch and boss not in existing:
            report.errors.append(
                RowError(
                    row,
                    "manager_number",
                    _l("no employee %(number)s here or in the file", number=boss),
                )
            )
        if boss and boss == plan["number"]:
            report.errors.append(RowError(row, "manager_number", _l("cannot report to oneself")))
    report.errors.extend(_loops(batch, existing))

    wrong = {e.row for e in report.errors}
    for row, plan in plans:
        if row in wrong:
            outcome = "error"
        elif plan["number"] not in existing:
            outcome = "create"
        else:
            outcome = (
                "unchanged"
                if _same(existing[plan["number"]], plan, departments, positions, existing)
                else "update"
            )
        report.outcomes.append(RowOutcome(row, plan["number"], outcome))
    report.new_departments = sorted(
        {p["department"] for _r, p in plans if p["department"]} - set(departments)
    )
    report.new_positions = sorted(
        {p["position"] for _r, p in plans if p["position"]} - set(positions)
    )
    if report.errors:
        report.errors.sort(
            key=lambda e: (e.row, FIELDS.index(e.column) if e.column in FIELDS else 99)
        )
        raise RowsRefused(report)
    if dry_run:
        if progress is not None:
            progress(len(rows), len(rows))
        return report
    _apply(session, org_id, plans, report, existing, departments, positions)
    if progress is not None:
        progress(len(rows), len(rows))
    audit.record(
        session,
        org_id,
        user_id,
        "employees.imported",
        "organization",
        org_id,
        created=report.count("create"),
        updated=report.count("update"),
        unchanged=report.count("unchanged"),
    )
    return report


def _check_row(row: int, values: dict[str, str], seen: dict[str, int]) -> list[RowError]:
    errors = [
        RowError(
            row,
            name,
            _l("contains a control character (%(char)s)", char=describe(char)),
        )
        for name, value in values.items()
        if (char := bad_text(value, multiline=False))
    ]
    number = values["number"]
    if not number:
        errors.append(RowError(row, "number", _l("the employee number is missing")))
    elif " " in number or len(number) > 40:
        errors.append(
            RowError(
                row,
                "number",
                _l("an employee number has no spaces and at most 40 characters"),
            )
        )
    elif number in seen:
        errors.append(
            RowError(
                row,
                "number",
                _l("%(number)s is also on row %(row)d", number=number, row=seen[number]),
            )
        )
    if not values["name"]:
        errors.append(RowError(row, "name", _l("the name is missing")))
    elif len(values["name"]) > 120:
        errors.append(RowError(row, "name", _l("at most 120 characters")))
    if values["email"] and not EMAIL.fullmatch(values["email"]):
        errors.append(
            RowError(
                row,
                "email",
                _l("%(value)r is not an email address", value=values["email"]),
            )
        )
    for column in ("department", "position"):
        if len(values[column]) > 120:
            errors.append(RowError(row, column, _l("at most 120 characters")))
    return errors


def _loops(batch: dict[str, tuple[int, dict]], existing: dict[str, Employee]) -> list[RowError]:
    """Reporting loops the batch would create, each reported once, on the row of its first
    member in the file, with its chain from there. Linear: every employee is walked once
    (each has one manager, so a walk either ends, meets an earlier walk, or closes a loop)."""
    by_id = {e.id: e.number for e in existing.values()}
    boss_of = {number: by_id.get(e.manager_id) for number, e in existing.items() if e.manager_id}
    for number, (_row, plan) in batch.items():
        boss_of[number] = plan["manager_number"] or None
    order = {number: index for index, number in enumerate(batch)}
    walked: set[str] = set()
    loops = []
    for start in batch:
        path: dict[str, int] = {}  # this walk, in order
        current: str | None = start
        while current is not None and current not in walked and current not in path:
            path[current] = len(path)
            current = boss_of.get(current)
        walked.update(path)
        if current is not None and current in path:  # this walk closed a loop
            loop = list(path)[path[current] :]
            first = min((n for n in loop if n in order), key=order.__getitem__, default=None)
            if first is not None:
                at = loop.index(first)
                loops.append((order[first], [*loop[at:], *loop[:at], first]))
    errors = []
    for _position, chain in sorted(loops):
        text = " → ".join(chain)
        errors.append(
            RowError(
                batch[chain[0]][0],
                "manager_number",
                _l("reporting loop: %(chain)s", chain=text),
            )
        )
    return errors


def _same(
    employee: Employee, plan: dict, departments: dict, positions: dict, existing: dict
) -> bool:
    manager = existing.get(plan["manager_number"]) if plan["manager_number"] else None
    department = departments.get(plan["department"])
    position = positions.get(plan["position"])
    return (
        employee.name == plan["name"]
        and (employee.email or "") == plan["email"].lower()
        and employee.department_id == (department.id if department else None)
        and employee.position_id == (position.id if position else None)
        and employee.manager_id == (manager.id if manager else None)
        and employee.hire_date == plan["hire_date"]
        and employee.status == plan["status"]
        and (not plan["manager_number"] or manager is not None)
    )


def _apply(session, org_id, plans, report, existing, departments, positions) -> None:
    for name in report.new_departments:
        departments[name] = Department(organization_id=org_id, name=name)
        session.add(departments[name])
    for name in report.new_positions:
        positions[name] = Position(organization_id=org_id, name=name)
        session.add(positions[name])
    session.flush()
    people = dict(existing)
    for _row, plan in plans:
        employee = people.get(plan["number"]) or Employee(
            organization_id=org_id, number=plan["number"]
        )
        employee.name = plan["name"]
        employee.email = plan["email"].lower() or None
        employee.department_id = departments[plan["department"]].id if plan["department"] else None
        employee.position_id = positions[plan["position"]].id if plan["position"] else None
        employee.hire_date = plan["hire_date"]
        employee.status = plan["status"]
        session.add(employee)
        people[plan["number"]] = employee
    session.flush()
    for _row, plan in plans:
        boss = people.get(plan["manager_number"]) if plan["manager_number"] else None
        people[plan["number"]].manager_id = boss.id if boss else None
    session.flush()


# -- files: column mapping ---------------------------------------------------------------------

REQUIRED = ("number", "name")
ALIASES = {
    "number": ("number", "employee number", "employee no", "工号", "员工编号", "编号", "员工工号"),
    "name": ("name", "full name", "姓名", "员工姓名", "名字"),
    "email": ("email", "e-mail", "邮箱", "电子邮箱", "邮件"),
    "department": ("department", "dept", "部门", "所属部门"),
    "position": ("position", "job", "title", "岗位", "职位", "职务"),
    "manager_number": (
        "manager_number",
        "manager number",
        "manager",
        "上级工号",
        "直属上级工号",
        "直属上级",
    ),
    "hire_date": ("hire_date", "hire date", "start date", "入职日期", "入职时间"),
    "status": ("status", "状态", "在职状态"),
}
SAMPLE_ROWS = [
    ["E001", "王建国", "wang@example.com", "总经办", "总经理", "", "2015-03-01", "在职"],
    ["E002", "李静", "", "人力资源部", "人事专员", "E001", "2019/07/15", "在职"],
    ["E003", "张伟", "", "财务部", "会计", "E001", "2018年5月20日", "离职"],
]


def guess_mapping(
    header: list[str],
    remembered: dict[str, str] | None = None,
    *,
    fields: tuple[str, ...] = FIELDS,
    aliases: dict[str, tuple[str, ...]] = ALIASES,
) -> dict[str, str]:
    """Our field → the file's column: the remembered choice where that column is still there,
    else the column whose name is a known alias. Other imports (customers) pass their own
    `fields` and `aliases`."""
    remembered = remembered or {}
    lowered = {h.strip().lower(): h for h in header}
    mapping = {}
    for name in fields:
        if remembered.get(name) in header:
            mapping[name] = remembered[name]
            continue
        for alias in aliases[name]:
            if alias in lowered:
                mapping[name] = lowered[alias]
                break
    return mapping


def mapping_problems(
    mapping: dict[str, str],
    header: list[str],
    *,
    fields: tuple[str, ...] = FIELDS,
    required: tuple[str, ...] = REQUIRED,
) -> dict[str, Any]:
    """What is wrong with a mapping, by our field name."""
    problems = {}
    for name in required:
        if not mapping.get(name):
            problems[name] = _l("choose the column that holds this")
    used: dict[str, str] = {}
    for name in fields:
        column = mapping.get(name)
        if not column:
            continue
        if column not in header:
            problems[name] = _l("the file has no column %(column)s", column=column)
        elif column in used:
            problems[name] = _l(
                "column %(column)s is already mapped to %(field)s",
                column=column,
                field=used[column],
            )
        else:
            used[column] = name
    return problems


def mapped_rows(header: list[str], rows: list[list[str]], mapping: dict[str, str]) -> list[dict]:
    index = {name: header.index(column) for name, column in mapping.items() if column in header}
    return [{name: row[i] for name, i in index.items()} for row in rows]


def remembered_mapping(session: Session, org_id: int, kind: str) -> dict[str, str]:
    row = session.scalar(
        select(ImportMapping).where(
            ImportMapping.organization_id == org_id, ImportMapping.kind == kind
        )
    )
    return dict(row.columns) if row else {}


def remember_mapping(session: Session, org_id: int, kind: str, mapping: dict[str, str]) -> None:
    row = session.scalar(
        select(ImportMapping).where(
            ImportMapping.organization_id == org_id, ImportMapping.kind == kind
        )
    )
    if row is None:
        row = ImportMapping(organization_id=org_id, kind=kind)
        session.add(row)
    row.columns = {k: v for k, v in mapping.items() if v}
