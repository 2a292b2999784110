"""Deadline reminders: a periodic job (every NOTIFICATIONS_REMIND_MINUTES) that tells the
people whose step is still open, on the days each cycle's `reminder_days` name around its
due dates (-3: three days before, 0: on the day, 1: the day after).

Days are the organization's (`Organization.today`): at 23:30 UTC it is already the next day
in Shanghai. A reminder is an event keyed `cycle:<id>:<step>:<due>:<offset>`, told once per
person (a manager with ten reports hears once that their reviews are due), so running the
job again, or after a restart, tells nobody twice. Offsets before the day and on it are
"approaching" (`{days}`: days left, 0 on the day) and only while the step is not overdue;
offsets after it are "passed" (`{days}`: days since). When the worker was down over a
reminder day, the latest reminder that is due is sent, once; the earlier ones are dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..jobs.registry import Progress, periodic
from ..models import (
    Appraisal,
    Cycle,
    CycleState,
    Employee,
    Organization,
    Review,
    ReviewStatus,
    utcnow,
)
from ..runtime import workflow
from ..runtime.continuous import checkins
from ..runtime.cycles.tasks import STEP_DUE, due_for, overdue_in_step
from ..runtime.reviews.access import GROUPS
from ..runtime.reviews.inputs import missing_targets
from ..states import AppraisalState, NotificationKind
from .events import STEP_OF, members, path, staff
from .services import Event, notify

REMIND = "notifications.remind"
#: Cycles whose steps can still be open (HR's tasks count the same).
IN_PROGRESS = (CycleState.RUNNING, CycleState.CALIBRATION)
#: Peer and subordinate reviews are due with the manager's review ("My tasks" says so).
PEER_DUE = AppraisalState.MANAGER_REVIEW


@dataclass(frozen=True)
class Reminder:
    """One reminder that is due today: which offset, and how it reads."""

    offset: int
    kind: NotificationKind
    days: int


def reminder_due(due: date, offsets: list[int], today: date) -> Reminder | None:
    """The reminder to send today for a step due on `due`: the latest offset whose day has
    come (a missed day is caught up once, by the latest), or None. An "approaching" offset
    is not sent once the step is overdue."""
    reached = [
        o for o in set(offsets) if due + timedelta(days=o) <= today and (o > 0 or today <= due)
    ]
    if not reached:
        return None
    offset = max(reached)
    if offset > 0:
        return Reminder(offset, NotificationKind.DEADLINE_PASSED, (today - due).days)
    return Reminder(offset, NotificationKind.DEADLINE_APPROACHING, (due - today).days)


def remind_due(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Raise today's reminders in every organization; returns how many events were raised."""
    now = now or utcnow()
    cycles = list(
        session.scalars(
            select(Cycle)
            .where(Cycle.state.in_([s.value for s in IN_PROGRESS]))
            .order_by(Cycle.organization_id, Cycle.id)
        )
    )
    by_org: dict[int, list[Cycle]] = defaultdict(list)
    for cycle in cycles:
        by_org[cycle.organization_id].append(cycle)
    raised = {"events": 0, "people": 0}
    for org_id, org_cycles in by_org.items():
        org = session.get(Organization, org_id)
        assert org is not None
        today = org.today(now)
        for cycle in org_cycles:
            for step, state in _steps():
                due = due_for(cycle, state)
                reminder = reminder_due(due, cycle.reminder_days or [], today) if due else None
                if reminder is None:
                    continue
                people = _open_people(session, cycle, step, state, today, reminder)
                if not people:
                    continue
                notify(session, _event(cycle, step, due, reminder, people), now)
                raised["events"] += 1
                raised["people"] += len(people)
    return raised


def _steps() -> list[tuple[str, str]]:
    """(step code, the state whose due date it follows): the workflow's steps, then peers."""
    return [(STEP_OF[state], state) for state in STEP_DUE] + [("peer", PEER_DUE)]


def _event(cycle: Cycle, step: str, due: date, reminder: Reminder, people: list[int]) -> Event:
    context: dict[str, Any] = {
        "cycle": cycle.name,
        "step": step,
        "due": due.isoformat(),
        "days": reminder.days,
    }
    return Event(
        cycle.organization_id,
        reminder.kind,
        f"cycle:{cycle.id}:{step}:{due.isoformat()}:{reminder.offset}",
        people,
        context,
        path("runtime.my_tasks"),
        to_groups=step != "peer",  # a group must not read who reviews whom
    )


def _open_people(
    session: Session, cycle: Cycle, step: str, state: str, today: date, reminder: Reminder
) -> list[int]:
    """The accounts whose part of `step` is still open in `cycle`."""
    if step == "peer":
        return _open_reviewers(session, cycle)
    query = (
        select(Appraisal)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .where(
            Appraisal.cycle_id == cycle.id,
            Appraisal.state == state,
            Employee.status == "active",
        )
        .options(selectinload(Appraisal.employee), selectinload(Appraisal.manager))
    )
    if reminder.kind == NotificationKind.DEADLINE_PASSED:
        query = query.where(overdue_in_step(today))
    wanted: set[int | None] = set()
    hr_for: set[int | None] = set()  # whose manager's part HR does (no manager)
    for appraisal in session.scalars(query):
        if state == AppraisalState.GOAL_SETTING:
            # the employee confirms; while targets are missing, the manager sets them
            wanted.add(appraisal.employee.user_id)
            if missing_targets(appraisal):
                wanted.add(appraisal.manager.user_id if appraisal.manager else None)
                if appraisal.manager is None:
                    hr_for.add(appraisal.employee.user_id)
        elif state == AppraisalState.SELF_REVIEW:
            wanted.add(appraisal.employee.user_id)
        elif appraisal.manager is not None:
            wanted.add(appraisal.manager.user_id)
        else:  # HR does the manager's part where there is none
            hr_for.add(appraisal.employee.user_id)
    # an HR admin is reminded of others' appraisals, never of their own manager's part
    wanted |= {hr for hr in staff(session, cycle.organization_id) if hr_for - {hr}}
    return sorted(members(session, cycle.organization_id, wanted))


def _open_reviewers(session: Session, cycle: Cycle) -> list[int]:
    """Invited peers and subordinates who have not submitted, on appraisals still reviewed."""
    reviewers = session.scalars(
        select(Review.reviewer_id)
        .join(Appraisal, Appraisal.id == Review.appraisal_id)
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(
            Appraisal.cycle_id == cycle.id,
            Appraisal.state.in_([str(s) for s in workflow.REVIEWING]),
            Employee.status == "active",
            Review.rater.in_(list(GROUPS)),
            Review.status != ReviewStatus.SUBMITTED,
        )
    )
    return sorted(members(session, cycle.organization_id, reviewers))


@periodic(REMIND, every="NOTIFICATIONS_REMIND_MINUTES")
def remind(session: Session, progress: Progress) -> dict[str, Any]:
    """Today's deadline reminders, every hour or so (a run that finds them told adds none),
    and the notices of 1:1 check-ins due (`checkins.remind_due`)."""
    raised = remind_due(session)
    raised["checkins"] = checkins.remind_due(session, utcnow())
    progress(raised["events"], raised["events"])
    return raised
