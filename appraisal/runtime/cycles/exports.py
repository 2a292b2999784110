"""A cycle's results for payroll: every figure from the engine, per appraisal."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ...i18n import label_text
from ...labels import export_header, export_value, yes_no
from ...models import Cycle
from ...scopes import EVERYWHERE, Reach
from ..reviews.access import final_result
from .figures import cycle_appraisals

BASE_COLUMNS = [
    "employee_number",
    "name",
    "department",
    "position",
    "state",
    "complete",
    "base_total",
    "total",
    "computed_grade",
    "grade",
    "veto",
]


def results_table_for(
    session: Session, cycle: Cycle, _roles: frozenset[str], where: Reach
) -> tuple[list[str], list[list[Any]]]:
    """`results_table` as a cycle file (`background.CYCLE_TABLES`)."""
    return results_table(session, cycle, where)


def results_table(
    session: Session, cycle: Cycle, where: Reach = EVERYWHERE
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows: the employee, the state, the engine's totals, the computed and the
    final (calibrated) grade, and each of the template's outputs (pay coefficient,
    commission, …) as its own column, computed with the final grade; headers and states in
    the user's language. `where`: a scoped reader's departments."""
    definition = cycle.scheme.template_version.definition
    outputs = [o["key"] for o in definition.get("outputs", [])]
    rows = []
    for appraisal in cycle_appraisals(session, cycle, where):
        result = final_result(appraisal)
        employee = appraisal.employee
        rows.append(
            [
                employee.number,
                employee.name,
                employee.department.name if employee.department else "",
                employee.position.name if employee.position else "",
                export_value(appraisal.state, "state"),
                yes_no(result.complete),
                result.base_total,
                result.total,
                result.computed_grade,
                result.grade,
                result.veto,
                *(result.outputs.get(key) for key in outputs),
            ]
        )
    names = {o["key"]: label_text(o.get("name")) for o in definition.get("outputs", [])}
    return export_header(BASE_COLUMNS + outputs, names), rows
