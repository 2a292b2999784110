"""Computing metric values into appraisals.

A scheme's bound `data` items are computed for each appraisal over its cycle's period
(`starts_on`..`ends_on`, the organization's local days): for a whole cycle (the sweep, a
rebinding, HR's "recompute"), and for one person right after their record or event changes.
The value goes into the appraisal's figures through `cycles.figures.put_computed`, checked as
a typed figure is; each item's `MetricValue` keeps what was computed, from how many records,
and HR's override, which recomputation leaves in place.

Only appraisals whose figures may still change are computed (before calibration ends, the
employee still active, the cycle not closed): a published total never moves under its
reader, and closing a cycle freezes its values so an appeal cites the number that was used.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, cast, func, null, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from ...bulk import collector_paused, insert_in_bulk, update_in_bulk, update_versioned
from ...db import in_chunks
from ...models import (
    ActivityRecord,
    Appraisal,
    Customer,
    Cycle,
    Employee,
    EmployeeStatus,
    ExternalEvent,
    MetricValue,
    Organization,
    as_utc,
    customer_reps,
    utcnow,
)
from ...rules import (
    ACTIVITY_BUILTINS,
    CompiledMetric,
    Measure,
    assigned,
    divide,
    measure,
    measure_all,
    on_time,
)
from ...states import CycleState, EventStatus, RecordStatus
from .. import workflow
from ..continuous.completion import on_time_counts
from ..cycles.figures import changes_figures, make_figures_reviews, put_computed
from .definitions import activity_types, compiled_metrics, scheme_bindings

Rows = dict[int, list[dict[str, Any]]]  # employee id → their rows


@dataclass(frozen=True)
class Refreshed:
    appraisals: int  # appraisals computed
    changed: int  # values that changed

    def __add__(self, other: Refreshed) -> Refreshed:
        return Refreshed(self.appraisals + other.appraisals, self.changed + other.changed)


def computable(appraisal: Appraisal) -> bool:
    """Whether an appraisal's figures may still change (as a typed figure may)."""
    return _may_change(appraisal.cycle.state, appraisal.state, appraisal.employee.status)


def _may_change(cycle_state: str, appraisal_state: str, employee_status: str) -> bool:
    return (
        cycle_state != CycleState.CLOSED
        and workflow.can_edit("data", appraisal_state, {"hr"})
        and employee_status == EmployeeStatus.ACTIVE
    )


#: What writing computed figures into an appraisal reads: its figures, its template, its
#: cycle and employee (`put_computed`, scoring).
_WHAT_IT_READS = (
    selectinload(Appraisal.employee),
    selectinload(Appraisal.reviews),
    selectinload(Appraisal.template_version),
    selectinload(Appraisal.cycle),
)


@dataclass(frozen=True)
class _Open:
    """An appraisal whose figures may still change: what computing it reads, as plain
    values (the objects are loaded only for the appraisals whose values moved)."""

    id: int
    organization_id: int
    employee_id: int


def _open_appraisals(session: Session, cycle: Cycle, employee_ids: set[int] | None) -> list[_Open]:
    query = (
        select(
            Appraisal.id,
            Appraisal.organization_id,
            Appraisal.employee_id,
            Appraisal.state,
            Employee.status,
        )
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(Appraisal.cycle_id == cycle.id)
    )
    if employee_ids is not None:
        query = query.where(Appraisal.employee_id.in_(employee_ids))
    return [
        _Open(id, org_id, employee_id)
        for id, org_id, employee_id, state, status in session.execute(query)
        if _may_change(cycle.state, state, status)
    ]


#: A job's progress report: (appraisals done, appraisals to do); see `jobs.registry`.
Progress = Callable[[int, int], None]
#: Appraisals computed between two progress reports.
PROGRESS_EVERY = 100


def refresh_cycle(session: Session, cycle: Cycle, progress: Progress | None = None) -> Refreshed:
    """Compute every bound item of every open appraisal of a cycle; `progress` hears how far
    it is every PROGRESS_EVERY appraisals (the "recompute now" job's progress bar)."""
    if cycle.state == CycleState.CLOSED:
        return Refreshed(0, 0)
    with collector_paused():
        return _refresh(session, cycle, None, progress)


def refresh_employees(session: Session, org_id: int, employee_ids: Iterable[int]) -> Refreshed:
    """Recompute the open appraisals of these people (after their record or event changed),
    reading only their rows: one person's update stays quick in a company of thousands."""
    ids = set(employee_ids)
    if not ids:
        return Refreshed(0, 0)
    theirs = select(Appraisal.cycle_id).where(
        Appraisal.organization_id == org_id, Appraisal.employee_id.in_(ids)
    )
    cycles = session.scalars(
        select(Cycle)
        .where(Cycle.id.in_(theirs), Cycle.state != CycleState.CLOSED)
        .order_by(Cycle.id)
    )
    total = Refreshed(0, 0)
    for cycle in list(cycles):
        total += _refresh(session, cycle, ids)
    return total


def refresh_open_cycles(
    session: Session, org_id: int | None = None, progress: Progress | None = None
) -> Refreshed:
    """The periodic sweep: every cycle not closed whose scheme binds a metric; `progress`
    hears (cycles done, cycles) after each."""
    query = select(Cycle).where(Cycle.state != CycleState.CLOSED, Cycle.launched_at.is_not(None))
    if org_id is not None:
        query = query.where(Cycle.organization_id == org_id)
    total = Refreshed(0, 0)
    cycles = list(session.scalars(query.order_by(Cycle.id)))
    for count, cycle in enumerate(cycles, 1):
        done = refresh_cycle(session, cycle)
        total += done
        if progress is not None:
            progress(count, len(cycles))
    return total


def freeze_cycle(session: Session, cycle: Cycle) -> None:
    """Mark a closing cycle's values as the ones used; nothing recomputes them afterwards."""
    now = utcnow()
    for value in session.scalars(
        select(MetricValue)
        .join(Appraisal, Appraisal.id == MetricValue.appraisal_id)
        .where(Appraisal.cycle_id == cycle.id, MetricValue.frozen_at.is_(None))
    ):
        value.frozen_at = now


# -- computing ---------------------------------------------------------------------------------


def _refresh(
    session: Session,
    cycle: Cycle,
    employee_ids: set[int] | None,
    progress: Progress | None = None,
) -> Refreshed:
    bindings = scheme_bindings(session, cycle.scheme_id)
    if not bindings:
        return Refreshed(0, 0)
    appraisals = _open_appraisals(session, cycle, employee_ids)
    if not appraisals:
        return Refreshed(0, 0)
    org = session.get(Organization, cycle.organization_id)
    assert org is not None
    metrics = compiled_metrics(session, org.id, {m.key for m in bindings.values()})
    people = employee_ids if employee_ids is not None else {a.employee_id for a in appraisals}
    measures = _measures(session, org, metrics, cycle.starts_on, cycle.ends_on, people)
    stored = _stored_values(session, [a.id for a in appraisals])
    changed = 0
    new: dict[tuple[int, str], dict[str, Any]] = {}  # values computed for the first time
    updated: dict[tuple[int, str], dict[str, Any]] = {}  # stored values that change
    moved: dict[int, dict[str, Decimal | None]] = {}  # appraisal → figures, where one moved
    for count, appraisal in enumerate(appraisals):
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count, len(appraisals))
        figures: dict[str, Decimal | None] = {}
        for item_key, metric in bindings.items():
            if metric.key not in metrics:
                continue  # no longer compiles: the item keeps its last value
            found = measures[metric.key].get(appraisal.employee_id) or _nothing(metrics[metric.key])
            value = stored.get((appraisal.id, item_key))
            if value is None:
                new[(appraisal.id, item_key)] = {
                    "organization_id": appraisal.organization_id,
                    "appraisal_id": appraisal.id,
                    "item_key": item_key,
                    "metric_id": metric.id,
                    "computed": found.value,
                    "provenance": found.provenance(),
                }
                figures[item_key] = found.value
                moved[appraisal.id] = figures
                changed += 1
                continue
            change = value.change(metric.id, found)
            if change is not None:
                updated[(appraisal.id, item_key)] = change
                moved[appraisal.id] = figures
                changed += 1
            figures[item_key] = value.effective(change)
    for appraisal, problems in _put_computed(session, moved):
        for item_key, message in problems.items():
            key = (appraisal.id, item_key)
            if key in new:
                row = new[key]
                row["provenance"] = {**row["provenance"], "refused": str(message)}
            elif (value := stored.get(key)) is not None:
                row = updated.get(key) or value.unchanged()
                row["provenance"] = {**row["provenance"], "refused": str(message)}
                if key in updated or row["provenance"] != value.provenance:
                    updated[key] = row
    _write(session, list(new.values()), list(updated.values()))
    if progress is not None:
        progress(len(appraisals), len(appraisals))
    return Refreshed(len(appraisals), changed)


def _put_computed(
    session: Session, moved: dict[int, dict[str, Decimal | None]]
) -> Iterator[tuple[Appraisal, dict[str, Any]]]:
    """Each appraisal whose values moved, loaded with what scoring reads, and what its items
    refused of its new figures."""
    for chunk in in_chunks(list(moved)):
        query = select(Appraisal).where(Appraisal.id.in_(chunk)).options(*_WHAT_IT_READS)
        appraisals = list(session.scalars(query))
        make_figures_reviews(session, [a for a in appraisals if changes_figures(a, moved[a.id])])
        refused = [put_computed(appraisal, moved[appraisal.id]) for appraisal in appraisals]
        # their totals and figures in a statement per table, not one per row
        update_in_bulk(session, [*appraisals, *(r for a in appraisals for r in a.reviews)])
        yield from zip(appraisals, refused, strict=True)


@dataclass(frozen=True)
class _Stored:
    """A stored value as a recompute compares it (read as plain values: a cycle has a hundred
    thousand of them)."""

    id: int
    version: int
    metric_id: int
    computed: Decimal | None
    provenance: dict[str, Any]
    override: Decimal | None
    computed_at: datetime

    def change(self, metric_id: int, found: Measure) -> dict[str, Any] | None:
        """The row's new columns when the computation moved, else None (a refusal noted
        beside an unchanged value stands: the item still refuses it)."""
        provenance = found.provenance()
        before = {k: v for k, v in self.provenance.items() if k != "refused"}
        if (self.computed, before, self.metric_id) == (found.value, provenance, metric_id):
            return None
        return self._row(found.value, provenance, metric_id, utcnow())

    def unchanged(self) -> dict[str, Any]:
        return self._row(self.computed, self.provenance, self.metric_id, self.computed_at)

    def _row(self, computed: Any, provenance: Any, metric_id: int, at: datetime) -> dict[str, Any]:
        return {
            "_id": self.id,
            "_version": self.version,
            "computed": computed,
            "provenance": provenance,
            "metric_id": metric_id,
            "computed_at": at,
        }

    def effective(self, change: dict[str, Any] | None) -> Decimal | None:
        if self.override is not None:
            return self.override
        return self.computed if change is None else change["computed"]


def _stored_values(session: Session, appraisal_ids: list[int]) -> dict[tuple[int, str], _Stored]:
    value = MetricValue
    found: dict[tuple[int, str], _Stored] = {}
    for chunk in in_chunks(appraisal_ids):
        for appraisal_id, item_key, *rest in session.execute(
            select(
                value.appraisal_id,
                value.item_key,
                value.id,
                value.version,
                value.metric_id,
                value.computed,
                cast(value.provenance, Text),  # decoded below, as the records' values are
                value.override,
                value.computed_at,
            ).where(value.appraisal_id.in_(chunk))
        ):
            id, version, metric_id, computed, provenance, override, at = rest
            found[(appraisal_id, item_key)] = _Stored(
                id, version, metric_id, computed, _json(provenance) or {}, override, at
            )
    return found


def _write(session: Session, new: list[dict[str, Any]], updated: list[dict[str, Any]]) -> None:
    """New values in one statement, changed ones in another (a cycle writes a hundred
    thousand); a copy of a changed one already in the session is expired."""
    table = MetricValue.__table__
    insert_in_bulk(session, table, new)
    update_versioned(session, table, updated)
    for row in updated:
        held = session.identity_map.get(identity_key(MetricValue, row["_id"]))
        if held is not None:
            session.expire(held)


def _nothing(metric: CompiledMetric) -> Measure:
    return measure(metric, [], date.min, date.min)


def _measures(
    session: Session,
    org: Organization,
    metrics: Mapping[str, CompiledMetric],
    start: date,
    end: date,
    people: set[int],
) -> dict[str, dict[int, Measure]]:
    """Each metric's measure per person; each source is read once for all its metrics."""
    found: dict[str, dict[int, Measure]] = {}
    by_source: dict[tuple[str, str, bool], list[CompiledMetric]] = defaultdict(list)
    for metric in metrics.values():
        if metric.aggregation != "ratio":
            bounded = metric.date_field is None
            by_source[(metric.source.kind, metric.source.key, bounded)].append(metric)
    reader = _Reader(session, org, start, end, people)
    for (kind, key, bounded), group in by_source.items():
        if kind == "customers":
            counts = reader.assigned_customers()
            for metric in group:
                found[metric.key] = {p: assigned(metric, counts.get(p, 0)) for p in people}
            continue
        if kind == "plans":
            found.update(_plan_measures(session, org.id, group, start, end, people))
            continue
        read = reader.activity_rows if kind == "activity" else reader.events
        rows, flagged = read(key, bounded, frozenset().union(*(m.reads for m in group)))
        for metric in group:
            found[metric.key] = {}
        for person in people:  # `bounded`: the query kept the period's rows only
            measured = measure_all(
                group,
                rows.get(person, []),
                start,
                end,
                placed=bounded,
                placed_flagged=flagged.get(person, 0) if bounded else None,
            )
            for metric, result in zip(group, measured, strict=True):
                found[metric.key][person] = result
    for metric in metrics.values():
        if metric.aggregation == "ratio":
            top, bottom = found[metric.numerator or ""], found[metric.denominator or ""]
            found[metric.key] = {p: divide(metric, top[p], bottom[p]) for p in people}
    return found


def _plan_measures(
    session: Session,
    org_id: int,
    metrics: list[CompiledMetric],
    start: date,
    end: date,
    people: set[int],
) -> dict[str, dict[int, Measure]]:
    """The plans source: each person's plan tasks due in the period, and how many of them
    were completed by their due date (`continuous.completion`)."""
    counts = on_time_counts(session, org_id, start, end, people)
    return {m.key: {p: on_time(m, *counts.get(p, (0, 0))) for p in people} for m in metrics}


class _Reader:
    """Loads one source's rows for the period, by person; only the people asked for when
    they are few (one person's live update), the whole organization otherwise."""

    FEW = 500

    def __init__(
        self, session: Session, org: Organization, start: date, end: date, people: set[int]
    ) -> None:
        self.session = session
        self.org = org
        self.start = start
        self.end = end
        self.people = people
        self.zone = ZoneInfo(org.time_zone)

    def _for_people(self, column: Any) -> list[Any]:
        return [column.in_(self.people)] if self._few else []

    @property
    def _few(self) -> bool:
        return len(self.people) <= self.FEW

    def _of_kind(self, column: Any, value: Any) -> Any:
        """The source's condition; for a few people it is checked on their rows rather than
        offered to the index: otherwise a planner without statistics (SQLite) reads every
        row of the kind in the period by the kind's index instead of the person's rows by
        theirs (180 ms instead of 2 for one person among 10,000)."""
        if not self._few:
            return column == value
        return column + (0 if isinstance(value, int) else "") == value  # `+ 0`, `|| ''`

    def _rows(self, query: Any) -> Iterator[tuple[Any, ...]]:
        """The driver's own rows, a batch at a time: a cycle reads a million of them, and
        SQLAlchemy's row objects and type processing (JSON, dates) cost more than the rest of
        the recompute. So the query selects JSON as text and the columns are converted here
        (`_json`, `_day`, `_moment`), the same on SQLite (text) and PostgreSQL (dates)."""
        result = self.session.connection().execute(query)
        try:
            while batch := result.cursor.fetchmany(5000):
                yield from batch
        finally:
            result.close()

    def activity_rows(
        self, type_key: str, bounded: bool, reads: frozenset[str]
    ) -> tuple[Rows, dict[int, int]]:
        """The rows by person, and how many of each person's are outside the geofence
        (counted as they are read: a cycle has a million)."""
        activity_type = activity_types(self.session, self.org.id).get(type_key)
        if activity_type is None:
            return {}, {}
        record = ActivityRecord
        with_values = bool(reads - ACTIVITY_BUILTINS.keys() - {"status"})
        with_time = "occurred_at" in reads
        with_day = not bounded or "occurred_on" in reads
        query = select(  # only what is read: every column costs on a million rows
            record.employee_id,
            cast(record.values, Text) if with_values else null(),
            record.customer_id,
            record.outside_geofence,
            record.latitude.is_not(None),
            record.occurred_at if with_time else null(),
            record.occurred_on if with_day else null(),
            record.status,
        ).where(
            record.organization_id == self.org.id,
            self._of_kind(record.activity_type_id, activity_type.id),
            record.status != RecordStatus.RETURNED,
            *self._for_people(record.employee_id),
        )
        if bounded:
            query = query.where(record.occurred_on.between(self.start, self.end))
        rows: Rows = defaultdict(list)
        flagged: dict[int, int] = defaultdict(int)
        zone = self.zone if with_time else None
        for employee_id, values, customer, outside, located, at, day, status in self._rows(query):
            if outside:
                flagged[employee_id] += 1
            rows[employee_id].append(
                record_row(
                    _json(values) if values is not None else None,
                    customer,
                    outside,
                    located,
                    _moment(at) if at is not None else None,
                    _day(day) if day is not None else None,
                    status,
                    zone,
                    fresh=True,
                )
            )
        return rows, flagged

    def events(
        self, kind: str, bounded: bool, reads: frozenset[str]
    ) -> tuple[Rows, dict[int, int]]:
        """The events by person (none is ever outside a geofence)."""
        event = ExternalEvent
        with_time = "occurred_at" in reads
        with_day = not bounded or "occurred_on" in reads
        query = select(
            event.employee_id,
            cast(event.attributes, Text),
            event.source,
            event.occurred_at if with_time else null(),
            event.occurred_on if with_day else null(),
        ).where(
            event.organization_id == self.org.id,
            self._of_kind(event.kind, kind),
            event.status == EventStatus.MATCHED,
            *self._for_people(event.employee_id),
        )
        if bounded:
            query = query.where(event.occurred_on.between(self.start, self.end))
        rows: Rows = defaultdict(list)
        zone = self.zone if with_time else None
        for employee_id, attributes, source, at, day in self._rows(query):
            rows[employee_id].append(
                event_row(
                    _json(attributes) or {},
                    source,
                    _moment(at) if at is not None else None,
                    _day(day) if day is not None else None,
                    zone,
                    fresh=True,
                )
            )
        return rows, {}

    def assigned_customers(self) -> dict[int, int]:
        query = (
            select(customer_reps.c.employee_id, func.count())
            .join(Customer, Customer.id == customer_reps.c.customer_id)
            .where(
                Customer.organization_id == self.org.id,
                Customer.active.is_(True),
                *self._for_people(customer_reps.c.employee_id),
            )
            .group_by(customer_reps.c.employee_id)
        )
        return {employee_id: count for employee_id, count in self.session.execute(query)}


def _local(moment: Any, zone: ZoneInfo) -> Any:
    return as_utc(moment).astimezone(zone)


_scan = json.JSONDecoder().scan_once


def _json(text: str | None) -> Any:
    """A JSON column read as text (the C scanner, without `json.loads`' wrapping: a cycle
    decodes a million of them)."""
    if text is None:
        return None
    try:
        return _scan(text, 0)[0]
    except StopIteration:  # leading blanks (written by hand): the full parser
        return json.loads(text)


def _day(stored: Any) -> date:
    """A date column as the driver hands it: a date (PostgreSQL) or ISO text (SQLite)."""
    return stored if stored.__class__ is date else date.fromisoformat(stored)


def _moment(stored: Any) -> datetime:
    """A datetime column as the driver hands it (SQLite: ISO text)."""
    return stored if isinstance(stored, datetime) else datetime.fromisoformat(stored)


def row_of_record(record: ActivityRecord, zone: ZoneInfo) -> dict[str, Any]:
    """A field record as a metric reads it. The drill-down reads records through this, so
    it says which records passed the filter exactly as the computation decided."""
    return record_row(
        record.values,
        record.customer_id,
        record.outside_geofence,
        record.latitude is not None,
        record.occurred_at,
        record.occurred_on,
        record.status,
        zone,
    )


def record_row(
    values: dict[str, Any] | None,
    customer_id: int | None,
    outside_geofence: bool | None,
    located: bool,
    occurred_at: Any,
    occurred_on: date | None,
    status: str,
    zone: ZoneInfo | None,
    fresh: bool = False,
) -> dict[str, Any]:
    """A record's form values and its own facts (`rules.ACTIVITY_BUILTINS`), its time on the
    organization's clock; a recompute leaves out what none of its metrics reads (the values,
    the time: `zone` None, the day: None when its query already kept the period's rows).
    `fresh`: `values` was decoded for this row alone, so it is filled in, not copied (a
    cycle builds a million rows)."""
    row = values if fresh and values is not None else {**(values or {})}
    row["customer"] = customer_id
    row["outside_geofence"] = bool(outside_geofence)
    row["has_location"] = bool(located)
    row["occurred_on"] = occurred_on
    row["status"] = status
    if zone is not None:
        row["occurred_at"] = _local(occurred_at, zone)
    return row


def row_of_event(event: ExternalEvent, zone: ZoneInfo) -> dict[str, Any]:
    """An event as a metric reads it (the drill-down's rows, as `row_of_record`)."""
    return event_row(event.attributes, event.source, event.occurred_at, event.occurred_on, zone)


def event_row(
    attributes: dict[str, Any],
    source: str,
    occurred_at: Any,
    occurred_on: date | None,
    zone: ZoneInfo | None,
    fresh: bool = False,
) -> dict[str, Any]:
    """An event's attributes and its own facts (`rules.EVENT_BUILTINS`); `zone` None leaves
    out the time, `fresh` fills `attributes` in, as `record_row`."""
    row = attributes if fresh else {**attributes}
    row["source"] = source
    row["occurred_on"] = occurred_on
    if zone is not None:
        row["occurred_at"] = _local(occurred_at, zone)
    return row


def measure_person(
    session: Session,
    org: Organization,
    metrics: Mapping[str, CompiledMetric],
    key: str,
    employee_id: int,
    start: date,
    end: date,
) -> Measure:
    """One metric for one person over start..end, read and computed exactly as a cycle's
    values are (the builder's preview)."""
    return _measures(session, org, metrics, start, end, {employee_id})[key][employee_id]
