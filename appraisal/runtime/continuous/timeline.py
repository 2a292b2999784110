"""The evidence timeline beside the manager's review form: what happened in the cycle's
period, so ratings cite facts. Plan progress, check-ins, feedback notes, field records and
the computed figures, newest first, capped.

Each source goes through its own reading rule for the viewer (`plans.reads_plans_of`,
`checkins.may_read`, `feedback.readable`, `fieldwork.access.sees_records_of`,
`metrics.shown.READERS`), so a private check-in, a note kept from the recipient or the plan
of someone who has moved to another manager shows only to whom it was already shown.
Peer and subordinate answers are not a source at all: they stay behind the appraisal's
anonymity threshold on the score panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import (
    ActivityRecord,
    Appraisal,
    Employee,
    Organization,
    PlanUpdate,
    WorkPlan,
    as_utc,
)
from ..fieldwork.access import sees_records_of
from ..metrics.shown import READERS, computed_figures, plain
from ..reviews.access import Viewer
from . import checkins, feedback, plans

#: At most this many entries (the newest); the page says how many more there were.
CAP = 60


@dataclass(frozen=True)
class Entry:
    when: datetime
    kind: str  # plan | checkin | feedback | record | metric
    title: Any  # text, or a label in both languages (a field record's form name)
    text: str = ""
    detail: dict[str, Any] | None = None
    link: tuple[str, dict[str, Any]] | None = None  # (endpoint, values)


@dataclass(frozen=True)
class Timeline:
    entries: list[Entry]
    more: int  # entries left out by the cap


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def timeline(
    session: Session, appraisal: Appraisal, viewer: Viewer, rels: frozenset[str]
) -> Timeline:
    employee = appraisal.employee
    start, end = appraisal.cycle.starts_on, appraisal.cycle.ends_on
    entries = [
        *_plans(session, viewer, employee, start, end),
        *_checkins(session, viewer, employee, start, end),
        *_feedback(session, viewer, employee, start, end),
        *_records(session, viewer, employee, start, end),
        *_metrics(session, appraisal, rels),
    ]
    entries.sort(key=lambda e: as_utc(e.when), reverse=True)
    return Timeline(entries[:CAP], max(0, len(entries) - CAP))


def _plans(
    session: Session, viewer: Viewer, employee: Employee, start: date, end: date
) -> list[Entry]:
    if not plans.reads_plans_of(viewer, employee):
        return []
    updates = session.scalars(
        select(PlanUpdate)
        .join(WorkPlan, WorkPlan.id == PlanUpdate.plan_id)
        .where(
            WorkPlan.organization_id == employee.organization_id,
            WorkPlan.employee_id == employee.id,
            WorkPlan.starts_on <= end,
            WorkPlan.ends_on >= start,
        )
        .options(
            selectinload(PlanUpdate.item),
            selectinload(PlanUpdate.author),
            selectinload(PlanUpdate.files),
            selectinload(PlanUpdate.photos),
        )
        .order_by(PlanUpdate.created_at.desc())
        .limit(CAP)
    )
    return [
        Entry(
            u.created_at,
            "plan",
            u.item.title if u.item else "",
            u.note,
            {
                "progress": u.progress,
                "evidence": u.evidence,
                "files": len(u.files),  # read on the plan's page, which checks who reads
                "photos": len(u.photos),
            },
            ("runtime.plan", {"id": u.plan_id}),
        )
        for u in updates
    ]


def _checkins(
    session: Session, viewer: Viewer, employee: Employee, start: date, end: date
) -> list[Entry]:
    found = [
        c for c in checkins.checkins_for(session, viewer, employee.id) if start <= c.held_on <= end
    ]
    return [
        Entry(
            _at(c.held_on),
            "checkin",
            c.manager.name,
            c.notes or c.agenda,
            {"blockers": c.blockers, "actions": c.actions},
            ("runtime.checkin", {"id": c.id}),
        )
        for c in found[:CAP]
    ]


def _feedback(
    session: Session,
    viewer: Viewer,
    employee: Employee,
    start: date,
    end: date,
) -> list[Entry]:
    """The notes given in the period, each on its day of the organization's clock (a note
    given just after midnight in Shanghai is still the day before in UTC), with the name of
    the indicator a note is about."""
    org = session.get(Organization, employee.organization_id)
    assert org is not None
    notes = [
        n
        for n in feedback.notes_for(session, viewer, employee.id)
        if start <= org.today(as_utc(n.created_at)) <= end
    ][:CAP]
    indicators = feedback.indicator_names(
        session, org.id, {n.indicator_id for n in notes if n.indicator_id}
    )
    return [
        Entry(
            n.created_at,
            "feedback",
            n.author.name if n.author else "",
            n.text,
            {
                "kind": n.kind,
                "visibility": n.visibility,
                "indicator": indicators.get(n.indicator_id) if n.indicator_id else None,
            },
        )
        for n in notes
    ]


def _records(
    session: Session, viewer: Viewer, employee: Employee, start: date, end: date
) -> list[Entry]:
    if not sees_records_of(viewer, employee):
        return []
    records = session.scalars(
        select(ActivityRecord)
        .where(
            ActivityRecord.organization_id == employee.organization_id,
            ActivityRecord.employee_id == employee.id,
            ActivityRecord.occurred_on >= start,
            ActivityRecord.occurred_on <= end,
        )
        .options(selectinload(ActivityRecord.type_version))
        .order_by(ActivityRecord.occurred_at.desc())
        .limit(CAP)
    )
    return [
        Entry(
            r.occurred_at,
            "record",
            r.type_version.definition.get("name") or "",  # a label: {"en": …, "zh": …}
            "",
            {"status": r.status},
            ("runtime.field_record", {"uuid": r.uuid}),
        )
        for r in records
    ]


def _metrics(session: Session, appraisal: Appraisal, rels: frozenset[str]) -> list[Entry]:
    if not rels & READERS:
        return []
    found = computed_figures(session, appraisal.organization_id, [appraisal])
    return [
        Entry(
            shown.value.computed_at,
            "metric",
            key,
            shown.words,
            {"value": plain(shown.value.effective)},
            ("runtime.computed_figure", {"id": appraisal.id, "key": key}),
        )
        for (_id, key), shown in found.items()
    ]
