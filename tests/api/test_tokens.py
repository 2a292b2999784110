"""Personal tokens in the browser: created and shown once, stored hashed, revoked."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from appraisal.models import ApiToken
from tests.conftest import field_errors


def test_a_token_is_shown_once_stored_hashed_and_revocable(client, auth, db, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    response = client.post("/account/tokens", data={"name": "CRM sync", "days": "30"})
    secret = re.search(r"(apr_[\w-]+)</code>", response.text)[1]
    token = db.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in client.get("/account/tokens").text  # never shown again
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/cycles", headers=headers).status_code == 200

    client.post(f"/account/tokens/{token.id}/revoke")
    assert client.get("/api/v1/cycles", headers=headers).status_code == 401


def test_token_form_refuses_bad_input_and_other_peoples_tokens(client, auth, db, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    make.member(org, "hr2@acme.example")
    auth.login("hr@acme.example")
    response = client.post("/account/tokens", data={"name": "x", "days": "9999"})
    assert response.status_code == 422
    assert field_errors(response.text)
    assert 'value="x"' in response.text
    auth.logout()
    auth.login("hr2@acme.example")
    client.post("/account/tokens", data={"name": "mine", "days": "5"})
    mine = db.scalar(select(ApiToken))
    auth.logout()
    auth.login("hr@acme.example")
    assert client.post(f"/account/tokens/{mine.id}/revoke").status_code == 404
    db.refresh(mine)
    assert mine.revoked_at is None


def test_a_removed_member_s_token_stops_working(client, db, make, runner):
    org = make.org("acme")
    membership = make.member(org, "hr@acme.example")
    secret = runner.invoke(
        args=["tokens", "create", "--user", "hr@acme.example", "--org", "acme"]
    ).output.strip()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/cycles", headers=headers).status_code == 200
    membership.active = False
    db.commit()
    assert client.get("/api/v1/cycles", headers=headers).status_code == 401


def test_api_reference_page(client, auth, make):
    org = make.org("acme")
    make.member(org, "ann@acme.example", roles=("employee",))
    auth.login("ann@acme.example")
    page = client.get("/api/docs").text
    assert "/api/v1/cycles/{cycle_id}/figures" in page and "EmployeesIn" in page


def test_only_hr_admins_and_implementers_create_tokens(client, auth, db, make, runner):
    """Every API operation needs one of their roles; an employee's or a manager's token
    could do nothing, so neither the page, the link nor the command gives them one."""
    org = make.org("acme")
    make.member(org, "ann@acme.example", roles=("employee",))
    make.member(org, "boss@acme.example", roles=("employee", "manager"))
    make.member(org, "imp@acme.example", roles=("implementer",))
    for email in ("ann@acme.example", "boss@acme.example"):
        auth.login(email)
        assert 'id="nav-tokens"' not in client.get("/").text
        assert client.get("/account/tokens").status_code == 403
        assert client.post("/account/tokens", data={"name": "x", "days": "5"}).status_code == 403
        auth.logout()
        result = runner.invoke(args=["tokens", "create", "--user", email, "--org", "acme"])
        assert result.exit_code != 0 and "仅供 HR 管理员和实施顾问" in result.output
    assert db.scalar(select(ApiToken)) is None
    auth.login("imp@acme.example")
    assert 'id="nav-tokens"' in client.get("/").text
    assert client.get("/account/tokens").status_code == 200
