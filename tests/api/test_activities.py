"""Field records through the API: types out, records in (a batch, all or nothing,
idempotent per uuid) and out (paged, filtered, only what the token's holder may see)."""

from __future__ import annotations

import uuid as uuids

import pytest

from appraisal.models import ActivityRecord
from tests.runtime.fieldwork.conftest import field  # noqa: F401 - shared fixture


@pytest.fixture
def hr_token(runner, field):  # noqa: F811
    result = runner.invoke(args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def _item(field, number="F1", **overrides):  # noqa: F811
    return {
        "uuid": str(uuids.uuid4()),
        "type": "customer_visit",
        "occurred_at": "2026-03-10T10:00:00+08:00",
        "values": {"customer": field["shop"].id, "purpose": "demo"},
        "employee": number,
        **overrides,
    }


def test_types_are_listed_with_their_definition(client, hr_token):
    response = client.get("/api/v1/activity-types", headers=hr_token)
    assert response.status_code == 200
    [visit] = response.json["items"]
    assert visit["key"] == "customer_visit" and visit["version"] == 1
    assert visit["definition"]["format"] == "activity/1"


def test_a_batch_is_stored_once_per_uuid(client, db, field, hr_token):  # noqa: F811
    batch = [_item(field), _item(field, "O1")]
    first = client.post("/api/v1/activities", json={"activities": batch}, headers=hr_token)
    assert first.status_code == 201, first.json
    assert first.json["created"] == 2
    again = client.post("/api/v1/activities", json={"activities": batch}, headers=hr_token)
    assert again.status_code == 200 and again.json["existing"] == 2
    assert db.query(ActivityRecord).count() == 2


def test_one_bad_record_refuses_the_whole_batch_with_its_path(client, db, field, hr_token):  # noqa: F811
    bad = _item(field, values={"customer": field["shop"].id, "purpose": "collect"})
    batch = [_item(field), bad, _item(field, "NOBODY")]
    response = client.post("/api/v1/activities", json={"activities": batch}, headers=hr_token)
    assert response.status_code == 422
    paths = {d["path"] for d in response.json["error"]["details"]}
    assert paths == {"activities[1].amount", "activities[2].employee"}
    assert db.query(ActivityRecord).count() == 0


def test_a_batch_over_500_is_refused(client, field, hr_token):  # noqa: F811
    batch = [_item(field) for _ in range(501)]
    response = client.post("/api/v1/activities", json={"activities": batch}, headers=hr_token)
    assert response.status_code == 400


def test_records_are_listed_filtered_and_read_by_uuid(client, field, hr_token):  # noqa: F811
    items = [_item(field), _item(field, "O1")]
    client.post("/api/v1/activities", json={"activities": items}, headers=hr_token)
    listed = client.get("/api/v1/activities?employee=F1&from=2026-03-01", headers=hr_token)
    assert listed.status_code == 200
    assert [i["uuid"] for i in listed.json["items"]] == [items[0]["uuid"]]
    assert listed.json["items"][0]["status"] == "pending"
    one = client.get(f"/api/v1/activities/{items[1]['uuid']}", headers=hr_token)
    assert one.status_code == 200 and one.json["employee_number"] == "O1"
    missing = client.get(f"/api/v1/activities/{uuids.uuid4()}", headers=hr_token)
    assert missing.status_code == 404
    assert client.get("/api/v1/activities?status=nonsense", headers=hr_token).status_code == 400


def test_another_organizations_token_sees_none_of_it(client, field, hr_token, make, runner):  # noqa: F811
    item = _item(field)
    client.post("/api/v1/activities", json={"activities": [item]}, headers=hr_token)
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    result = runner.invoke(
        args=["tokens", "create", "--user", "hr@other.example", "--org", "other"]
    )
    theirs = {"Authorization": f"Bearer {result.output.strip()}"}
    assert client.get(f"/api/v1/activities/{item['uuid']}", headers=theirs).status_code == 404
    assert client.get("/api/v1/activities", headers=theirs).json["total"] == 0


def test_the_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/activities", "/activities/{uuid}", "/activity-types"} <= set(paths)
    assert paths["/activities/{uuid}"]["get"]["parameters"][0]["schema"]["type"] == "string"
