"""`POST /field/sync`: the outbox's record, stored once per uuid for the signed-in
employee, refused with messages by field (and never half-saved), CSRF-protected."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from appraisal.models import ActivityRecord
from appraisal.runtime.fieldwork import consent

UUID = "3f0c8a1e-5b7d-4c2a-9e4f-1a2b3c4d5e6f"


def _body(field, **changes):
    body = {
        "uuid": UUID,
        "type": "customer_visit",
        "occurred_at": "2026-03-02T09:15:00+08:00",
        "values": {"customer": field["shop"].id, "purpose": "collect", "amount": "88.00"},
    }
    body.update(changes)
    return body


def _count(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(ActivityRecord))


def test_the_same_record_sent_twice_is_stored_once(client, auth, db, field):
    auth.login("fay@acme.example")
    first = client.post("/field/sync", json=_body(field))
    assert first.status_code == 201
    assert first.get_json()["uuid"] == UUID
    assert first.get_json()["status"] == "pending"
    assert first.get_json()["url"]
    again = client.post("/field/sync", json=_body(field))
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert _count(db) == 1
    record = db.scalar(select(ActivityRecord))
    assert record.employee_id == field["people"]["F1"].id
    assert record.occurred_on.isoformat() == "2026-03-02"
    assert record.values["amount"] == "88.00"


@pytest.mark.parametrize(("language", "message"), [("en", "is required"), ("zh-CN", "必填")])
def test_bad_values_come_back_by_field_in_the_readers_language(
    client, auth, db, field, language, message
):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    auth.login("fay@acme.example")
    body = _body(field, values={"customer": field["shop"].id, "purpose": "collect"})
    response = client.post("/field/sync", json=body)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"amount": message}}
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"occurred_at": "2026-03-02T09:15:00"}, "occurred_at"),  # no offset
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"uuid": "not-a-uuid"}, "uuid"),
        ({"type": "nothing"}, "type"),
        ({"values": {"customer": 1, "purpose": "demo", "colour": "red"}}, "colour"),
        ({"extra": 1}, "extra"),
        ({"values": ["a"]}, "values"),
    ],
)
def test_a_malformed_record_is_refused_at_its_key(client, auth, db, field, change, key):
    auth.login("fay@acme.example")
    response = client.post("/field/sync", json=_body(field, **change))
    assert response.status_code == 422
    assert key in response.get_json()["errors"], response.get_json()
    assert _count(db) == 0


def test_a_body_that_is_not_an_object_is_refused(client, auth, db, field):
    auth.login("fay@acme.example")
    for body in ([1, 2], "x", None):
        response = client.post("/field/sync", json=body)
        assert response.status_code == 422
        assert "uuid" in response.get_json()["errors"]
    assert _count(db) == 0


def test_a_form_not_for_my_position_is_refused(client, auth, db, field):
    auth.login("ed@acme.example")  # office clerk; the visit form is for field staff
    response = client.post("/field/sync", json=_body(field))
    assert response.status_code == 422
    assert "type" in response.get_json()["errors"]
    assert _count(db) == 0


def test_someone_elses_uuid_is_not_theirs_to_replay(client, auth, db, field):
    auth.login("fay@acme.example")
    assert client.post("/field/sync", json=_body(field)).status_code == 201
    auth.logout()
    auth.login("max@acme.example")
    response = client.post("/field/sync", json=_body(field))
    assert response.status_code == 422
    assert "uuid" in response.get_json()["errors"]
    assert "url" not in response.get_json()


def test_an_account_without_an_employee_record_cannot_sync(client, auth, db, field):
    auth.login("hr@acme.example")
    response = client.post("/field/sync", json=_body(field))
    assert response.status_code == 422
    assert _count(db) == 0


def test_the_location_is_kept_only_with_consent(client, auth, db, field):
    where = {"latitude": 31.1881, "longitude": 121.4371, "accuracy": 12, "source": "device"}
    values = {"customer": field["shop"].id, "purpose": "demo", "where": where}
    auth.login("fay@acme.example")
    assert client.post("/field/sync", json=_body(field, values=values)).status_code == 201
    consent.decide(db, field["viewer"]("F1"), field["people"]["F1"], "visit", "granted")
    db.commit()
    second = _body(field, uuid="4f0c8a1e-5b7d-4c2a-9e4f-1a2b3c4d5e6f", values=values)
    assert client.post("/field/sync", json=second).status_code == 201
    db.expire_all()
    kept = {r.uuid: r.latitude for r in db.scalars(select(ActivityRecord))}
    assert kept[UUID] is None
    assert str(kept[second["uuid"]]) == "31.188100"


def test_sync_needs_the_csrf_token_of_the_session(app, client, auth, db, field):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"email": "fay@acme.example", "password": "correct-horse-9", "csrf_token": token},
    )
    today = client.get("/field").text
    token = re.search(r'data-csrf="([^"]+)"', today).group(1)
    assert client.post("/field/sync", json=_body(field)).status_code == 400
    assert _count(db) == 0
    sent = client.post("/field/sync", json=_body(field), headers={"X-CSRFToken": token})
    assert sent.status_code == 201
