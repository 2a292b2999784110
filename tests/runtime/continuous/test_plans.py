"""Work plans through their pages: a rep proposes, the manager returns with comments and
then agrees, progress is recorded, the rep closes out and the manager rates; refusals at
their field (422), a stale page (409), and another team's or organization's plan (404)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from appraisal.models import PlanItem, WorkPlan
from appraisal.runtime.continuous import plans
from tests.conftest import field_errors


def _start(client, company, who="ann", day="2026-11-05"):
    response = client.post(
        "/plans",
        data={"employee_id": company.people[who].id, "period": "month", "day": day},
    )
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _task(client, plan_id, version, **fields):
    data = {"title": "Visit 20 stores", "due_on": "2026-11-20", "weight": "100", "version": version}
    return client.post(f"/plans/{plan_id}/items", data={**data, **fields})


def _plan(db, plan_id) -> WorkPlan:
    db.expire_all()
    return db.get(WorkPlan, plan_id)


@pytest.fixture
def proposed(client, auth, db, company):
    """Ann's plan for this month (on the organization's clock), one task due at its end."""
    auth.login("ann@acme.example")
    first, last = plans.period_bounds("month", company.org.today())
    plan_id = _start(client, company, day=first.isoformat())
    assert _task(client, plan_id, 1, due_on=last.isoformat()).status_code == 302
    plan = _plan(db, plan_id)
    assert (plan.starts_on, plan.ends_on) == (first, last)
    response = client.post(
        f"/plans/{plan_id}/move", data={"action": "propose", "version": plan.version}
    )
    assert response.status_code == 302
    assert _plan(db, plan_id).state == "proposed"
    auth.logout()
    return plan_id


def test_rep_proposes_manager_returns_then_agrees(client, auth, db, company, proposed):
    auth.login("boss@acme.example")
    version = _plan(db, proposed).version
    # returning needs comments, said at the field, in the user's language
    response = client.post(f"/plans/{proposed}/move", data={"action": "return", "version": version})
    assert response.status_code == 422
    assert "Say what should change." in field_errors(response.text)
    response = client.post(
        f"/plans/{proposed}/move",
        data={"action": "return", "version": version, "comment": "Add the training"},
    )
    assert response.status_code == 302
    plan = _plan(db, proposed)
    assert (plan.state, plan.comment) == ("returned", "Add the training")
    assert plan.employee_agreed_at is None and plan.manager_agreed_at is None
    auth.logout()

    auth.login("ann@acme.example")
    first = db.scalar(select(PlanItem).where(PlanItem.plan_id == proposed))
    client.post(f"/plans/{proposed}/items/{first.id}/remove", data={"version": plan.version})
    due = first.due_on.isoformat()
    _task(client, proposed, _plan(db, proposed).version, weight="60", due_on=due)
    _task(client, proposed, _plan(db, proposed).version, title="Training", weight="40", due_on=due)
    client.post(
        f"/plans/{proposed}/move",
        data={"action": "propose", "version": _plan(db, proposed).version},
    )
    # the proposer cannot agree to their own proposal
    response = client.post(
        f"/plans/{proposed}/move", data={"action": "agree", "version": _plan(db, proposed).version}
    )
    assert response.status_code == 422 and _plan(db, proposed).state == "proposed"
    auth.logout()

    auth.login("boss@acme.example")
    response = client.post(
        f"/plans/{proposed}/move", data={"action": "agree", "version": _plan(db, proposed).version}
    )
    assert response.status_code == 302
    plan = _plan(db, proposed)
    assert plan.state == "agreed"
    assert plan.employee_agreed_at is not None and plan.manager_agreed_at is not None


def test_progress_close_out_and_rating(client, auth, db, company, proposed):
    auth.login("boss@acme.example")
    client.post(
        f"/plans/{proposed}/move", data={"action": "agree", "version": _plan(db, proposed).version}
    )
    auth.logout()
    auth.login("ann@acme.example")
    item = db.scalar(select(PlanItem).where(PlanItem.plan_id == proposed))
    # evidence must be a web link (never javascript:)
    response = client.post(
        f"/plans/{proposed}/updates",
        data={"item_id": item.id, "note": "done", "progress": "100", "evidence": "javascript:x"},
    )
    assert response.status_code == 422
    assert 'value="javascript:x"' in response.text  # what was typed is kept
    response = client.post(
        f"/plans/{proposed}/updates",
        data={
            "item_id": item.id,
            "note": "All 20 visited",
            "progress": "100",
            "evidence": "https://crm.example/report/7",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    today = company.org.today()
    assert db.get(PlanItem, item.id).completed_on == today
    share = plans.on_time_share(db, company.org.id, company.people["ann"].id, today, today.max)
    assert share == Decimal("100.00")
    version = _plan(db, proposed).version
    assert (
        client.post(f"/plans/{proposed}/rate", data={"rating": "4", "version": version}).status_code
        == 422
    )
    client.post(
        f"/plans/{proposed}/assess", data={"self_assessment": "Went well", "version": version}
    )
    assert _plan(db, proposed).state == "self_assessed"
    auth.logout()
    auth.login("boss@acme.example")
    response = client.post(
        f"/plans/{proposed}/rate", data={"rating": "9", "version": _plan(db, proposed).version}
    )
    assert response.status_code == 422 and "Choose a rating from 1 to 5." in field_errors(
        response.text
    )
    client.post(
        f"/plans/{proposed}/rate", data={"rating": "4", "version": _plan(db, proposed).version}
    )
    plan = _plan(db, proposed)
    assert (plan.state, plan.rating) == ("closed", 4)


def test_a_stale_page_is_a_conflict(client, auth, db, company, proposed):
    auth.login("boss@acme.example")
    stale = _plan(db, proposed).version
    client.post(
        f"/plans/{proposed}/move", data={"action": "return", "version": stale, "comment": "x"}
    )
    auth.logout()
    auth.login("ann@acme.example")
    response = _task(client, proposed, stale, title="Late task")
    assert response.status_code == 409
    assert db.scalar(select(PlanItem).where(PlanItem.title == "Late task")) is None


def test_tasks_are_checked_at_their_fields(client, auth, db, company):
    auth.login("ann@acme.example")
    plan_id = _start(client, company)
    for fields, message in [
        ({"title": ""}, "Give the task a title."),
        ({"due_on": "2026-12-20"}, "The due date must fall within the plan's period"),
        ({"weight": "abc"}, "Enter a number from 0 to 100."),
        ({"link_kind": "customer", "link_ref": "NOPE"}, "No customer has this code."),
    ]:
        response = _task(client, plan_id, 1, **fields)
        assert response.status_code == 422, fields
        assert any(message in e for e in field_errors(response.text)), (fields, response.text)
    _task(client, plan_id, 1, weight="50")
    response = client.post(f"/plans/{plan_id}/move", data={"action": "propose", "version": 2})
    assert response.status_code == 422 and _plan(db, plan_id).state == "draft"


@pytest.mark.parametrize("who", ["pat@acme.example", "olga@acme.example", "imp@acme.example"])
def test_anyone_but_the_two_and_hr_gets_a_404(client, auth, db, company, proposed, who):
    auth.login(who)
    assert client.get(f"/plans/{proposed}").status_code == 404
    response = client.post(f"/plans/{proposed}/move", data={"action": "agree", "version": 2})
    assert response.status_code == 404
    assert _plan(db, proposed).state == "proposed"


def test_hr_reads_but_takes_no_side(client, auth, db, company, proposed):
    auth.login("hr@acme.example")
    assert client.get(f"/plans/{proposed}").status_code == 200
    response = client.post(
        f"/plans/{proposed}/move", data={"action": "agree", "version": _plan(db, proposed).version}
    )
    assert response.status_code == 422 and _plan(db, proposed).state == "proposed"


def test_another_organizations_plan_is_a_404(client, auth, db, make, company, proposed):
    other = make.org("other", "Other")
    make.member(other, "x@other.example", roles=("admin",))
    auth.login("x@other.example")
    assert client.get(f"/plans/{proposed}").status_code == 404
    assert client.post(f"/plans/{proposed}/items", data={"title": "x"}).status_code == 404


def test_a_plan_is_started_only_for_yourself_or_your_team(client, auth, db, company):
    auth.login("pat@acme.example")
    response = client.post(
        "/plans",
        data={"employee_id": company.people["ann"].id, "period": "month", "day": "2026-11-01"},
    )
    assert response.status_code == 422
    assert db.scalar(select(WorkPlan)) is None


def test_on_time_share_counts_late_and_open_tasks_and_is_blank_without_any(db, company):
    ann = company.people["ann"]
    assert (
        plans.on_time_share(db, company.org.id, ann.id, date(2026, 1, 1), date(2026, 12, 31))
        is None
    )
    plan = WorkPlan(
        organization_id=company.org.id,
        employee_id=ann.id,
        period="quarter",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
    )
    plan.items = [
        PlanItem(
            organization_id=company.org.id,
            title="a",
            due_on=date(2026, 10, 10),
            weight=30,
            completed_on=date(2026, 10, 10),
        ),
        PlanItem(
            organization_id=company.org.id,
            title="b",
            due_on=date(2026, 10, 20),
            weight=30,
            completed_on=date(2026, 10, 21),
        ),
        PlanItem(organization_id=company.org.id, title="c", due_on=date(2026, 11, 20), weight=40),
    ]
    db.add(plan)
    db.flush()
    # a plan not yet agreed does not count
    assert (
        plans.on_time_share(db, company.org.id, ann.id, date(2026, 10, 1), date(2026, 12, 31))
        is None
    )
    from appraisal.runtime import workflow

    plan.state = workflow.next_plan_state("proposed", "agree", {"counterpart"})
    db.flush()
    assert plans.on_time_share(
        db, company.org.id, ann.id, date(2026, 10, 1), date(2026, 12, 31)
    ) == Decimal("33.33")
