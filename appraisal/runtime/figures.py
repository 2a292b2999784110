"""Figures (`data` inputs) and targets for a whole cycle at once, keyed by employee number
and item key: the HR grid, the managers' target grid, and later file imports and the API all
come through here. All or nothing: one bad value and nothing is applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..errors import ServiceError
from ..models import Appraisal, Cycle, Employee, Review
from . import workflow
from .render import Field, role_fields, target_fields
from .reviews import Viewer, check_targets, check_values, refresh_result, relations
from .targets import SplitRefused, split_target, sum_matches


@dataclass(frozen=True)
class Entry:
    """One value for one employee's item; `value` is typed text or a number."""

    employee_number: str
    key: str
    value: Any
    row: int | None = None


@dataclass(frozen=True)
class EntryError:
    employee_number: str
    key: str
    message: dict[str, str]
    row: int | None = None


class EntriesRefused(ServiceError):
    def __init__(self, errors: list[EntryError]) -> None:
        super().__init__(
            _l("%(count)d values need correcting; nothing was saved.", count=len(errors))
        )
        self.errors = errors


def require_open(cycle: Cycle) -> None:
    if cycle.state == "closed":
        raise ServiceError(_l("The cycle is closed; nothing can change."))


def cycle_appraisals(session: Session, cycle: Cycle) -> list[Appraisal]:
    return list(
        session.scalars(
            select(Appraisal)
            .join(Employee, Employee.id == Appraisal.employee_id)
            .where(Appraisal.cycle_id == cycle.id)
            .options(
                selectinload(Appraisal.employee).selectinload(Employee.department),
                selectinload(Appraisal.employee).selectinload(Employee.position),
                selectinload(Appraisal.manager),
                selectinload(Appraisal.reviews),
                selectinload(Appraisal.template_version),
                selectinload(Appraisal.cycle),
            )
            .order_by(Employee.number)
        )
    )


def figure_fields(cycle: Cycle) -> list[Field]:
    return role_fields(cycle.scheme.template_version.definition, "data")


def cycle_target_fields(cycle: Cycle) -> list[Field]:
    return target_fields(cycle.scheme.template_version.definition)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _by_number(appraisals: list[Appraisal]) -> dict[str, Appraisal]:
    return {a.employee.number: a for a in appraisals}


def _rows_by_value(entries: list[Entry]) -> dict[tuple[str, str], int | None]:
    """Where each (employee number, key) came from, looked up per error without a scan."""
    rows: dict[tuple[str, str], int | None] = {}
    for entry in entries:
        rows.setdefault((entry.employee_number, entry.key), entry.row)
    return rows


def _unknown(entry: Entry, en: str, zh: str) -> EntryError:
    return EntryError(entry.employee_number, entry.key, {"en": en, "zh": zh}, entry.row)


def set_figures(session: Session, cycle: Cycle, entries: list[Entry], user_id: int | None) -> int:
    """Save figures; returns how many values changed. Blank text clears a figure."""
    require_open(cycle)
    appraisals = _by_number(cycle_appraisals(session, cycle))
    errors: list[EntryError] = []
    grouped: dict[str, dict[str, str]] = {}
    for entry in entries:
        appraisal = appraisals.get(entry.employee_number)
        if appraisal is None:
            errors.append(
                _unknown(
                    entry,
                    "No appraisal in this cycle for this employee number",
                    "本周期没有该工号的考核单",
                )
            )
            continue
        if not workflow.can_edit("data", appraisal.state, {"hr"}):
            errors.append(
                _unknown(entry, "This appraisal is past calibration", "该考核单已过校准阶段")
            )
            continue
        if appraisal.employee.status != "active":
            errors.append(_unknown(entry, "This employee has left", "该员工已离职"))
            continue
        grouped.setdefault(entry.employee_number, {})[f"data.{entry.key}"] = _text(entry.value)
    changed = 0
    updates: list[tuple[Appraisal, dict[str, Any]]] = []
    rows = _rows_by_value(entries)
    for number, raw in grouped.items():
        appraisal = appraisals[number]
        definition = appraisal.definition
        review = next((r for r in appraisal.reviews if r.slot == "data"), None)
        current = dict(review.values) if review else {}
        merged = {f"data.{k}": _text(v) for k, v in current.items()} | raw
        values, problems = check_values(definition, "data", role_fields(definition, "data"), merged)
        for name, message in problems.items():
            key = name.split(".", 1)[-1]
            errors.append(EntryError(number, key, message, rows.get((number, key))))
        changed += sum(1 for k in raw if values.get(k[5:]) != current.get(k[5:]))
        updates.append((appraisal, values))
    if errors:
        raise EntriesRefused(errors)
    for appraisal, values in updates:
        review = next((r for r in appraisal.reviews if r.slot == "data"), None)
        if review is None:
            review = Review(organization_id=appraisal.organization_id, slot="data", rater="data")
            appraisal.reviews.append(review)
        if review.values != values:
            review.values = values
            review.updated_by_id = user_id
        refresh_result(appraisal)
    audit.record(
        session,
        cycle.organization_id,
        user_id,
        "cycle.figures_set",
        "cycle",
        cycle.id,
        values=len(entries),
        changed=changed,
    )
    return changed


def set_targets(session: Session, cycle: Cycle, entries: list[Entry], viewer: Viewer) -> int:
    """Save targets for several employees; only those whose goals the viewer may set."""
    require_open(cycle)
    appraisals = _by_number(cycle_appraisals(session, cycle))
    errors: list[EntryError] = []
    grouped: dict[str, dict[str, str]] = {}
    for entry in entries:
        appraisal = appraisals.get(entry.employee_number)
        if appraisal is None or not relations(appraisal, viewer) & {"manager", "hr"}:
            errors.append(
                _unknown(
                    entry,
                    "No appraisal of your team has this employee number",
                    "您的团队中没有该工号的考核单",
                )
            )
            continue
        if not workflow.can_edit("targets", appraisal.state, relations(appraisal, viewer)):
            errors.append(
                _unknown(
                    entry,
                    "Goals are already confirmed; ask HR to reopen",
                    "目标已确认，如需修改请联系人力资源部重新打开",
                )
            )
            continue
        grouped.setdefault(entry.employee_number, {})[f"targets.{entry.key}"] = _text(entry.value)
    updates = []
    changed = 0
    rows = _rows_by_value(entries)
    for number, raw in grouped.items():
        appraisal = appraisals[number]
        current = {f"targets.{k}": _text(v) for k, v in (appraisal.targets or {}).items()}
        targets, problems = check_targets(appraisal.definition, current | raw)
        for name, message in problems.items():
            key = name.split(".", 1)[-1]
            errors.append(EntryError(number, key, message, rows.get((number, key))))
        changed += sum(1 for k, v in targets.items() if (appraisal.targets or {}).get(k) != v)
        updates.append((appraisal, targets))
    if errors:
        raise EntriesRefused(errors)
    for appraisal, targets in updates:
        if appraisal.targets != targets:
            appraisal.targets = targets
            refresh_result(appraisal)
    audit.record(
        session,
        cycle.organization_id,
        viewer.user_id,
        "cycle.targets_set",
        "cycle",
        cycle.id,
        values=len(entries),
        changed=changed,
    )
    return changed


def team_appraisals(session: Session, cycle: Cycle, viewer: Viewer) -> list[Appraisal]:
    """The appraisals of a cycle whose targets the viewer sets: their team, or all for HR."""
    return [a for a in cycle_appraisals(session, cycle) if relations(a, viewer) & {"manager", "hr"}]


def previous_actuals(session: Session, cycle: Cycle, key: str) -> dict[str, float]:
    """Last cycle's figure for `key` per employee number, as a basis for splitting targets."""
    earlier = session.scalar(
        select(Cycle)
        .where(
            Cycle.organization_id == cycle.organization_id,
            Cycle.id != cycle.id,
            Cycle.ends_on < cycle.starts_on,
            Cycle.launched_at.is_not(None),
        )
        .order_by(Cycle.ends_on.desc())
        .limit(1)
    )
    if earlier is None:
        return {}
    found = {}
    for appraisal in cycle_appraisals(session, earlier):
        review = next((r for r in appraisal.reviews if r.slot == "data"), None)
        value = (review.values if review else {}).get(key)
        if isinstance(value, int | float):
            found[appraisal.employee.number] = float(value)
    return found


# -- team targets ------------------------------------------------------------------------------

SPLIT_REFUSALS = {
    "no_members": _l("There is nobody to split the target among."),
    "negative": _l("Targets and basis values cannot be negative."),
    "no_basis": _l("Enter a basis (for example last period's actual) for at least one member."),
}


def plain(number: float) -> str:
    """12000.5 and 90000 rather than 1.20005e+04 and 90000.00."""
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _team_total(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ServiceError(_l("The team target must be a number.")) from None


def locked_targets(team: list[Appraisal], key: str) -> list[float]:
    """Targets of members whose goals are confirmed: they count, but are not split again."""
    return [
        float(a.targets[key])
        for a in team
        if a.state != "goal_setting" and isinstance((a.targets or {}).get(key), int | float)
    ]


def check_team_total(
    team: list[Appraisal], key: str, total_text: str, entries: list[Entry]
) -> None:
    """The team's targets for `key` (confirmed ones and those typed) must add up to the total."""
    total = _team_total(total_text)
    shares = locked_targets(team, key)
    for entry in entries:
        if entry.key == key and str(entry.value).strip():
            try:
                shares.append(float(entry.value))
            except ValueError:
                return  # the grid reports the bad cell itself
    if not sum_matches(total, shares):
        raise ServiceError(
            _l(
                "The targets for %(key)s add up to %(sum)s, not the team target %(total)s.",
                key=key,
                sum=plain(sum(shares)),
                total=plain(total),
            )
        )


@dataclass(frozen=True)
class Split:
    amount: float  # what was split: the team total less the confirmed targets
    shares: dict[str, float]  # by employee number


def split_team_target(
    session: Session,
    cycle: Cycle,
    team: list[Appraisal],
    key: str,
    total_text: str,
    method: str,
    basis_text: dict[str, str],
) -> Split:
    """Shares of a team target among the members whose goals are still open: equal, in
    proportion to typed basis values, or to last period's actual figures."""
    if key not in {f.key for f in cycle_target_fields(cycle)}:
        raise ServiceError(_l("Choose the item to split."))
    amount = _team_total(total_text) - sum(locked_targets(team, key))
    numbers = [a.employee.number for a in team if a.state == "goal_setting"]
    basis: dict[str, float] | None = None
    if method == "last_actual":
        basis = previous_actuals(session, cycle, key)
    elif method == "proportional":
        try:
            basis = {n: float(basis_text.get(n) or 0) for n in numbers}
        except ValueError:
            raise ServiceError(_l("Basis values must be numbers.")) from None
    try:
        return Split(amount, split_target(amount, numbers, basis))
    except SplitRefused as refused:
        raise ServiceError(SPLIT_REFUSALS[refused.code]) from None


# -- from files ----------------------------------------------------------------------------------

NUMBER_ALIASES = ("employee_number", "employee number", "number", "工号", "员工编号", "编号")


def file_columns(cycle: Cycle, with_targets: bool) -> list[tuple[str, Any]]:
    """What a figures file may hold: the employee number, each `data` item and adjustment,
    and (for HR) each per-employee target."""
    columns: list[tuple[str, Any]] = [("employee_number", _l("Employee number"))]
    columns += [(f"data:{f.key}", f.label) for f in figure_fields(cycle)]
    if with_targets:
        columns += [
            (
                f"target:{f.key}",
                {"en": f"Target: {_name(f.label, 'en')}", "zh": f"目标：{_name(f.label, 'zh')}"},
            )
            for f in cycle_target_fields(cycle)
        ]
    return columns


def _name(label: Any, language: str) -> str:
    return label.get(language) or label.get("en") or "" if isinstance(label, dict) else str(label)


def guess_file_mapping(
    header: list[str], columns: list[tuple[str, Any]], remembered: dict[str, str]
) -> dict[str, str]:
    """Our column → the file's: remembered, else matched by key or name (any language)."""
    lowered = {h.strip().lower(): h for h in header}
    mapping = {}
    for name, label in columns:
        if remembered.get(name) in header:
            mapping[name] = remembered[name]
            continue
        key = name.split(":", 1)[-1]
        prefix = name.split(":", 1)[0]
        candidates = list(NUMBER_ALIASES) if name == "employee_number" else [key]
        if prefix == "data":
            candidates += [_name(label, "zh"), _name(label, "en")]
        elif prefix == "target":
            candidates += [f"target:{key}", _name(label, "zh"), _name(label, "en")]
        for candidate in candidates:
            if candidate and candidate.strip().lower() in lowered:
                mapping[name] = lowered[candidate.strip().lower()]
                break
    return mapping


def file_mapping_problems(mapping: dict[str, str]) -> dict[str, dict[str, str]]:
    problems = {}
    if not mapping.get("employee_number"):
        problems["employee_number"] = {
            "en": "choose the column that holds this",
            "zh": "请选择对应的列",
        }
    if len(mapping) < 2 and "employee_number" not in problems:
        problems["employee_number"] = {
            "en": "map at least one figure column",
            "zh": "请至少对应一列数据",
        }
    used: dict[str, str] = {}
    for name, column in mapping.items():
        if column in used:
            problems[name] = {
                "en": f"column {column} is already mapped to {used[column]}",
                "zh": f"{column} 列已对应到 {used[column]}",
            }
        used[column] = name
    return problems


def entries_from_file(
    header: list[str], rows: list[list[str]], mapping: dict[str, str]
) -> tuple[list[Entry], list[Entry]]:
    """Figure and target entries, each with its file row (the header is row 1). A blank cell
    leaves the value as it is rather than clearing it."""
    number_at = header.index(mapping["employee_number"])
    columns = [
        (*name.split(":", 1), header.index(column))
        for name, column in mapping.items()
        if name != "employee_number"
    ]
    found: dict[str, list[Entry]] = {"data": [], "target": []}
    for index, row in enumerate(rows, start=2):
        number = row[number_at].strip()
        for kind, key, at in columns:
            value = row[at].strip()
            if value:
                found[kind].append(Entry(number, key, value, row=index))
    return found["data"], found["target"]
