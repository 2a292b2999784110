"""Business events from a CSV/XLSX file: the kind and source chosen on the form, the file's
columns mapped (external id, time, person, each attribute of the kind; remembered per
kind), a dry run with every row's outcome, then all or nothing, through `receive_events`
(the API's service), with the employee import's mapping and report machinery."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ...people.imports import RowError, RowOutcome, UpsertReport
from ...rules import EVENT_KINDS
from .events import EventsRefused, receive_events

BASE_FIELDS = ("external_id", "occurred_at", "person")
REQUIRED = BASE_FIELDS
NAMES = {
    "external_id": _l("External id"),
    "occurred_at": _l("Occurred at"),
    "person": _l("Person"),
}
BASE_ALIASES = {
    "external_id": ("external_id", "external id", "id", "编号", "线索编号", "单号", "工单号"),
    "occurred_at": ("occurred_at", "occurred at", "time", "时间", "创建时间", "发生时间"),
    "person": (
        "person",
        "employee_number",
        "工号",
        "负责人工号",
        "负责人",
        "email",
        "邮箱",
        "user_id",
        "用户id",
    ),
}


def mapping_kind(kind: str) -> str:
    """The remembered mapping's name: one per event kind (their columns differ)."""
    return f"events:{kind}"


def fields_of(kind: str) -> tuple[str, ...]:
    return BASE_FIELDS + tuple(f.key for f in EVENT_KINDS[kind].fields)


def field_labels(kind: str) -> list[tuple[str, Any]]:
    return [(name, NAMES[name]) for name in BASE_FIELDS] + [
        (f.key, f.label) for f in EVENT_KINDS[kind].fields
    ]


def aliases(kind: str) -> dict[str, tuple[str, ...]]:
    """Each field's usual column names: its key and its label in both languages."""
    found = dict(BASE_ALIASES)
    for f in EVENT_KINDS[kind].fields:
        words = [f.key, *(f.label.values() if isinstance(f.label, dict) else [f.label])]
        found[f.key] = tuple(str(w).strip().lower() for w in words)
    return found


def import_events(
    session: Session,
    org_id: int,
    rows: list[Mapping[str, Any]],
    *,
    kind: str,
    source: str,
    person_kind: str,
    user_id: int | None,
    dry_run: bool,
) -> UpsertReport:
    """Each row (a header line first: rows count from 2) as an event; a report of every
    row's outcome (matched, held, unchanged) or its problems by column. Raises
    `RowsRefused`-compatible `EventsRefused` with the report attached when any is wrong."""
    attributes = [f.key for f in EVENT_KINDS[kind].fields]
    lines: list[int] = []
    batch: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2):
        if not any(str(v).strip() for v in row.values() if v is not None):
            continue  # an empty line of the file
        lines.append(number)
        person = row.get("person")
        batch.append(
            {
                "source": source,
                "kind": kind,
                "external_id": row.get("external_id"),
                "occurred_at": row.get("occurred_at"),
                "person": {person_kind: person if person is not None else ""},
                "attributes": {
                    key: row[key]
                    for key in attributes
                    if key in row and row[key] is not None and str(row[key]).strip() != ""
                },
            }
        )
    report = UpsertReport()
    try:
        received = receive_events(session, org_id, batch, user_id, dry_run=dry_run, via="file")
    except EventsRefused as refused:
        for problem in refused.problems:
            column = _column(problem.field)
            report.errors.append(RowError(lines[problem.index], column, problem.message))
        failed = {p.index for p in refused.problems}
        report.outcomes = [
            RowOutcome(line, str(batch[i]["external_id"] or ""), "error" if i in failed else "ok")
            for i, line in enumerate(lines)
        ]
        refused.report = report
        raise
    report.outcomes = [
        RowOutcome(lines[o.index], o.external_id, o.status) for o in received.outcomes
    ]
    return report


def _column(field: str) -> str:
    """Where a problem shows: the mapped column of its field (`attributes.amount` → amount,
    `person.email` → person); the source or kind chosen on the form otherwise."""
    head, _, rest = field.partition(".")
    if head == "attributes" and rest:
        return rest
    return head
