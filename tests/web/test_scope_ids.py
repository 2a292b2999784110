"""A role's department, posted as an id beyond what the database holds, is refused beside the
field with what was ticked kept and nothing saved (before, the form read any whole number
and PostgreSQL refused the department's lookup with "integer out of range": a 500)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from appraisal.db import MAX_ID
from appraisal.models import Membership, User
from tests.conftest import field_errors

BEYOND = [str(MAX_ID + 1), "99999999999999999999", str(-(2**31) - 1), "9" * 5000]


@pytest.fixture
def acme(make, auth):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    return org


def _kept(html: str, role: str) -> bool:
    return re.search(rf'<input checked[^>]*value="{role}"', html) is not None


@pytest.mark.parametrize("department", BEYOND)
def test_editing_a_member_refuses_it_at_the_department(client, db, make, acme, department):
    worker = make.member(acme, "worker@acme.example", roles=("employee",))
    response = client.post(
        f"/users/{worker.id}",
        data={"name": "Worker", "roles": ["hr_partner"], "department": department},
    )
    assert response.status_code == 422
    assert field_errors(response.text) == ["Invalid Choice: could not coerce."]
    assert _kept(response.text, "hr_partner")
    db.expire_all()
    assert db.get(Membership, worker.id).grants == {("employee", None)}


@pytest.mark.parametrize("department", BEYOND)
def test_adding_a_member_refuses_it_at_the_department(client, db, acme, department):
    response = client.post(
        "/users/new",
        data={
            "email": "new@acme.example",
            "name": "New",
            "password": "long-enough-1",
            "roles": ["department_head"],
            "department": department,
        },
    )
    assert response.status_code == 422
    assert field_errors(response.text) == ["Invalid Choice: could not coerce."]
    assert _kept(response.text, "department_head")
    assert 'value="new@acme.example"' in response.text
    assert db.scalar(select(func.count()).select_from(User)) == 1
