"""The JSON API over HTTP: tokens, scoping, errors, and each operation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from appraisal.models import ApiToken, Employee, Membership, Review, User, utcnow
from appraisal.rules import score
from appraisal.runtime.reviews.access import official_inputs
from tests.runtime.conftest import appraisal_of


def test_requests_without_a_valid_token_are_401(client, company, token_for, db):
    assert client.get("/api/v1/cycles").status_code == 401
    body = client.get("/api/v1/cycles", headers={"Authorization": "Bearer apr_nonsense"}).get_json()
    assert body["error"]["code"] == "unauthorized"
    headers = token_for("hr@acme.example")
    assert client.get("/api/v1/cycles", headers=headers).status_code == 200
    token = db.scalar(select(ApiToken))
    token.revoked_at = utcnow()
    db.commit()
    assert client.get("/api/v1/cycles", headers=headers).status_code == 401
    token.revoked_at, token.expires_at = None, utcnow() - timedelta(seconds=1)
    db.commit()
    assert client.get("/api/v1/cycles", headers=headers).status_code == 401


def test_a_token_sees_only_its_organization(client, make, company, launched, token_for):
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    headers = token_for("hr@other.example", "other")
    assert client.get("/api/v1/cycles", headers=headers).get_json()["items"] == []
    assert (
        client.get(f"/api/v1/cycles/{launched.id}/appraisals", headers=headers).status_code == 404
    )
    response = client.put(
        f"/api/v1/cycles/{launched.id}/figures",
        json={"figures": [{"employee_number": "A001", "key": "sales", "value": 1}]},
        headers=headers,
    )
    assert response.status_code == 404


def test_roles_limit_what_a_token_does(client, db, company, launched, token_for):
    # Employees get no token any more (test_tokens); a token acts with its holder's current
    # roles, so one whose holder became a plain employee is refused the same way.
    employee = token_for("hr@acme.example")
    membership = db.scalar(select(Membership).join(User).where(User.email == "hr@acme.example"))
    membership.set_roles({"employee"})
    db.commit()
    assert client.get("/api/v1/cycles", headers=employee).status_code == 403
    implementer = token_for("imp@acme.example")
    assert client.get("/api/v1/cycles", headers=implementer).status_code == 200
    assert (
        client.get(f"/api/v1/cycles/{launched.id}/appraisals", headers=implementer).status_code
        == 403
    )


def test_figures_arrive_and_show_up_in_the_appraisal(client, db, company, launched, token_for):
    headers = token_for("imp@acme.example")
    body = {
        "figures": [
            {"employee_number": "A001", "key": "sales", "value": 112000},
            {"employee_number": "A001", "key": "collection", "value": 96},
            {"employee_number": "A001", "key": "complaints", "value": 1},
        ]
    }
    response = client.put(f"/api/v1/cycles/{launched.id}/figures", json=body, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"received": 3, "changed": 3}
    review = db.scalar(select(Review).where(Review.slot == "data"))
    assert review.values == {"sales": 112000, "collection": 96, "complaints": 1}

    hr = token_for("hr@acme.example")
    response = client.put(
        f"/api/v1/cycles/{launched.id}/targets",
        json={"targets": [{"employee_number": "A001", "key": "sales", "value": 100000}]},
        headers=hr,
    )
    assert response.status_code == 200
    ann = appraisal_of(db, company, "ann")
    result = client.get(f"/api/v1/appraisals/{ann.id}/result", headers=hr).get_json()
    db.refresh(ann)
    assert (
        result["items"]["sales"]
        == score(ann.definition, official_inputs(ann)).items["sales"]
        == 112
    )


def test_bad_figures_are_refused_whole(client, db, company, launched, token_for):
    headers = token_for("hr@acme.example")
    body = {
        "figures": [
            {"employee_number": "A001", "key": "sales", "value": 5},
            {"employee_number": "Z404", "key": "sales", "value": 5},
            {"employee_number": "P001", "key": "sales", "value": "lots"},
        ]
    }
    response = client.put(f"/api/v1/cycles/{launched.id}/figures", json=body, headers=headers)
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert [d["path"] for d in details] == ["figures[1]", "figures[2]"]
    assert db.scalar(select(Review).where(Review.slot == "data")) is None


def test_malformed_and_oversized_bodies(app, client, company, launched, token_for):
    headers = token_for("hr@acme.example")
    url = f"/api/v1/cycles/{launched.id}/figures"
    response = client.put(url, data="{not json", headers=headers, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
    response = client.put(url, json={"figures": [{"employee_number": "A001"}]}, headers=headers)
    assert response.status_code == 400
    assert {d["path"] for d in response.get_json()["error"]["details"]} == {
        "figures.0.key",
        "figures.0.value",
    }
    big = b'{"figures": [' + b" " * (app.config["API_MAX_JSON_BYTES"] + 10) + b"]}"
    response = client.put(url, data=big, headers=headers, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


def test_employees_upsert_with_managers_later_in_the_batch(client, db, company, token_for):
    headers = token_for("imp@acme.example")
    rows = [
        {
            "number": "N002",
            "name": "Nia",
            "manager_number": "N001",
            "department": "Sales North",
            "hire_date": "2024/03/01",
        },
        {"number": "N001", "name": "Ned", "position": "Area lead", "hire_date": "2024年3月1日"},
        {"number": "A001", "name": "Ann", "manager_number": "B001"},
    ]
    response = client.put(
        "/api/v1/employees", json={"employees": rows, "dry_run": True}, headers=headers
    )
    assert response.get_json()["created"] == 2 and response.get_json()["dry_run"] is True
    assert db.scalar(select(Employee).where(Employee.number == "N001")) is None
    response = client.put("/api/v1/employees", json={"employees": rows}, headers=headers)
    body = response.get_json()
    assert (body["created"], body["updated"]) == (2, 1)  # Ann lost her position in this upsert
    assert body["new_departments"] == ["Sales North"] and body["new_positions"] == ["Area lead"]
    nia = db.scalar(select(Employee).where(Employee.number == "N002"))
    assert nia.manager.number == "N001" and str(nia.hire_date) == "2024-03-01"

    loop = [{"number": "N001", "name": "Ned", "manager_number": "N002"}]
    response = client.put("/api/v1/employees", json={"employees": loop}, headers=headers)
    assert response.status_code == 422
    assert (
        "reporting loop: N001 → N002 → N001"
        in response.get_json()["error"]["details"][0]["message"]
    )


def test_templates_round_trip(client, company, token_for):
    headers = token_for("hr@acme.example")
    listed = client.get("/api/v1/templates", headers=headers).get_json()["items"]
    exported = client.get(f"/api/v1/templates/{listed[0]['id']}", headers=headers).get_json()
    assert exported["key"] == "field-sales"
    response = client.post("/api/v1/templates", json=exported, headers=headers)
    assert response.status_code == 422  # the key exists
    response = client.post("/api/v1/templates?as_copy=true", json=exported, headers=headers)
    assert response.status_code == 201 and response.get_json()["key"] == "field-sales-copy"
    broken = dict(exported, grades=[])
    details = client.post("/api/v1/templates?as_copy=1", json=broken, headers=headers).get_json()
    assert details["error"]["code"] == "refused" and details["error"]["details"]


def test_openapi_document_validates(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert "/cycles/{cycle_id}/figures" in document["paths"]


def test_openapi_servers_never_echo_the_host_header(client, auth, company):
    """A forged Host must not reach the document (or a cache in front of it)."""
    forged = "http://evil.example"
    document = client.get("/api/v1/openapi.json", base_url=forged).get_json()
    assert document["servers"] == [{"url": "/api/v1"}]
    auth.login("hr@acme.example", base_url=forged)
    page = client.get("/api/docs", base_url=forged)
    assert page.status_code == 200
    assert "evil.example" not in page.get_data(as_text=True)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", '"nan"', '"1e400"'])
def test_a_figure_or_target_no_float_holds_is_refused_at_its_place(
    client, db, company, launched, token_for, literal
):
    """JSON as Python reads it takes NaN and Infinity, and 1e400 becomes infinity: each is
    refused at its place in the body, nothing saved (before: a 500 from int(inf))."""
    headers = token_for("hr@acme.example")
    for what in ("figures", "targets"):
        body = (
            f'{{"{what}": [{{"employee_number": "A001", "key": "sales", "value": 5}},'
            f' {{"employee_number": "P001", "key": "sales", "value": {literal}}}]}}'
        )
        response = client.put(
            f"/api/v1/cycles/{launched.id}/{what}",
            data=body,
            headers=headers,
            content_type="application/json",
        )
        assert response.status_code == 422, response.text
        assert [d["path"] for d in response.get_json()["error"]["details"]] == [f"{what}[1]"]
    assert db.scalar(select(Review).where(Review.slot == "data")) is None
    assert appraisal_of(db, company, "ann").targets in ({}, None)
