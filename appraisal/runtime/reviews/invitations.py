"""Peer and subordinate reviews: inviting a colleague, withdrawing an invitation, and how
many of each group answered (counts only, safe to show anyone on the appraisal)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import audit
from ...errors import ServiceError
from ...models import Appraisal, Employee, Membership, Review
from ...notifications import events
from .access import GROUPS, Viewer, relations, require_edit


def invite(
    session: Session, appraisal: Appraisal, viewer: Viewer, rater: str, user_id: int
) -> Review:
    """Invite a colleague (peer) or one of the appraisee's direct reports (subordinate)."""
    rels = relations(appraisal, viewer)
    require_edit(appraisal, "invitations", rels)
    if rater not in GROUPS:
        raise ServiceError(_l("Choose peer or subordinate."), "rater")
    member = session.scalar(
        select(Membership.id).where(
            Membership.organization_id == appraisal.organization_id,
            Membership.user_id == user_id,
            Membership.active,
        )
    )
    if member is None:
        raise ServiceError(_l("Choose a person of this organization."), "user_id")
    if appraisal.employee.user_id == user_id:
        raise ServiceError(_l("Employees cannot review themselves."), "user_id")
    if rater == "subordinate" and not session.scalar(
        select(Employee.id).where(
            Employee.manager_id == appraisal.employee_id, Employee.user_id == user_id
        )
    ):
        raise ServiceError(_l("A subordinate must report to the employee."), "user_id")
    if any(r.reviewer_id == user_id and r.rater in GROUPS for r in appraisal.reviews):
        raise ServiceError(_l("This person is already invited."), "user_id")
    review = Review(
        organization_id=appraisal.organization_id,
        appraisal=appraisal,
        slot=f"{rater}:{user_id}",
        rater=rater,
        reviewer_id=user_id,
        invited_by_id=viewer.user_id,
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "review.invited",
        "appraisal",
        appraisal.id,
        slot=review.slot,
    )
    events.peer_invited(session, review)
    return review


def withdraw(session: Session, appraisal: Appraisal, viewer: Viewer, review_id: int) -> None:
    rels = relations(appraisal, viewer)
    require_edit(appraisal, "invitations", rels)
    review = next((r for r in appraisal.reviews if r.id == review_id and r.rater in GROUPS), None)
    if review is None:
        raise ServiceError(_l("No such invitation."))
    if review.submitted:
        raise ServiceError(_l("A submitted review cannot be withdrawn."))
    appraisal.reviews.remove(review)
    audit.record(
        session,
        appraisal.organization_id,
        viewer.user_id,
        "review.withdrawn",
        "appraisal",
        appraisal.id,
        slot=review.slot,
    )


def invitations(appraisal: Appraisal) -> list[Review]:
    """Peer and subordinate reviews; only for the manager's and HR's pages."""
    return [r for r in appraisal.reviews if r.rater in GROUPS]


def group_progress(appraisal: Appraisal) -> dict[str, tuple[int, int]]:
    """(submitted, invited) per group: counts only, safe to show anyone on the appraisal."""
    return progress_of((r.rater, r.submitted) for r in appraisal.reviews)


def progress_of(reviews: Iterable[tuple[str, bool]]) -> dict[str, tuple[int, int]]:
    """`group_progress` from each review's (rater, submitted)."""
    progress = dict.fromkeys(GROUPS, (0, 0))
    for rater, submitted in reviews:
        if rater in progress:
            done, invited = progress[rater]
            progress[rater] = (done + submitted, invited + 1)
    return progress


def uncounted_groups(appraisal: Appraisal) -> list[tuple[str, int, int]]:
    """(rater, submitted, threshold) of each group that answered but too few to count."""
    threshold = appraisal.cycle.anonymity_threshold
    return [
        (rater, submitted, threshold)
        for rater, (submitted, _) in group_progress(appraisal).items()
        if 0 < submitted < threshold
    ]
