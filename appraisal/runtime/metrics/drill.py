"""The drill-down of one computed figure: the records (or events) of the appraisal's period
behind it, each with whether it passed the metric's filter, decided by the same rules the
computation used (`compute.row_of_record`, `CompiledMetric.passes`); for a ratio, its two
parts; for customers assigned, the customers. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...i18n import label_text
from ...models import (
    Customer,
    MetricValue,
    Organization,
    customer_reps,
)
from ...rules import EVENT_KINDS, CompiledMetric
from ..fieldwork.reading import form_of, status_text, text_of
from .compute import row_of_event, row_of_record
from .shown import Computed, Wording
from .values import DRILL_LIMIT, RATIO_PARTS, rows_behind


@dataclass(frozen=True)
class Row:
    """One record or event as the drill-down lists it."""

    at: datetime  # on the organization's clock
    customer: str
    values: list[tuple[str, str]]  # (label, text) of the fields the metric reads
    flagged: bool
    status: str
    counted: bool  # in the period and through the filter
    uuid: str | None = None  # a field record's: its page


@dataclass(frozen=True)
class Part:
    which: str  # numerator, denominator
    name: str
    words: str


@dataclass
class Drill:
    shown: Computed
    metric: CompiledMetric | None
    kind: str  # activity, event, customers, ratio
    rows: list[Row] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    part: str | None = None  # the ratio part whose rows are listed
    truncated: bool = False


def _read_fields(metric: CompiledMetric) -> list[str]:
    """The fields a metric reads, in a stable order: its field, duration ends, filters."""
    keys = [metric.field, metric.start, metric.end]
    keys += [c.field for c in metric.filters] + [c.field for c in metric.condition]
    seen: list[str] = []
    for key in keys:
        if key and key not in seen and key not in ("customer", "occurred_at", "occurred_on"):
            seen.append(key)
    return seen


def _counts(metric: CompiledMetric, row: dict[str, Any], start: Any, end: Any) -> bool:
    day = metric.day(row)
    return day is not None and start <= day <= end and metric.passes(row)


def drill_down(session: Session, value: MetricValue, part: str | None = None) -> Drill:
    """What one appraisal's computed figure was computed from (`part`: a ratio's numerator
    or denominator, whose rows are then listed)."""
    appraisal = value.appraisal
    wording = Wording(session, value.organization_id, {value.metric.key})
    shown = wording.computed(value)
    metric = wording.metrics.get(value.metric.key)
    drill = Drill(shown, metric, "ratio" if metric and metric.aggregation == "ratio" else "")
    if metric is not None and metric.aggregation == "ratio":
        provenance = value.provenance or {}
        parts = Wording(session, value.organization_id, {metric.numerator, metric.denominator})
        for which in RATIO_PARTS:
            key = getattr(metric, which) or ""
            found = parts.metrics.get(key)
            drill.parts.append(
                Part(
                    which,
                    label_text(found.name) if found else key,
                    parts.read(found, provenance.get(which) or {}),
                )
            )
        if part not in RATIO_PARTS:
            return drill
        drill.part = part
    behind = rows_behind(session, value, part)
    metric = behind.metric
    drill.kind = behind.kind if drill.kind != "ratio" else drill.kind
    if metric is None:
        return drill
    org = session.get(Organization, value.organization_id)
    assert org is not None
    zone = ZoneInfo(org.time_zone)
    start, end = appraisal.cycle.starts_on, appraisal.cycle.ends_on
    if metric.source.kind == "customers":
        drill.customers = list(
            session.scalars(
                select(Customer)
                .join(customer_reps, customer_reps.c.customer_id == Customer.id)
                .where(
                    customer_reps.c.employee_id == appraisal.employee_id,
                    Customer.organization_id == value.organization_id,
                    Customer.active.is_(True),
                )
                .order_by(Customer.code)
            )
        )
        return drill
    reads = _read_fields(metric)
    if behind.records:
        names = {
            c.id: c.name
            for c in session.scalars(
                select(Customer).where(
                    Customer.id.in_({r.customer_id for r in behind.records if r.customer_id})
                )
            )
        }
        forms: dict[int, Any] = {}
        for record in behind.records:
            form = form_of(record.type_version, forms)
            row = row_of_record(record, zone)
            shown_values = []
            for key in reads:
                found = form.field(key)
                if found is not None:
                    shown_values.append((label_text(found.label), text_of(found, row.get(key))))
            drill.rows.append(
                Row(
                    row["occurred_at"],
                    names.get(record.customer_id, ""),
                    shown_values,
                    row["outside_geofence"],
                    status_text(record.status),
                    _counts(metric, row, start, end),
                    record.uuid,
                )
            )
    for event in behind.events:
        row = row_of_event(event, zone)
        kind = EVENT_KINDS.get(event.kind)
        shown_values = []
        for key in reads:
            found = kind.field(key) if kind else None
            if found is not None:
                shown_values.append((label_text(found.label), text_of(found, row.get(key))))
        drill.rows.append(
            Row(
                row["occurred_at"],
                str(row.get("customer") or ""),
                shown_values,
                False,
                event.source,
                _counts(metric, row, start, end),
            )
        )
    drill.truncated = len(behind.records) + len(behind.events) >= DRILL_LIMIT
    return drill
