"""1:1 check-ins stay between the manager and the report (HR only where the organization
allows); their next date raises the check-in due notice; feedback notes reach the recipient
and their manager, or only the manager; requests for feedback are answered by a note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from appraisal.models import CheckIn, FeedbackNote, FeedbackRequest, Notification
from appraisal.runtime.continuous import checkins
from tests.conftest import field_errors


def _record(client, company, who="ann", **fields):
    data = {
        "employee_id": company.people[who].id,
        "held_on": "2026-11-02",
        "agenda": "Q4 pipeline",
        "notes": "Private: family matters",
        "blockers": "No samples",
        "actions": "Order samples",
        "next_on": "2026-11-16",
    }
    return client.post("/checkins", data={**data, **fields})


@pytest.fixture
def held(client, auth, db, company):
    auth.login("boss@acme.example")
    assert _record(client, company).status_code == 302
    auth.logout()
    return db.scalar(select(CheckIn))


def test_only_a_manager_records_with_their_own_report(client, auth, db, company):
    auth.login("boss@acme.example")
    response = _record(client, company, who="oscar")  # Olga's report
    assert response.status_code == 422
    assert "Choose one of the people you manage." in field_errors(response.text)
    response = _record(client, company, next_on="2026-11-01")
    assert response.status_code == 422 and "Q4 pipeline" in response.text  # kept as typed
    assert "The next check-in comes after this one." in field_errors(response.text)
    assert db.scalar(select(CheckIn)) is None


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("boss@acme.example", 200),
        ("ann@acme.example", 200),
        ("pat@acme.example", 404),
        ("olga@acme.example", 404),
        ("hr@acme.example", 404),  # HR reads check-ins only where the organization allows
        ("imp@acme.example", 404),
    ],
)
def test_a_check_in_is_private_to_the_two(client, auth, db, company, held, who, status):
    auth.login(who)
    response = client.get(f"/checkins/{held.id}")
    assert response.status_code == status
    assert ("family matters" in client.get("/checkins").text) == (status == 200)


def test_hr_reads_check_ins_where_the_organization_allows(client, auth, db, company, held):
    company.org.hr_reads_checkins = True
    db.commit()
    auth.login("hr@acme.example")
    response = client.get(f"/checkins/{held.id}")
    assert response.status_code == 200 and "family matters" in response.text
    # reading is not writing: HR is not one of the two
    response = client.post(f"/checkins/{held.id}", data={"held_on": "2026-11-02", "notes": "x"})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(CheckIn, held.id).notes == "Private: family matters"


def test_another_organizations_check_in_is_a_404(client, auth, make, held):
    other = make.org("other", "Other")
    make.member(other, "x@other.example", roles=("admin",))
    auth.login("x@other.example")
    assert client.get(f"/checkins/{held.id}").status_code == 404


def test_editing_from_a_stale_page_is_a_conflict(client, auth, db, company, held):
    auth.login("ann@acme.example")
    data = {"held_on": "2026-11-02", "notes": "Ann's view", "version": held.version}
    assert client.post(f"/checkins/{held.id}", data=data).status_code == 302
    data["notes"] = "Older page"
    response = client.post(f"/checkins/{held.id}", data=data)
    assert response.status_code == 409
    db.expire_all()
    assert db.get(CheckIn, held.id).notes == "Ann's view"


def test_the_next_date_raises_the_check_in_due_notice_once(db, company, held):
    now = datetime(2026, 11, 15, 2, 0, tzinfo=UTC)  # the day before, in Shanghai
    assert checkins.remind_due(db, now - timedelta(days=3)) == 0
    assert checkins.remind_due(db, now) == 1
    assert checkins.remind_due(db, now) == 0  # once per next date
    db.commit()
    told = db.scalars(select(Notification).where(Notification.kind == "plan_checkin_due")).all()
    users = {n.user_id for n in told}
    assert users == {company.people["ann"].user_id, company.people["bo"].user_id}
    assert {n.context["plan"] for n in told} == {"Ann", "Bo"}


def test_feedback_private_to_the_manager_is_not_shown_to_the_recipient(client, auth, db, company):
    auth.login("pat@acme.example")
    ann = company.people["ann"]
    for text, private in (("Great demo", ""), ("Talks over customers", "y")):
        response = client.post(
            "/feedback",
            data={"recipient_id": ann.id, "kind": "praise", "text": text, "private": private},
        )
        assert response.status_code == 302
    auth.logout()
    auth.login("ann@acme.example")
    page = client.get("/feedback").text
    assert "Great demo" in page and "Talks over customers" not in page
    auth.logout()
    auth.login("boss@acme.example")
    page = client.get("/feedback").text
    assert "Great demo" in page and "Talks over customers" in page
    auth.logout()
    auth.login("olga@acme.example")  # another team's manager
    page = client.get("/feedback").text
    assert "Great demo" not in page and "Talks over customers" not in page


def test_feedback_is_checked_at_its_fields(client, auth, db, company):
    auth.login("pat@acme.example")
    response = client.post("/feedback", data={"recipient_id": "", "kind": "praise", "text": "x"})
    assert response.status_code == 422 and "Choose a colleague." in field_errors(response.text)
    response = client.post(
        "/feedback", data={"recipient_id": company.people["ann"].id, "kind": "praise", "text": ""}
    )
    assert response.status_code == 422 and "Write the feedback." in field_errors(response.text)
    assert db.scalar(select(FeedbackNote)) is None


def test_a_request_for_feedback_is_answered_by_a_note(client, auth, db, company):
    auth.login("boss@acme.example")
    quinn = company.people["quinn"]
    response = client.post(
        "/feedback/requests",
        data={"asked_id": quinn.user_id, "about_id": company.people["ann"].id, "message": "Q4"},
    )
    assert response.status_code == 302
    # a manager asks about their own team only
    response = client.post(
        "/feedback/requests",
        data={"asked_id": quinn.user_id, "about_id": company.people["oscar"].id},
    )
    assert response.status_code == 422
    auth.logout()
    auth.login("quinn@acme.example")
    assert "asks for your feedback about Ann" in client.get("/feedback").text
    request = db.scalar(select(FeedbackRequest))
    client.post(
        "/feedback",
        data={
            "recipient_id": company.people["ann"].id,
            "kind": "improvement",
            "text": "More follow-up calls",
            "request_id": request.id,
        },
    )
    db.expire_all()
    assert db.get(FeedbackRequest, request.id).answered_at is not None
    assert "asks for your feedback" not in client.get("/feedback").text


def test_hr_turns_the_check_in_setting_on_in_the_organizations_settings(client, auth, db, company):
    auth.login("hr@acme.example")
    response = client.post("/users/settings", data={"hr_reads_checkins": "y"})
    assert response.status_code == 302
    db.expire_all()
    assert company.org.hr_reads_checkins is True and company.org.managers_see_chain is False
