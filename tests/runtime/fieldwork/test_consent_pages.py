"""Consent pages: the employee reads what is collected and why, agrees, refuses or
withdraws per purpose (withdrawal turns location off); HR sees every answer and history."""

from __future__ import annotations

import uuid as uuids

from appraisal.models import LocationConsent
from appraisal.runtime.fieldwork import consent
from appraisal.runtime.fieldwork.records import record_activity
from tests.pages import without_tokens

AT_SHOP = {"latitude": 31.1881, "longitude": 121.4371, "accuracy": 12, "source": "gps"}


def _visit(db, field):
    recorded = record_activity(
        db,
        field["viewer"]("F1"),
        field["people"]["F1"],
        uuid=str(uuids.uuid4()),
        type_key="customer_visit",
        values={"customer": field["shop"].id, "purpose": "demo", "where": AT_SHOP},
    )
    db.commit()
    return recorded.record


def test_the_employee_agrees_then_withdraws_and_location_turns_off(client, auth, db, field):
    auth.login("fay@acme.example")
    page = client.get("/field/consent")
    assert page.status_code == 200
    assert consent.CONSENT_TEXT_VERSION in page.text
    assert 'data-current="none"' in page.text
    assert (
        client.post("/field/consent", data={"purpose": "visit", "answer": "yes"}).status_code == 302
    )
    assert _visit(db, field).latitude is not None
    page = client.get("/field/consent")
    assert 'data-current="granted"' in page.text
    assert (
        client.post("/field/consent", data={"purpose": "visit", "answer": "no"}).status_code == 302
    )
    fay = field["people"]["F1"]
    assert consent.current_choice(db, fay, "visit") == "withdrawn"
    assert _visit(db, field).latitude is None  # withdrawal only turns location off
    # the check-in purpose was never asked; saying no there is a refusal, not a withdrawal
    client.post("/field/consent", data={"purpose": "check_in", "answer": "no"})
    assert consent.current_choice(db, fay, "check_in") == "refused"
    assert db.query(LocationConsent).count() == 3  # every answer kept


def test_a_bad_answer_is_422_and_changes_nothing(client, auth, db, field):
    auth.login("fay@acme.example")
    response = client.post("/field/consent", data={"purpose": "tracking", "answer": "yes"})
    assert response.status_code == 422
    assert db.query(LocationConsent).count() == 0


def test_hr_sees_every_answer_filtered_and_the_history(client, auth, db, field):
    people = field["people"]
    consent.decide(db, field["viewer"]("F1"), people["F1"], "visit", "granted")
    consent.decide(db, field["viewer"]("F1"), people["F1"], "visit", "withdrawn")
    consent.decide(db, field["viewer"]("E1"), people["E1"], "visit", "granted")
    db.commit()
    auth.login("hr@acme.example")
    page = client.get("/field/consents")
    assert page.status_code == 200
    assert all(f'data-employee="{n}"' in page.text for n in ("F1", "E1", "M1", "O1"))
    granted = client.get("/field/consents?purpose=visit&choice=granted").text
    assert 'data-employee="E1"' in granted and 'data-employee="F1"' not in granted
    never = client.get("/field/consents?purpose=visit&choice=none").text
    assert 'data-employee="M1"' in never and 'data-employee="E1"' not in never
    history = client.get(f"/field/consents?employee={people['F1'].id}").text
    assert history.count("<td>" + consent.CONSENT_TEXT_VERSION + "</td>") == 2


def test_only_hr_sees_the_overview(client, auth, db, field):
    for email in ("max@acme.example", "fay@acme.example"):
        auth.login(email)
        assert client.get("/field/consents").status_code == 403, email
        auth.logout()


def test_answers_show_the_time_on_the_readers_clock_not_utc(client, auth, db, field):
    """16:30 UTC on 1 March is 00:30 on 2 March in Shanghai: the employee and HR read that."""
    from datetime import UTC, datetime

    answer = consent.decide(db, field["viewer"]("F1"), field["people"]["F1"], "visit", "granted")
    answer.decided_at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    db.commit()
    auth.login("fay@acme.example")
    mine = client.get("/field/consent").text
    assert "2026-03-02 00:30" in mine and "UTC" not in without_tokens(mine)
    auth.logout()
    auth.login("hr@acme.example")
    history = client.get(f"/field/consents?employee={field['people']['F1'].id}").text
    assert "2026-03-02 00:30" in history
