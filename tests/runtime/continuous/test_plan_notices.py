"""Plan moves tell the people who act next: a proposal the other side, a return (with its
comments) the proposer, an agreement both; in each reader's language, never to a group chat,
and a plan proposed again after a return is told again."""

from __future__ import annotations

from sqlalchemy import select

from appraisal.models import Notification, WorkPlan
from appraisal.notifications.catalogue import KINDS, fill
from appraisal.notifications.render import default_words
from appraisal.states import NotificationKind as K

from .test_plans import _plan, _start, _task


def _told(db, company, who: str) -> list[tuple[str, dict]]:
    db.expire_all()
    user_id = company.people[who].user_id
    return [
        (n.kind, n.context)
        for n in db.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    ]


def _move(client, db, plan_id, action, **extra):
    data = {"action": action, "version": _plan(db, plan_id).version, **extra}
    response = client.post(f"/plans/{plan_id}/move", data=data)
    assert response.status_code == 302, response.text
    return response


def test_propose_return_and_agree_tell_the_side_that_acts_next(client, auth, db, company):
    auth.login("ann@acme.example")
    assert db.scalar(select(WorkPlan.id)) is None
    plan_id = _start(client, company)
    _task(client, plan_id, 1)
    _move(client, db, plan_id, "propose")
    assert _told(db, company, "ann") == []
    ((kind, context),) = _told(db, company, "bo")
    assert kind == K.PLAN_PROPOSED
    assert context["employee"] == "Ann" and context["by"] == "Ann"
    auth.logout()

    auth.login("boss@acme.example")
    _move(client, db, plan_id, "return", comment="Add the training")
    ((kind, context),) = _told(db, company, "ann")
    assert kind == K.PLAN_RETURNED and context["comment"] == "Add the training"
    auth.logout()

    auth.login("ann@acme.example")
    _move(client, db, plan_id, "propose")  # proposed again: Bo hears of it again
    assert [k for k, _c in _told(db, company, "bo")] == [K.PLAN_PROPOSED, K.PLAN_PROPOSED]
    auth.logout()

    auth.login("boss@acme.example")
    _move(client, db, plan_id, "agree")
    assert _told(db, company, "ann")[-1][0] == K.PLAN_AGREED
    assert _told(db, company, "bo")[-1][0] == K.PLAN_AGREED
    # nobody else hears of Ann's plan
    for other in ("pat", "quinn", "olga", "oscar"):
        assert _told(db, company, other) == []


def test_a_plan_the_manager_proposes_is_told_to_the_employee(client, auth, db, company):
    auth.login("boss@acme.example")
    plan_id = _start(client, company)
    _task(client, plan_id, 1)
    _move(client, db, plan_id, "propose")
    assert _told(db, company, "bo") == []
    ((kind, context),) = _told(db, company, "ann")
    assert kind == K.PLAN_PROPOSED and context["by"] == "Bo"
    # the link is the plan's page
    db.expire_all()
    note = db.scalar(select(Notification).where(Notification.kind == K.PLAN_PROPOSED))
    assert note.link == f"/plans/{plan_id}"


def test_plan_notices_have_words_in_both_languages_and_stay_out_of_group_chats(app):
    context = {"plan": "2026-11", "employee": "Ann", "by": "Bo", "comment": "x"}
    for kind in (K.PLAN_PROPOSED, K.PLAN_RETURNED, K.PLAN_AGREED):
        assert not KINDS[kind].robot_safe
        with app.test_request_context():
            english, chinese = (default_words(kind, language) for language in ("en", "zh"))
        assert english != chinese
        assert "Ann" in fill(english.body, context) and "Ann" in fill(chinese.body, context)
