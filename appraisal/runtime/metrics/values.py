"""Binding a scheme's `data` items to metrics, HR's overrides of computed values, and the
records behind a value (its drill-down). Services: take a Session, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ... import audit
from ...concurrency import EditConflict, expect_version
from ...errors import ServiceError
from ...models import (
    DEFAULT_TIME_ZONE,
    ActivityRecord,
    Appraisal,
    Cycle,
    ExternalEvent,
    MetricValue,
    Organization,
    Scheme,
    SchemeMetric,
    utcnow,
)
from ...models.metrics import METRIC_NUMBER
from ...rules import CompiledMetric, typed_number
from ...states import CycleState, EventStatus, RecordStatus
from ..compiled import version_template
from ..cycles.figures import put_computed
from ..render import role_fields
from .compute import Refreshed, computable, refresh_cycle, row_of_event, row_of_record
from .definitions import activity_types, compiled_metrics, metric_definitions

REASON_LIMIT = 2000
#: The places a stored value keeps (`METRIC_NUMBER`); an override with more is refused.
KEPT_PLACES = Decimal(1).scaleb(-(METRIC_NUMBER.scale or 0))


class ComputedFigureRefused(ServiceError):
    """A refusal naming the form field it is about (None: the whole form)."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def bindable_items(scheme: Scheme) -> list[Any]:
    """The scheme's `data` inputs (items and adjustments), which a metric may fill."""
    return role_fields(version_template(scheme.template_version), "data")


def bind_metrics(
    session: Session,
    scheme: Scheme,
    chosen: Mapping[str, str | None],
    user_id: int | None,
    shown: Mapping[str, str | None] | None = None,
) -> Refreshed:
    """Set which metric fills each `data` item (None: typed as before) and recompute the
    scheme's open cycles. An item a metric no longer fills keeps its last value, typed from
    now on; values of closed cycles never change.

    `shown` is what the sender's page showed for each item: an item someone else rebound
    since then refuses the save (optimistic locking without a version column: a binding is
    one small row per item, and the page knows exactly what it showed)."""
    items = {f.key for f in bindable_items(scheme)}
    metrics = metric_definitions(session, scheme.organization_id)
    for item_key, metric_key in chosen.items():
        if item_key not in items:
            raise ComputedFigureRefused(_l("%(key)s is not a figure of this scheme.", key=item_key))
        if metric_key and (metric_key not in metrics or metrics[metric_key].archived):
            raise ComputedFigureRefused(_l("No such metric."), item_key)
    current = {b.item_key: b for b in session.scalars(_bindings(scheme.id))}
    before = {key: binding.metric.key for key, binding in current.items()}
    if shown is not None:
        now = {key: binding.metric.key for key, binding in current.items()}
        if any(now.get(key) != shown.get(key) for key in chosen):
            raise EditConflict(
                None,
                _l("Someone else changed these bindings since you opened the page; reload it."),
            )
    changed = {}
    for item_key, metric_key in chosen.items():
        binding = current.get(item_key)
        if not metric_key:
            if binding is not None:
                session.delete(binding)
                _forget_open_values(session, scheme, item_key)
                changed[item_key] = None
            continue
        metric = metrics[metric_key]
        if binding is None:
            session.add(
                SchemeMetric(
                    organization_id=scheme.organization_id,
                    scheme_id=scheme.id,
                    item_key=item_key,
                    metric_id=metric.id,
                )
            )
        elif binding.metric_id != metric.id:
            binding.metric_id = metric.id
        else:
            continue
        changed[item_key] = metric_key
    session.flush()
    if changed:
        audit.record(
            session,
            scheme.organization_id,
            user_id,
            "scheme.metrics_bound",
            "scheme",
            scheme.id,
            changes=audit.changes(before, before | changed),
        )
    total = Refreshed(0, 0)
    for cycle in session.scalars(
        select(Cycle).where(Cycle.scheme_id == scheme.id, Cycle.state != CycleState.CLOSED)
    ):
        done = refresh_cycle(session, cycle)
        total += done
    return total


def _bindings(scheme_id: int):
    return select(SchemeMetric).where(SchemeMetric.scheme_id == scheme_id)


def _forget_open_values(session: Session, scheme: Scheme, item_key: str) -> None:
    open_appraisals = (
        select(Appraisal.id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(Cycle.scheme_id == scheme.id, Cycle.state != CycleState.CLOSED)
    )
    session.execute(
        delete(MetricValue).where(
            MetricValue.item_key == item_key,
            MetricValue.appraisal_id.in_(open_appraisals),
            MetricValue.frozen_at.is_(None),
        )
    )


# -- overrides ---------------------------------------------------------------------------------


def metric_value_or_none(
    session: Session, org_id: int, appraisal_id: int, item_key: str
) -> MetricValue | None:
    return session.scalar(
        select(MetricValue).where(
            MetricValue.organization_id == org_id,
            MetricValue.appraisal_id == appraisal_id,
            MetricValue.item_key == item_key,
        )
    )


def override_value(
    session: Session,
    value: MetricValue,
    text: str,
    reason: str,
    user_id: int | None,
    version: int | None,
) -> None:
    """HR sets (or, with blank text, clears) the value an appraisal uses instead of the
    computed one. A reason is required either way; it is kept and audited, and the
    override stays through every recomputation until cleared."""
    expect_version(value, version)
    appraisal = value.appraisal
    if not computable(appraisal):
        raise ComputedFigureRefused(
            _l("This appraisal's figures can no longer change (past calibration or closed).")
        )
    reason = (reason or "").strip()
    if not reason:
        raise ComputedFigureRefused(_l("Say why: a reason is required."), "reason")
    if len(reason) > REASON_LIMIT:
        raise ComputedFigureRefused(_l("At most 2000 characters."), "reason")
    text = (text or "").strip()
    override = None
    if text:
        override = typed_number(text.replace(",", ""))
        if override is None or override.copy_abs() >= Decimal("1e15"):
            raise ComputedFigureRefused(_l("Enter a number."), "value")
        if override != override.quantize(KEPT_PLACES):  # kept rounded, scored as typed
            raise ComputedFigureRefused(_l("Use at most 4 decimal places."), "value")
        refused = put_computed(appraisal, {value.item_key: override})
        if refused:
            raise ComputedFigureRefused(next(iter(refused.values())), "value")
    elif put_computed(appraisal, {value.item_key: value.computed}):
        put_computed(appraisal, {value.item_key: None})  # the item refuses it: blank
    before = {value.item_key: value.override}
    value.override = override
    value.override_reason = reason
    value.overridden_by_id = user_id
    value.overridden_at = utcnow()
    session.flush()
    audit.record(
        session,
        value.organization_id,
        user_id,
        "metric.overridden" if override is not None else "metric.override_cleared",
        "appraisal",
        appraisal.id,
        item=value.item_key,
        changes=audit.changes(before, {value.item_key: override}),
        computed=None if value.computed is None else str(value.computed),
        reason=reason,
    )


# -- drill-down --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Behind:
    """The rows a value was computed from: field records or events, and whether each
    passed the metric's filter in the period."""

    metric: CompiledMetric | None
    records: list[ActivityRecord]
    events: list[ExternalEvent]
    kind: str  # activity, event, customers, ratio


DRILL_LIMIT = 500
#: Sources counted by a query of their own, with no records or events to list.
NO_ROWS = ("customers", "plans")
#: The two metrics a ratio divides, as `rows_behind` names them.
RATIO_PARTS = ("numerator", "denominator")


def rows_behind(session: Session, value: MetricValue, part: str | None = None) -> Behind:
    """What one appraisal's computed value read: the person's records (or events) of the
    metric's source in the cycle's period, newest first, at most DRILL_LIMIT. For a ratio,
    `part` ("numerator" or "denominator") reads that part's metric instead."""
    appraisal = value.appraisal
    cycle = appraisal.cycle
    metric_key = value.metric.key
    compiled = compiled_metrics(session, value.organization_id, {metric_key}).get(metric_key)
    if compiled is not None and compiled.aggregation == "ratio" and part in RATIO_PARTS:
        metric_key = getattr(compiled, part)
        compiled = compiled_metrics(session, value.organization_id, {metric_key}).get(metric_key)
    if compiled is None or compiled.aggregation == "ratio" or compiled.source.kind in NO_ROWS:
        kind = compiled.aggregation if compiled and compiled.aggregation == "ratio" else ""
        if compiled is not None and compiled.source.kind in NO_ROWS:
            kind = compiled.source.kind
        return Behind(compiled, [], [], kind)
    start, end = cycle.starts_on, cycle.ends_on
    if compiled.source.kind == "activity":
        activity_type = activity_types(session, value.organization_id).get(compiled.source.key)
        if activity_type is None:
            return Behind(compiled, [], [], "activity")
        query = select(ActivityRecord).where(
            ActivityRecord.organization_id == value.organization_id,
            ActivityRecord.employee_id == appraisal.employee_id,
            ActivityRecord.activity_type_id == activity_type.id,
            ActivityRecord.status != RecordStatus.RETURNED,
        )
        query = query.order_by(ActivityRecord.occurred_at.desc())
        if compiled.date_field is None:
            query = query.where(ActivityRecord.occurred_on.between(start, end)).limit(DRILL_LIMIT)
            return Behind(compiled, list(session.scalars(query)), [], "activity")
        zone = _zone(session, cycle)
        placed = (r for r in session.scalars(query) if _in(compiled, row_of_record(r, zone), cycle))
        return Behind(compiled, list(islice(placed, DRILL_LIMIT)), [], "activity")
    query = select(ExternalEvent).where(
        ExternalEvent.organization_id == value.organization_id,
        ExternalEvent.employee_id == appraisal.employee_id,
        ExternalEvent.kind == compiled.source.key,
        ExternalEvent.status == EventStatus.MATCHED,
    )
    query = query.order_by(ExternalEvent.occurred_at.desc())
    if compiled.date_field is None:
        query = query.where(ExternalEvent.occurred_on.between(start, end)).limit(DRILL_LIMIT)
        return Behind(compiled, [], list(session.scalars(query)), "event")
    zone = _zone(session, cycle)
    placed = (e for e in session.scalars(query) if _in(compiled, row_of_event(e, zone), cycle))
    return Behind(compiled, [], list(islice(placed, DRILL_LIMIT)), "event")


def _zone(session: Session, cycle: Cycle) -> ZoneInfo:
    organization = session.get(Organization, cycle.organization_id)
    return ZoneInfo(organization.time_zone if organization else DEFAULT_TIME_ZONE)


def _in(metric: CompiledMetric, row: dict[str, Any], cycle: Cycle) -> bool:
    """Whether a row's own date field (a metric placing records by one) is in the cycle."""
    day = metric.day(row)
    return day is not None and cycle.starts_on <= day <= cycle.ends_on
