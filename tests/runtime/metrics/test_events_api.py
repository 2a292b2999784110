"""`POST /api/v1/events`: checked whole (every problem by index and field, nothing saved),
idempotent per (source, external id), people found by mapping, number or e-mail, unknown
people held; local days in the organization's zone; `GET /api/v1/events` filtered and paged."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from appraisal.models import AuditEvent, ExternalEvent, ExternalPerson, Membership


def _event(external_id="L-1", **overrides):
    event = {
        "source": "crm",
        "external_id": external_id,
        "kind": "lead_created",
        "occurred_at": "2026-03-31T10:00:00+08:00",
        "person": {"employee_number": "E0012"},
        "attributes": {"customer": "C001", "amount": "1200.50"},
    }
    return event | overrides


def _post(client, headers, *events):
    return client.post("/api/v1/events", json={"events": list(events)}, headers=headers)


def _stored(db):
    db.expire_all()
    return {e.external_id: e for e in db.scalars(select(ExternalEvent))}


def test_a_batch_is_stored_typed_matched_and_recomputed(client, db, crm, token_for, refreshed):
    hr = token_for("hr@acme.example")
    response = _post(client, hr, _event("L-1"), _event("L-2", person={"employee_number": "E0013"}))
    assert response.status_code == 200, response.text
    assert response.get_json() == {
        "created": 2,
        "unchanged": 0,
        "held": 0,
        "results": [
            {"index": 0, "source": "crm", "external_id": "L-1", "status": "matched"},
            {"index": 1, "source": "crm", "external_id": "L-2", "status": "matched"},
        ],
    }
    stored = _stored(db)
    assert stored["L-1"].employee_id == crm.li.id
    assert stored["L-1"].attributes == {"customer": "C001", "amount": "1200.50"}
    assert stored["L-1"].person_ref == "employee_number:E0012"
    assert refreshed == [(crm.org.id, sorted([crm.li.id, crm.han.id]))]
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "event.received")).all()
    assert len(audit) == 1 and audit[0].detail["matched"] == 2


@pytest.mark.parametrize(
    ("occurred_at", "day"),
    [
        ("2026-03-31T23:30:00+08:00", date(2026, 3, 31)),
        ("2026-03-31T16:30:00Z", date(2026, 4, 1)),  # 00:30 the next day in Shanghai
        ("2026-03-31T15:30:00Z", date(2026, 3, 31)),  # 23:30 in Shanghai
        ("2026-03-31T23:30:00", date(2026, 3, 31)),  # no offset: the organization's clock
        ("2026-03-31 00:10", date(2026, 3, 31)),
    ],
)
def test_an_event_is_placed_on_the_organizations_local_day(
    client, db, crm, token_for, occurred_at, day
):
    response = _post(client, token_for("hr@acme.example"), _event(occurred_at=occurred_at))
    assert response.status_code == 200, response.text
    assert _stored(db)["L-1"].occurred_on == day


def test_the_brief_s_midnight_example(client, db, crm, token_for):
    """23:30 in Shanghai is 15:30 UTC: both spellings are the 31st there."""
    hr = token_for("hr@acme.example")
    _post(client, hr, _event("A", occurred_at="2026-03-31T23:30+08:00"))
    _post(client, hr, _event("B", occurred_at="2026-03-31T15:30Z"))
    stored = _stored(db)
    assert stored["A"].occurred_on == stored["B"].occurred_on == date(2026, 3, 31)
    assert stored["A"].occurred_at.replace(tzinfo=None) == stored["B"].occurred_at.replace(
        tzinfo=None
    )


def test_sending_again_or_twice_in_one_batch_changes_nothing(client, db, crm, token_for, refreshed):
    hr = token_for("hr@acme.example")
    first = _post(client, hr, _event("L-1"), _event("L-1", attributes={"amount": "9"}))
    assert [r["status"] for r in first.get_json()["results"]] == ["matched", "unchanged"]
    again = _post(client, hr, _event("L-1", attributes={"amount": "5"}), _event("L-2"))
    assert again.status_code == 200
    assert again.get_json()["created"] == 1 and again.get_json()["unchanged"] == 1
    stored = _stored(db)
    assert len(stored) == 2 and stored["L-1"].attributes["amount"] == "1200.50"
    # the same id from another system is another event
    other = _post(client, hr, _event("L-1", source="OA"))
    assert other.get_json()["created"] == 1
    assert _stored(db)["L-1"] is not None


def test_each_kind_of_person_reference(client, db, crm, token_for, make):
    hr = token_for("hr@acme.example")
    db.add(
        ExternalPerson(
            organization_id=crm.org.id,
            source="crm",
            reference="user_id:u-7",
            employee_id=crm.han.id,
        )
    )
    db.commit()
    response = _post(
        client,
        hr,
        _event("1", person={"employee_number": "E0013"}),
        _event("2", person={"email": "li.lei@ACME.example"}),  # the employee's e-mail
        _event("3", person={"email": "li.sign-in@acme.example"}),  # its sign-in's
        _event("4", person={"user_id": "u-7"}),  # HR's mapping for this source
        _event("5", person={"user_id": "u-7"}, source="oa"),  # not mapped for that source
        _event("6", person={"employee_number": "E9999"}),
    )
    assert [r["status"] for r in response.get_json()["results"]] == [
        "matched",
        "matched",
        "matched",
        "matched",
        "held",
        "held",
    ]
    stored = _stored(db)
    assert [stored[i].employee_id for i in "1234"] == [crm.han.id, crm.li.id, crm.li.id, crm.han.id]
    assert stored["2"].person_ref == "email:li.lei@acme.example"
    assert stored["5"].status == "held" and stored["5"].employee_id is None
    assert response.get_json()["held"] == 2


def test_another_organizations_employee_is_not_matched(client, db, crm, token_for):
    hr = token_for("hr@beta.example", "beta")
    response = _post(client, hr, _event(person={"employee_number": "E0013"}))
    assert response.get_json()["held"] == 1


def test_every_problem_is_reported_by_index_and_field_and_nothing_is_saved(
    client, db, crm, token_for
):
    hr = token_for("hr@acme.example")
    response = _post(
        client,
        hr,
        _event("ok"),
        _event(
            "",
            source="C R M",
            kind="lead",
            occurred_at="yesterday",
            person={"employee_number": "E0012", "email": "x@y.z"},
        ),
        _event(
            "x" * 121,
            occurred_at="2999-01-01T00:00:00Z",
            person={"user_id": ""},
            attributes={"amount": "lots", "colour": "red"},
        ),
        _event("old", occurred_at="1999-12-31T23:00:00+08:00", person={"phone": "1"}),
    )
    assert response.status_code == 422, response.text
    body = response.get_json()["error"]
    paths = {d["path"] for d in body["details"]}
    assert paths == {
        "events[1].source",
        "events[1].external_id",
        "events[1].kind",
        "events[1].occurred_at",
        "events[1].person",
        "events[2].external_id",
        "events[2].occurred_at",
        "events[2].person.user_id",
        "events[2].attributes.amount",
        "events[2].attributes.colour",
        "events[3].occurred_at",
        "events[3].person",
    }
    messages = {d["path"]: d["message"] for d in body["details"]}
    assert "future" in messages["events[2].occurred_at"]
    assert "2000" in messages["events[3].occurred_at"]
    assert "exactly one" in messages["events[1].person"]
    assert _stored(db) == {}


def test_the_shape_is_checked_before_the_values(client, db, crm, token_for):
    hr = token_for("hr@acme.example")
    assert _post(client, hr, _event(colour="red")).status_code == 400
    assert client.post("/api/v1/events", json={"events": []}, headers=hr).status_code == 400
    too_many = [_event(str(i)) for i in range(1001)]
    assert _post(client, hr, *too_many).status_code in (400, 413)
    for odd in ({"events": "x"}, [1, 2], {"events": [None]}, {"events": [{"person": "E1"}]}):
        response = client.post("/api/v1/events", json=odd, headers=hr)
        assert response.status_code in (400, 422), (odd, response.text)


@pytest.mark.parametrize(
    "event",
    [
        _event(person={"employee_number": {"nested": 1}}),
        _event(person={"employee_number": True}),
        _event(person={"employee_number": 12}),
        _event(occurred_at="2026-02-30T10:00:00"),
        _event(occurred_at="9999-12-31T23:59:59-12:00"),
        _event(occurred_at="0001-01-01T00:00:00+14:00"),
        _event(external_id="a\x00b"),
        _event(source="crm\n"),
        _event(attributes={"amount": 1e308}),
        _event(attributes={"amount": "NaN"}),
        _event(attributes={"customer": None}),
        _event(kind=None),
    ],
)
def test_nothing_a_client_sends_gives_a_500(client, db, crm, token_for, event):
    response = _post(client, token_for("hr@acme.example"), event)
    assert response.status_code in (200, 400, 422), response.text


def test_only_hr_and_implementer_tokens_push_or_read(client, db, crm, token_for):
    membership = db.scalar(select(Membership).where(Membership.user_id == crm.boss.user_id))
    membership.set_roles({"admin", "manager"})
    db.commit()
    headers = token_for("boss@acme.example")
    for roles in ({"manager"}, {"employee"}):  # demoted: the token stays, its role does not
        membership.set_roles(roles)
        db.commit()
        assert _post(client, headers, _event()).status_code == 403
        assert client.get("/api/v1/events", headers=headers).status_code == 403
    implementer = token_for("imp@acme.example")
    assert _post(client, implementer, _event()).status_code == 200  # an integration pushes
    assert db.scalar(select(func.count(ExternalEvent.id))) == 1
    # but who did what for which customer is HR's to read, as on the event pages
    assert client.get("/api/v1/events", headers=implementer).status_code == 403


def test_the_list_is_filtered_paged_and_only_the_organizations(client, db, crm, token_for):
    hr = token_for("hr@acme.example")
    _post(
        client,
        hr,
        _event("1"),
        _event("2", kind="contract_signed", attributes={"amount": "5"}),
        _event("3", person={"email": "nobody@x.cn"}),
    )
    _post(client, token_for("hr@beta.example", "beta"), _event("9"))
    listing = client.get("/api/v1/events?per_page=2", headers=hr).get_json()
    assert listing["total"] == 3 and len(listing["items"]) == 2
    held = client.get("/api/v1/events?status=held", headers=hr).get_json()["items"]
    assert [(e["external_id"], e["employee"]) for e in held] == [("3", None)]
    kinds = client.get("/api/v1/events?kind=contract_signed", headers=hr).get_json()["items"]
    assert [e["external_id"] for e in kinds] == ["2"]
    since = client.get(
        "/api/v1/events?received_since=2000-01-01T00:00:00Z&source=CRM", headers=hr
    ).get_json()
    assert [e["external_id"] for e in since["items"]] == ["1", "2", "3"]
    assert client.get("/api/v1/events?status=lost", headers=hr).status_code == 400
    assert client.get("/api/v1/events?per_page=0", headers=hr).status_code == 400
