"""The events the areas raise: one small function per event that builds its `Event` (kind,
key, recipients, context, link) from the domain objects and files it with `notify`, inside
the caller's transaction (a rolled-back change tells nobody).

Recipients are accounts: an employee is told through `Employee.user_id`, and only while that
account is an active member of the organization (people without a sign-in are skipped).
Keys name the event once per person: `appraisal:<id>:<step>:v<version>` (the appraisal's
version at the move, so a step reopened later is told again), `review:<id>:invited`,
`appeal:<id>:filed`… Events about many appraisals (a launch, a publication, a targets grid)
are one `Event` with a `Personal` key, name and page per recipient: one bulk insert.
Links are paths inside the app (`url_for(..., _external=False)`); a job or a command has no
request, so they are built from the app's URL map; with no app at all (a bare script) an
event has no link.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask import current_app, has_app_context, has_request_context, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import in_chunks
from ..models import (
    ActivityRecord,
    Appeal,
    Appraisal,
    Cycle,
    Interview,
    Membership,
    MembershipRole,
    Organization,
    Review,
    Role,
    User,
    WorkPlan,
)
from ..runtime.reviews.inputs import missing_targets
from ..states import AppraisalState, NotificationKind
from .services import Event, Personal, notify

K = NotificationKind


# -- helpers -----------------------------------------------------------------------------------


def path(endpoint: str, **values: Any) -> str | None:
    """An app path (`/appraisals/12`), in a request or not (a job, a command)."""
    if has_request_context():
        return url_for(endpoint, _external=False, **values)
    if not has_app_context():
        return None
    app = current_app
    adapter = app.url_map.bind("localhost", script_name=app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def members(session: Session, org_id: int, user_ids: Iterable[int | None]) -> set[int]:
    """The accounts among `user_ids` that are active members of the organization."""
    wanted = sorted({u for u in user_ids if u is not None})
    found: set[int] = set()
    for chunk in in_chunks(wanted):
        found.update(
            session.scalars(
                select(Membership.user_id)
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.organization_id == org_id,
                    Membership.active,
                    User.active,
                    Membership.user_id.in_(chunk),
                )
            )
        )
    return found


def staff(session: Session, org_id: int, roles: Sequence[str] = (Role.ADMIN,)) -> set[int]:
    """The active members holding one of `roles` (HR admins by default)."""
    return set(
        session.scalars(
            select(Membership.user_id)
            .join(MembershipRole, MembershipRole.membership_id == Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.organization_id == org_id,
                Membership.active,
                User.active,
                MembershipRole.role.in_([str(r) for r in roles]),
            )
        )
    )


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def _user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user is not None else ""


def _tell(session: Session, event: Event) -> Event | None:
    if not event.user_ids:
        return None
    notify(session, event)
    return event


# -- tasks: goals, reviews, figures, invitations -----------------------------------------------


#: The step an appraisal's state is, for `{step}` (`catalogue.STEPS`) and keys.
STEP_OF = {
    AppraisalState.GOAL_SETTING: "goals",
    AppraisalState.SELF_REVIEW: "self",
    AppraisalState.MANAGER_REVIEW: "manager",
}


def goals_to_confirm(session: Session, appraisals: Sequence[Appraisal]) -> Event | None:
    """Each employee whose goals can be confirmed now (in goal setting, every per-employee
    target set) is asked to confirm them: at launch, when the last target is set, when HR
    reopens goal setting. The caller passes the appraisals this moment concerns."""
    ready = [
        a
        for a in appraisals
        if a.state == AppraisalState.GOAL_SETTING
        and a.employee.status == "active"
        and not missing_targets(a)
    ]
    if not ready:
        return None
    cycle = ready[0].cycle
    allowed = members(session, cycle.organization_id, (a.employee.user_id for a in ready))
    personal = {
        a.employee.user_id: Personal(
            key=f"appraisal:{a.id}:goals:v{a.version}",
            context={"employee": a.employee.name},
            link=path("runtime.appraisal", id=a.id),
        )
        for a in ready
        if a.employee.user_id in allowed
    }
    return _tell(
        session,
        Event(
            cycle.organization_id,
            K.GOALS_TO_CONFIRM,
            f"cycle:{cycle.id}:goals",
            sorted(personal),
            {"cycle": cycle.name, "due": _iso(cycle.goals_due)},
            personal=personal,
        ),
    )


def step_opened(session: Session, appraisal: Appraisal) -> Event | None:
    """The appraisal just entered its state (a move or a reopening): tell whoever acts now.
    Goal setting asks the employee to confirm; the self-review the employee; the manager's
    review the manager (HR where there is none); calibration on a result still missing
    figures tells the people who enter them."""
    state = appraisal.state
    if state == AppraisalState.GOAL_SETTING:
        return goals_to_confirm(session, [appraisal])
    if state == AppraisalState.CALIBRATION:
        return figures_to_enter(session, appraisal.cycle) if not appraisal.complete else None
    if state not in (AppraisalState.SELF_REVIEW, AppraisalState.MANAGER_REVIEW):
        return None
    if appraisal.employee.status != "active":
        return None
    cycle, org_id = appraisal.cycle, appraisal.organization_id
    if state == AppraisalState.SELF_REVIEW:
        rater, due, wanted = "self", cycle.self_review_due, {appraisal.employee.user_id}
    elif appraisal.manager_id is not None:
        rater, due, wanted = "manager", cycle.manager_review_due, {appraisal.manager.user_id}
    else:  # HR does the manager's part where there is none (never on their own appraisal)
        wanted = staff(session, org_id) - {appraisal.employee.user_id}
        rater, due = "manager", cycle.manager_review_due
    return _tell(
        session,
        Event(
            org_id,
            K.REVIEW_TO_FILL,
            f"appraisal:{appraisal.id}:{STEP_OF[state]}:v{appraisal.version}",
            sorted(members(session, org_id, wanted)),
            {
                "cycle": cycle.name,
                "employee": appraisal.employee.name,
                "step": rater,
                "due": _iso(due),
            },
            path("runtime.review", id=appraisal.id, rater=rater),
        ),
    )


def figures_to_enter(session: Session, cycle: Cycle, today: date | None = None) -> Event | None:
    """Results in `cycle` wait for figures (or HR's values): HR and implementers are told
    how many, at most once a day per cycle (the count is the day's first)."""
    # `tasks` imports `invitations`, which imports this module: read it when called
    from ..runtime.cycles.tasks import WAITING_FOR_FIGURES

    org = session.get(Organization, cycle.organization_id)
    assert org is not None
    today = today or org.today()
    session.flush()
    count = session.scalar(
        select(func.count())
        .select_from(Appraisal)
        .where(Appraisal.cycle_id == cycle.id, WAITING_FOR_FIGURES)
    )
    if not count:
        return None
    return _tell(
        session,
        Event(
            org.id,
            K.FIGURES_TO_ENTER,
            f"cycle:{cycle.id}:figures:{today.isoformat()}",
            sorted(staff(session, org.id, (Role.ADMIN, Role.IMPLEMENTER))),
            {
                "cycle": cycle.name,
                "count": count,
                "due": _iso(cycle.manager_review_due or cycle.ends_on),
            },
            path("runtime.cycle_figures", id=cycle.id),
        ),
    )


def invitation_key(review_id: int) -> str:
    """The event of an invitation to review (also how the delivery log finds it)."""
    return f"review:{review_id}:invited"


def peer_invited(session: Session, review: Review) -> Event | None:
    """A colleague invited to review (a peer or a subordinate) is asked to."""
    appraisal = review.appraisal
    cycle = appraisal.cycle
    return _tell(
        session,
        Event(
            appraisal.organization_id,
            K.PEER_INVITATION,
            invitation_key(review.id),
            sorted(members(session, appraisal.organization_id, [review.reviewer_id])),
            {
                "cycle": cycle.name,
                "employee": appraisal.employee.name,
                "due": _iso(cycle.manager_review_due),
            },
            path("runtime.review", id=appraisal.id, rater=review.rater),
        ),
    )


# -- appeals and results -----------------------------------------------------------------------


def appeal_filed(session: Session, appeal: Appeal, appraisal: Appraisal) -> Event | None:
    """HR admins and the appraisal's manager hear of an appeal."""
    org_id = appraisal.organization_id
    wanted = staff(session, org_id) | {appraisal.manager.user_id if appraisal.manager else None}
    wanted.discard(appraisal.employee.user_id)  # HR appealing their own result
    return _tell(
        session,
        Event(
            org_id,
            K.APPEAL_FILED,
            f"appeal:{appeal.id}:filed",
            sorted(members(session, org_id, wanted)),
            {"cycle": appraisal.cycle.name, "employee": appraisal.employee.name},
            path("runtime.result", id=appraisal.id),
        ),
    )


def appeal_answered(session: Session, appeal: Appeal, appraisal: Appraisal) -> Event | None:
    """The employee reads HR's answer (`decision`: the appeal's status code)."""
    org_id = appraisal.organization_id
    return _tell(
        session,
        Event(
            org_id,
            K.APPEAL_ANSWERED,
            f"appeal:{appeal.id}:answered",
            sorted(members(session, org_id, [appraisal.employee.user_id])),
            {"cycle": appraisal.cycle.name, "decision": appeal.status},
            path("runtime.result", id=appraisal.id),
        ),
    )


def results_published(session: Session, appraisals: Sequence[Appraisal]) -> Event | None:
    """Each employee of the just-published appraisals (of one cycle) may read their result:
    one event, one membership query and bulk inserts, whatever the headcount."""
    if not appraisals:
        return None
    cycle = appraisals[0].cycle
    allowed = members(session, cycle.organization_id, (a.employee.user_id for a in appraisals))
    personal = {
        a.employee.user_id: Personal(
            key=f"appraisal:{a.id}:published:v{a.version}",
            link=path("runtime.result", id=a.id),
        )
        for a in appraisals
        if a.employee.user_id in allowed
    }
    return _tell(
        session,
        Event(
            cycle.organization_id,
            K.RESULT_PUBLISHED,
            f"cycle:{cycle.id}:published",
            sorted(personal),
            {"cycle": cycle.name},
            personal=personal,
        ),
    )


# -- the act phase -----------------------------------------------------------------------------


def _counterpart(session: Session, appraisal: Appraisal, writer_id: int | None) -> str:
    """Whom the employee meets: the appraisal's manager, else whoever wrote the record."""
    if appraisal.manager is not None:
        return appraisal.manager.name
    return _user_name(session, writer_id)


def interview_scheduled(
    session: Session, interview: Interview, appraisal: Appraisal, writer_id: int | None
) -> Event | None:
    """The employee hears when their interview is (`{employee}`: whom they meet;
    `{when}`: the time as entered, on the organization's clock)."""
    org_id = appraisal.organization_id
    return _tell(
        session,
        Event(
            org_id,
            K.INTERVIEW_SCHEDULED,
            f"interview:{interview.id}:scheduled",
            sorted(members(session, org_id, [appraisal.employee.user_id])),
            {
                "cycle": appraisal.cycle.name,
                "employee": _counterpart(session, appraisal, writer_id),
                "when": interview.scheduled_at.strftime("%Y-%m-%d %H:%M"),
            },
            path("runtime.result", id=appraisal.id),
        ),
    )


def interview_to_confirm(
    session: Session, interview: Interview, appraisal: Appraisal, writer_id: int | None
) -> Event | None:
    """A (changed) record waits for both sides' confirmation: the employee, and the manager
    when someone else (HR) wrote it. Each reads the other's name as `{employee}`."""
    org_id = appraisal.organization_id
    employee_user = appraisal.employee.user_id
    manager_user = appraisal.manager.user_id if appraisal.manager else None
    personal = {
        employee_user: Personal(context={"employee": _counterpart(session, appraisal, writer_id)})
    }
    if manager_user is not None and manager_user != writer_id:
        personal[manager_user] = Personal(context={"employee": appraisal.employee.name})
    allowed = members(session, org_id, personal)
    return _tell(
        session,
        Event(
            org_id,
            K.INTERVIEW_TO_CONFIRM,
            f"interview:{interview.id}:recorded:v{interview.version}",
            sorted(u for u in personal if u in allowed),
            {"cycle": appraisal.cycle.name},
            path("runtime.result", id=appraisal.id),
            personal={u: p for u, p in personal.items() if u is not None},
        ),
    )


# -- field work --------------------------------------------------------------------------------


def records_returned(
    session: Session, records: Sequence[ActivityRecord], reviewer_id: int | None
) -> Event | None:
    """A manager returned field records (one return action) to their rep, with comments:
    one notification per action, counting its records."""
    if not records:
        return None
    first = records[0]
    org_id = first.organization_id
    ids = "-".join(str(r.id) for r in sorted(records, key=lambda r: r.id))
    if len(ids) > 60:  # a key's column is short: a long list is named by its digest
        ids = f"{first.id}+{len(records)}#{hashlib.sha256(ids.encode()).hexdigest()[:24]}"
    return _tell(
        session,
        Event(
            org_id,
            K.RECORDS_RETURNED,
            f"records:{ids}:returned:v{max(r.version for r in records)}",
            sorted(members(session, org_id, [first.employee.user_id])),
            {
                "count": len(records),
                "day": first.occurred_on.isoformat(),
                "employee": _user_name(session, reviewer_id),
            },
            path("runtime.field_record", uuid=first.uuid)
            if len(records) == 1
            else path("runtime.field_history"),
        ),
    )


# -- work plans --------------------------------------------------------------------------------

#: A plan move → the sides told of it (`proposer`, `counterpart`: relative to the proposal).
PLAN_NOTICES = {
    "propose": (K.PLAN_PROPOSED, ("counterpart",)),
    "return": (K.PLAN_RETURNED, ("proposer",)),
    "agree": (K.PLAN_AGREED, ("proposer", "counterpart")),
}


def plan_label(plan: WorkPlan) -> str:
    """A plan's period in no language: `2026-11` for a month, `2026-Q4` for a quarter."""
    if plan.period == "month":
        return plan.starts_on.strftime("%Y-%m")
    return f"{plan.starts_on.year}-Q{(plan.starts_on.month - 1) // 3 + 1}"


def plan_moved(session: Session, plan: WorkPlan, action: str, by: str) -> Event | None:
    """A proposal is told to the other side, a return (with its comments) to the proposer,
    an agreement to both. The employee's side is the employee; the manager's side is their
    direct manager. Keyed by the plan's version, so a plan proposed again is told again."""
    notice = PLAN_NOTICES.get(action)
    if notice is None or plan.proposed_by is None:
        return None
    kind, told = notice
    employee = plan.employee
    manager = employee.manager
    side_user = {
        "employee": employee.user_id,
        "manager": manager.user_id if manager is not None else None,
    }
    other = "manager" if plan.proposed_by == "employee" else "employee"
    users = {side_user[plan.proposed_by if who == "proposer" else other] for who in told}
    org_id = plan.organization_id
    context = {"plan": plan_label(plan), "employee": employee.name, "by": by}
    if action == "return":
        context["comment"] = plan.comment
    return _tell(
        session,
        Event(
            org_id,
            kind,
            f"plan:{plan.id}:{action}:v{plan.version}",
            sorted(members(session, org_id, users)),
            context,
            path("runtime.plan", id=plan.id),
            to_groups=False,  # a person's plan is the two sides' business
        ),
    )
