"""A customer field's value is a customer's id: one beyond what the database holds (up to
18 digits passed the reading, and PostgreSQL refused the lookup with "integer out of range",
a 500) is "no such customer" at the field, through every door a record comes in by; nothing
is stored."""

from __future__ import annotations

import re
import uuid as uuids

import pytest
from sqlalchemy import func, select

from appraisal.db import MAX_ID
from appraisal.models import ActivityRecord
from tests.conftest import field_errors

BEYOND = [str(MAX_ID + 1), "999999999999999999", "0" * 10 + str(MAX_ID + 1)]
BEYOND_JSON = [MAX_ID + 1, 10**17, 2**63, 10**30, *BEYOND]


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(ActivityRecord))


@pytest.mark.parametrize("customer", BEYOND)
def test_the_phone_form_says_no_such_customer_at_the_field(client, auth, db, field, customer):
    auth.login("fay@acme.example")
    page = client.get("/field/new/customer_visit").text
    uuid = re.search(r'name="record.uuid" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/field/new/customer_visit",
        data={"record.uuid": uuid, "customer": customer, "purpose": "demo"},
    )
    assert response.status_code == 422
    assert 'data-error-for="customer"' in response.text
    assert "must be a customer" in field_errors(response.text)
    assert _count(db) == 0


@pytest.mark.parametrize("customer", BEYOND_JSON)
def test_the_outbox_hears_it_at_the_field(client, auth, db, field, customer):
    auth.login("fay@acme.example")
    body = {
        "uuid": str(uuids.uuid4()),
        "type": "customer_visit",
        "occurred_at": "2026-03-02T09:15:00+08:00",
        "values": {"customer": customer, "purpose": "demo"},
    }
    response = client.post("/field/sync", json=body)
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"customer": "must be a customer"}}
    assert _count(db) == 0


@pytest.mark.parametrize("customer", BEYOND_JSON)
def test_the_api_names_the_record_s_field(client, db, field, runner, customer):
    result = runner.invoke(args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"])
    token = {"Authorization": f"Bearer {result.output.strip()}"}
    item = {
        "uuid": str(uuids.uuid4()),
        "type": "customer_visit",
        "occurred_at": "2026-03-10T10:00:00+08:00",
        "values": {"customer": customer, "purpose": "demo"},
        "employee": "F1",
    }
    response = client.post("/api/v1/activities", json={"activities": [item]}, headers=token)
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert [d["path"] for d in details] == ["activities[0].values.customer"]
    assert _count(db) == 0
