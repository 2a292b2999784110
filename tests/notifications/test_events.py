"""Issue 19: each event is raised once, by the service where it happens, to the people who
act next, with the page to open: the goals to confirm, the self and manager reviews, figures
to enter, a peer's invitation, an appeal filed and answered, a published result (for
thousands in a few statements), an interview scheduled and its record to confirm, field
records returned. A refused or rolled-back action tells nobody."""

from __future__ import annotations

import uuid as uuids
from datetime import datetime

import pytest
from sqlalchemy import event, func, select

from appraisal.errors import ServiceError
from appraisal.models import (
    Appraisal,
    Employee,
    Interview,
    Membership,
    Notification,
    OutboxMessage,
    User,
    utcnow,
)
from appraisal.notifications import events
from appraisal.runtime.act import act, results
from appraisal.runtime.calibration import calibration
from appraisal.runtime.fieldwork.records import record_activity
from appraisal.runtime.reviews import invitations, reviews
from appraisal.states import Channel, NotificationKind
from tests.runtime.conftest import appraisal_of

K = NotificationKind
SELF = {"self.customer_care": "4", "self.leads_team": "false"}
MANAGER = {"manager.customer_care": "5", "manager.teamwork": "4", "manager.comment": "Good"}


def told(db, kind=None) -> list[tuple[str, str, str | None]]:
    """(email, kind, link) of every in-app entry, in order."""
    query = select(User.email, Notification.kind, Notification.link).join(
        User, User.id == Notification.user_id
    )
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return [tuple(row) for row in db.execute(query.order_by(Notification.id))]


def mails(db, kind) -> list[str]:
    return list(
        db.scalars(
            select(User.email)
            .join(OutboxMessage, OutboxMessage.user_id == User.id)
            .where(OutboxMessage.kind == kind, OutboxMessage.channel == Channel.EMAIL)
            .order_by(User.email)
        )
    )


def test_each_step_tells_whoever_acts_next_once_with_its_page(app, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    hr = company.viewer(db, "hr@acme.example")
    bo = company.viewer(db, "boss@acme.example")
    employee = company.viewer(db, "ann@acme.example")
    with app.app_context():
        assert told(db) == []  # the template has per-employee targets: nothing to confirm yet
        reviews.save_targets(db, ann, bo, {"targets.sales": "100000"}, None)
        db.commit()
        assert told(db) == [("ann@acme.example", K.GOALS_TO_CONFIRM, f"/appraisals/{ann.id}")]
        reviews.save_targets(db, ann, bo, {"targets.sales": "120000"}, None)  # a change only
        reviews.take_action(db, ann, employee, "confirm_goals", None)
        db.commit()
        reviews.save_review(db, ann, employee, "self", SELF, version=None, submit=True)
        db.commit()
        reviews.save_review(db, ann, bo, "manager", MANAGER, version=None, submit=True)
        db.commit()
    assert told(db) == [
        ("ann@acme.example", K.GOALS_TO_CONFIRM, f"/appraisals/{ann.id}"),
        ("ann@acme.example", K.REVIEW_TO_FILL, f"/appraisals/{ann.id}/review/self"),
        ("boss@acme.example", K.REVIEW_TO_FILL, f"/appraisals/{ann.id}/review/manager"),
        ("hr@acme.example", K.FIGURES_TO_ENTER, f"/cycles/{launched.id}/figures"),
        ("imp@acme.example", K.FIGURES_TO_ENTER, f"/cycles/{launched.id}/figures"),
    ]
    assert mails(db, K.REVIEW_TO_FILL) == ["ann@acme.example", "boss@acme.example"]
    entry = db.scalar(select(Notification).where(Notification.kind == K.FIGURES_TO_ENTER))
    assert entry.context == {"cycle": "2026-Q4", "count": 1, "due": "2026-12-31"}
    manager_entry = told(db, K.REVIEW_TO_FILL)[1]
    assert manager_entry[0] == "boss@acme.example"
    # HR sends it back: the self-review opens again and Ann is told again (a new move)
    with app.app_context():
        reviews.reopen(db, ann, hr, "self_review", "Rated the wrong year")
        db.commit()
    assert [t[0] for t in told(db, K.REVIEW_TO_FILL)] == [
        "ann@acme.example",
        "boss@acme.example",
        "ann@acme.example",
    ]


def test_a_refused_or_rolled_back_action_tells_nobody(app, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    bo = company.viewer(db, "boss@acme.example")
    with app.app_context():
        with pytest.raises(ServiceError):  # the targets are not set yet
            reviews.take_action(db, ann, company.viewer(db, "ann@acme.example"), "confirm_goals", 0)
        db.rollback()
        with pytest.raises(ServiceError):
            invitations.invite(db, ann, bo, "peer", company.people["ann"].user_id)
        db.rollback()
        invitations.invite(db, ann, bo, "peer", company.people["quinn"].user_id)
        db.rollback()  # the page failed after the service: nothing was saved
    assert told(db) == [] and db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_peer_invited_on_the_page_is_told_once(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    auth.login("boss@acme.example")
    quinn = company.people["quinn"].user_id
    assert (
        client.post(
            f"/appraisals/{ann.id}/invite", data={"rater": "peer", "user_id": quinn}
        ).status_code
        == 302
    )
    again = client.post(f"/appraisals/{ann.id}/invite", data={"rater": "peer", "user_id": quinn})
    assert again.status_code == 422  # already invited: refused, nobody told twice
    assert told(db) == [
        ("quinn@acme.example", K.PEER_INVITATION, f"/appraisals/{ann.id}/review/peer")
    ]
    entry = db.scalar(select(Notification))
    assert entry.context == {"cycle": "2026-Q4", "employee": "Ann", "due": ""}
    assert entry.dedupe_key.startswith("review:") and entry.dedupe_key.endswith(":invited")
    assert mails(db, K.PEER_INVITATION) == ["quinn@acme.example"]


@pytest.fixture
def published(db, company, launched):
    """Ann's and Pat's results published (states set directly; the publication is real)."""
    for key in ("ann", "pat"):
        appraisal = appraisal_of(db, company, key)
        appraisal.state, appraisal.grade, appraisal.complete = "calibration", "B", True
        appraisal.targets = {"sales": 100000}
    calibration.start_calibration(db, launched, None)
    calibration.lock(db, launched, None)
    db.commit()
    return launched


def test_publishing_tells_each_employee_their_own_result_once(app, db, company, published):
    with app.app_context():
        calibration.publish(db, published, None)
        db.commit()
        calibration.publish(db, published, None)  # nothing left to publish: nobody again
        db.commit()
    ann, pat = appraisal_of(db, company, "ann"), appraisal_of(db, company, "pat")
    assert told(db) == [
        ("ann@acme.example", K.RESULT_PUBLISHED, f"/appraisals/{ann.id}/result"),
        ("pat@acme.example", K.RESULT_PUBLISHED, f"/appraisals/{pat.id}/result"),
    ]
    assert {n.context["cycle"] for n in db.scalars(select(Notification))} == {"2026-Q4"}


def test_an_appeal_reaches_hr_and_the_manager_and_its_answer_the_employee(
    app, db, company, published
):
    with app.app_context():
        calibration.publish(db, published, None)
        db.commit()
        ann = appraisal_of(db, company, "ann")
        employee = company.viewer(db, "ann@acme.example")
        row = results.appeal(db, ann, employee, "The sales figure is wrong", [])
        db.commit()
        results.resolve_appeal(
            db, ann, row, company.viewer(db, "hr@acme.example"), "uphold", "Checked twice"
        )
        db.commit()
    assert sorted(told(db, K.APPEAL_FILED)) == [
        ("boss@acme.example", K.APPEAL_FILED, f"/appraisals/{ann.id}/result"),
        ("hr@acme.example", K.APPEAL_FILED, f"/appraisals/{ann.id}/result"),
    ]
    assert told(db, K.APPEAL_ANSWERED) == [
        ("ann@acme.example", K.APPEAL_ANSWERED, f"/appraisals/{ann.id}/result")
    ]
    answer = db.scalar(select(Notification).where(Notification.kind == K.APPEAL_ANSWERED))
    assert answer.context == {"cycle": "2026-Q4", "decision": "upheld"}


def test_an_interview_is_announced_and_its_record_awaits_the_other_side(
    app, db, company, published
):
    with app.app_context():
        calibration.publish(db, published, None)
        ann = appraisal_of(db, company, "ann")
        bo, hr = company.viewer(db, "boss@acme.example"), company.viewer(db, "hr@acme.example")
        interview = act.schedule_interview(db, ann, bo, datetime(2026, 12, 10, 10, 0), "Room 2")
        db.commit()
        act.record_interview(db, ann, interview, hr, "Collections lag", "Weekly review")
        db.commit()
        act.record_interview(db, ann, interview, bo, "Collections lag behind", "Weekly")
        db.commit()
    scheduled = db.scalar(select(Notification).where(Notification.kind == K.INTERVIEW_SCHEDULED))
    assert scheduled.context == {"cycle": "2026-Q4", "employee": "Bo", "when": "2026-12-10 10:00"}
    confirm = [
        (email, n.context["employee"])
        for email, n in db.execute(
            select(User.email, Notification)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == K.INTERVIEW_TO_CONFIRM)
            .order_by(Notification.id)
        )
    ]
    # HR wrote it: both sides confirm; then the manager changed it: the employee again
    assert confirm == [
        ("boss@acme.example", "Ann"),
        ("ann@acme.example", "Bo"),
        ("ann@acme.example", "Bo"),
    ]
    assert db.scalar(select(func.count()).select_from(Interview)) == 1


def test_a_returned_field_record_tells_its_rep_once_per_return(client, auth, db, field):
    recorded = record_activity(
        db,
        field["viewer"]("F1"),
        field["people"]["F1"],
        uuid=str(uuids.uuid4()),
        type_key="customer_visit",
        values={"customer": field["shop"].id, "purpose": "demo"},
    )
    db.commit()
    record = recorded.record
    auth.login("max@acme.example")
    refused = client.post(
        f"/field/records/{record.uuid}/review",
        data={"version": record.version, "action": "return", "comment": " "},
    )
    assert refused.status_code == 422 and told(db) == []
    client.post(
        f"/field/records/{record.uuid}/review",
        data={"version": record.version, "action": "return", "comment": "Photo missing"},
    )
    assert told(db) == [("fay@acme.example", K.RECORDS_RETURNED, f"/field/records/{record.uuid}")]
    entry = db.scalar(select(Notification))
    assert entry.context == {
        "count": 1,
        "day": record.occurred_on.isoformat(),
        "employee": "max",
    }


def test_thousands_of_results_are_told_in_a_fixed_number_of_statements(app, db, company, published):
    """Publication builds the context from what it loaded: no query per person."""
    org = company.org
    many = 300
    users = [User(email=f"p{i}@acme.example", name=f"P{i}", password_hash="x") for i in range(many)]
    db.add_all(users)
    db.flush()
    db.add_all(Membership(user_id=u.id, organization_id=org.id) for u in users)
    people = [
        Employee(organization_id=org.id, number=f"N{i:04}", name=f"P{i}", user_id=u.id)
        for i, u in enumerate(users)
    ]
    db.add_all(people)
    db.flush()
    ann = appraisal_of(db, company, "ann")
    db.add_all(
        Appraisal(
            organization_id=org.id,
            cycle_id=published.id,
            employee_id=e.id,
            template_version_id=ann.template_version_id,
            state="calibration",
            grade="B",
            complete=True,
        )
        for e in people
    )
    db.commit()
    chosen = calibration.publishable(calibration.cycle_appraisals(db, published))
    for appraisal in chosen:
        appraisal.state, appraisal.published_at = "published", utcnow()
    db.flush()  # the publication's own writes, before the event
    statements = []
    engine = db.get_bind()
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with app.app_context():
            events.results_published(db, chosen)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    db.commit()
    assert db.scalar(select(func.count()).select_from(Notification)) == many + 2
    assert len(statements) < 20, statements[:30]


def test_an_hr_admin_is_never_told_to_do_the_manager_part_of_their_own_appraisal(
    app, db, company, launched
):
    """Bo has no manager, so HR does his manager's review; Bo is an HR admin too: the other
    HR admin is told, Bo is not (he cannot open his own manager review)."""
    from appraisal.models import Membership

    bo_user = company.people["bo"].user_id
    membership = db.scalar(select(Membership).where(Membership.user_id == bo_user))
    membership.set_roles({"manager", "employee", "admin"})
    bo = appraisal_of(db, company, "bo")
    bo.state = "manager_review"
    db.commit()
    with app.app_context():
        events.step_opened(db, bo)
        db.commit()
    assert [t[0] for t in told(db, K.REVIEW_TO_FILL)] == ["hr@acme.example"]
