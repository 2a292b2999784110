"""The customer master over the API (CRM sync): upserts are idempotent, a batch is all or
nothing with each problem at its path, stale versions are 409, other organizations' codes
are 404, and only HR admins' and implementers' tokens may use it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from appraisal.models import AuditEvent, Customer, Employee, Membership, User


@pytest.fixture
def crm(make, db, token_for):
    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=("admin",))
    make.member(org, "imp@acme.example", roles=("implementer",))
    make.member(org, "boss@acme.example", roles=("manager",))
    for number in ("F1", "F2"):
        make.employee(org, number, f"rep {number}")
    make.employee(org, "L1", "left already", status="left")
    return {"org": org, "headers": token_for("hr@acme.example")}


SHOP = {
    "name": "徐汇旗舰店",
    "address": "上海市徐汇区",
    "kind": "门店",
    "reps": ["F1", "F2"],
    "latitude": 31.188,
    "longitude": 121.437,
    "radius_m": 200,
}


def _count(db):
    return db.scalar(select(func.count(Customer.id)))


def test_put_creates_then_is_idempotent_then_updates(client, db, crm):
    headers = crm["headers"]
    first = client.put("/api/v1/customers/C001", json=SHOP, headers=headers)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["outcome"] == "create" and body["reps"] == ["F1", "F2"]
    assert (body["latitude"], body["longitude"], body["radius_m"], body["version"]) == (
        31.188,
        121.437,
        200,
        1,
    )
    again = client.put("/api/v1/customers/C001", json=SHOP, headers=headers).get_json()
    assert again["outcome"] == "unchanged" and again["version"] == 1
    assert _count(db) == 1
    moved = client.put(
        "/api/v1/customers/C001", json={"reps": ["F2"], "active": False}, headers=headers
    ).get_json()
    assert moved["outcome"] == "update" and moved["reps"] == ["F2"] and moved["active"] is False
    assert moved["name"] == "徐汇旗舰店" and moved["radius_m"] == 200  # left out: kept
    assert moved["version"] == 2
    read = client.get("/api/v1/customers/C001", headers=headers).get_json()
    assert read == {k: v for k, v in moved.items() if k != "outcome"}
    cleared = client.put(
        "/api/v1/customers/C001",
        json={"latitude": None, "longitude": None, "radius_m": None},
        headers=headers,
    ).get_json()
    assert cleared["latitude"] is None and cleared["radius_m"] is None
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("customer.%")))
    assert list(actions) == ["customer.imported"] * 4  # every call that could change something


def test_put_answers_for_the_code_as_stored_when_the_path_has_spaces(client, db, crm):
    """The upsert stores a code stripped (as a file's cell is); the answer and the version
    check look up the same code, so a padded path never turns into a server error."""
    headers = crm["headers"]
    made = client.put("/api/v1/customers/%20C9%20", json=SHOP, headers=headers)
    assert made.status_code == 200 and made.get_json()["code"] == "C9"
    again = client.put("/api/v1/customers/C9%20", json={}, headers=headers)
    assert again.status_code == 200 and again.get_json()["outcome"] == "unchanged"
    stale = client.put("/api/v1/customers/%20C9", json={"version": 7}, headers=headers)
    assert stale.status_code == 409
    assert client.get("/api/v1/customers/%20C9", headers=headers).get_json()["code"] == "C9"
    blank = client.put("/api/v1/customers/%20%20", json=SHOP, headers=headers)
    assert blank.status_code == 422
    assert _count(db) == 1


def test_put_refuses_bad_values_with_their_paths(client, db, crm):
    response = client.put(
        "/api/v1/customers/C 1",
        json={"name": "", "latitude": 95, "reps": ["F1", "X9", "L1"], "radius_m": 0},
        headers=crm["headers"],
    )
    assert response.status_code == 422
    details = {d["path"]: d["message"] for d in response.get_json()["error"]["details"]}
    assert set(details) == {"code", "name", "reps", "latitude", "radius_m"}
    assert "X9" in details["reps"] and "L1" in details["reps"] and "F1" not in details["reps"]
    assert _count(db) == 0
    response = client.put(
        "/api/v1/customers/C2",
        json={"latitude": 31},
        headers=crm["headers"] | {"Accept-Language": "zh"},
    )
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert {d["path"] for d in details} == {"name", "longitude"}
    assert all("两个坐标" in d["message"] or "名称" in d["message"] for d in details)


def test_a_stale_version_is_409_and_nothing_is_saved(client, db, crm):
    headers = crm["headers"]
    client.put("/api/v1/customers/C001", json=SHOP, headers=headers)
    client.put("/api/v1/customers/C001", json={"name": "改名"}, headers=headers)
    stale = client.put("/api/v1/customers/C001", json={"name": "旧", "version": 1}, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    message = stale.get_json()["error"]["message"]
    assert "Read it again" in message and "kept below" not in message  # a program's words
    fresh = client.put("/api/v1/customers/C001", json={"name": "新", "version": 2}, headers=headers)
    assert fresh.status_code == 200 and fresh.get_json()["version"] == 3
    new_only = client.put(
        "/api/v1/customers/C002", json={"name": "x", "version": 0}, headers=headers
    )
    assert new_only.status_code == 200
    assert (
        client.put(
            "/api/v1/customers/C002", json={"name": "y", "version": 0}, headers=headers
        ).status_code
        == 409
    )


def test_a_batch_is_all_or_nothing_with_paths(client, db, crm):
    headers = crm["headers"]
    rows = [{"code": f"B{i:04}", "name": f"店 {i}", "reps": ["F1"]} for i in range(1000)]
    rows[500] = {"code": "B0001", "name": "twice"}
    rows[700]["reps"] = ["F1", "NOPE"]
    response = client.post("/api/v1/customers/batch", json={"customers": rows}, headers=headers)
    assert response.status_code == 422
    paths = [d["path"] for d in response.get_json()["error"]["details"]]
    assert paths == ["customers[500].code", "customers[700].reps"]
    assert _count(db) == 0

    rows[500], rows[700]["reps"] = {"code": "B0500", "name": "店 500"}, ["F1"]
    dry = client.post(
        "/api/v1/customers/batch", json={"customers": rows, "dry_run": True}, headers=headers
    )
    assert dry.get_json()["created"] == 1000 and _count(db) == 0
    done = client.post(
        "/api/v1/customers/batch", json={"customers": rows}, headers=headers
    ).get_json()
    assert (done["created"], done["updated"], done["unchanged"]) == (1000, 0, 0)
    again = client.post(
        "/api/v1/customers/batch", json={"customers": rows}, headers=headers
    ).get_json()
    assert (again["created"], again["unchanged"]) == (0, 1000)  # idempotent
    assert _count(db) == 1000
    too_many = client.post(
        "/api/v1/customers/batch",
        json={"customers": [*rows, {"code": "X", "name": "x"}]},
        headers=headers,
    )
    assert too_many.status_code == 400


def test_the_list_pages_searches_and_gives_changes_since(client, db, crm):
    headers = crm["headers"]
    for code, name in (("A1", "华联超市"), ("A2", "联华便利"), ("A3", "经销商")):
        client.put(f"/api/v1/customers/{code}", json={"name": name}, headers=headers)
    listed = client.get("/api/v1/customers?per_page=2", headers=headers).get_json()
    assert [c["code"] for c in listed["items"]] == ["A1", "A2"] and listed["total"] == 3
    assert [
        c["code"] for c in client.get("/api/v1/customers?q=联", headers=headers).get_json()["items"]
    ] == ["A1", "A2"]
    stamp = client.get("/api/v1/customers/A2", headers=headers).get_json()["updated_at"]
    client.put("/api/v1/customers/A1", json={"kind": "商超"}, headers=headers)
    since = client.get(
        "/api/v1/customers", query_string={"updated_since": stamp}, headers=headers
    ).get_json()
    assert [c["code"] for c in since["items"]] == ["A2", "A3", "A1"]  # oldest change first
    assert (
        client.get("/api/v1/customers?updated_since=yesterday", headers=headers).status_code == 400
    )


def test_only_hr_and_implementers_and_only_their_organization(client, db, crm, make, token_for):
    client.put("/api/v1/customers/C001", json=SHOP, headers=crm["headers"])
    implementer = token_for("imp@acme.example")
    assert client.get("/api/v1/customers/C001", headers=implementer).status_code == 200
    manager = token_for("hr@acme.example")  # a token whose holder is a manager now
    membership = db.scalar(select(Membership).join(User).where(User.email == "hr@acme.example"))
    membership.set_roles({"manager"})
    db.commit()
    assert client.get("/api/v1/customers", headers=manager).status_code == 403
    assert (
        client.put("/api/v1/customers/C001", json={"name": "x"}, headers=manager).status_code == 403
    )
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    make.employee(other, "F1", "another F1")
    theirs = token_for("hr@other.example", "other")
    assert client.get("/api/v1/customers/C001", headers=theirs).status_code == 404
    assert client.get("/api/v1/customers", headers=theirs).get_json()["items"] == []
    created = client.put(
        "/api/v1/customers/C001", json={"name": "他们的", "reps": ["F1"]}, headers=theirs
    )
    assert created.get_json()["outcome"] == "create"  # their own C001, with their own F1
    ours = db.scalar(
        select(Customer).where(Customer.code == "C001", Customer.organization_id == crm["org"].id)
    )
    assert ours.name == "徐汇旗舰店"
    rep = db.scalar(select(Employee).where(Employee.name == "another F1"))
    assert [
        c.organization_id for c in db.scalars(select(Customer).where(Customer.reps.contains(rep)))
    ] == [other.id]


def test_odd_codes_are_404_not_errors(client, crm):
    for code in ("x" * 61, "%00", "C%0A1"):
        assert client.get(f"/api/v1/customers/{code}", headers=crm["headers"]).status_code in (
            400,
            404,
        )
    assert (
        client.put(
            f"/api/v1/customers/{'x' * 61}", json={"name": "n"}, headers=crm["headers"]
        ).status_code
        == 422
    )
