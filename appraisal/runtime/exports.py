"""A cycle's results for payroll: every figure from the engine, per appraisal."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import Cycle
from .figures import cycle_appraisals
from .reviews import final_result

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


def results_table(session: Session, cycle: Cycle) -> tuple[list[str], list[list[Any]]]:
    """Header and rows: the employee, the state, the engine's totals, the computed and the
    final (calibrated) grade, and each of the template's outputs (pay coefficient,
    commission, …) as its own column, computed with the final grade."""
    definition = cycle.scheme.template_version.definition
    outputs = [o["key"] for o in definition.get("outputs", [])]
    rows = []
    for appraisal in cycle_appraisals(session, cycle):
        result = final_result(appraisal)
        employee = appraisal.employee
        rows.append(
            [
                employee.number,
                employee.name,
                employee.department.name if employee.department else "",
                employee.position.name if employee.position else "",
                appraisal.state,
                "yes" if result.complete else "no",
                result.base_total,
                result.total,
                result.computed_grade,
                result.grade,
                result.veto,
                *(result.outputs.get(key) for key in outputs),
            ]
        )
    return BASE_COLUMNS + outputs, rows
