"""Users and roles of an organization."""

import re

import pytest
from sqlalchemy import select

from appraisal.models import Membership, User
from tests.conftest import PASSWORD, alerts, field_errors


@pytest.fixture
def acme(make, auth):
    org = make.org("acme")
    me = make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    return org, me


def test_admin_creates_a_user_who_can_sign_in(client, auth, db, acme):
    response = client.post(
        "/users/new",
        data={
            "email": "New.Hire@acme.example",
            "name": "New Hire",
            "password": "long-enough-1",
            "language": "en",
            "roles": ["employee", "manager"],
        },
    )
    assert response.status_code == 302
    membership = db.scalar(
        select(Membership).join(User).where(User.email == "new.hire@acme.example")
    )
    assert membership.roles == {"employee", "manager"}
    auth.logout()
    assert auth.login("new.hire@acme.example", "long-enough-1").status_code == 302


def test_an_existing_account_is_invited_not_linked_nor_duplicated(client, db, make, acme):
    make.member(make.org("globex"), "consultant@x.example", roles=("implementer",))
    response = client.post(
        "/users/new",
        data={
            "email": "consultant@x.example",
            "name": "C",
            "password": "",
            "roles": ["implementer"],
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "it is invited, and gets access when its holder accepts" in page
    assert "Invited, waiting for an answer" in page and "consultant@x.example" in page
    assert db.query(User).filter_by(email="consultant@x.example").count() == 1
    response = client.post(
        "/users/new", data={"email": "consultant@x.example", "name": "C", "roles": ["implementer"]}
    )
    assert field_errors(response.get_data(as_text=True)) == ["This person is invited already."]


def test_a_member_cannot_be_added_twice(client, make, acme):
    org, _ = acme
    make.member(org, "worker@acme.example", roles=("employee",))
    response = client.post(
        "/users/new", data={"email": "worker@acme.example", "name": "W", "roles": ["manager"]}
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == [
        "This person is already a member of the organization."
    ]


def test_new_account_needs_a_good_password_and_a_role(client, acme):
    response = client.post(
        "/users/new",
        data={"email": "x@acme.example", "name": "X", "password": "short", "roles": ["employee"]},
    )
    assert field_errors(response.get_data(as_text=True)) == ["Use at least 8 characters."]
    response = client.post(
        "/users/new", data={"email": "x@acme.example", "name": "X", "password": "long-enough-1"}
    )
    assert field_errors(response.get_data(as_text=True)) == ["Choose at least one role."]


def test_admin_cannot_lock_themself_out(client, db, acme):
    _, me = acme
    response = client.post(f"/users/{me.id}", data={"name": "Me", "roles": ["employee"]})
    assert field_errors(response.get_data(as_text=True)) == [
        "You cannot remove your own HR admin role."
    ]
    response = client.post(f"/users/{me.id}/toggle", follow_redirects=True)
    assert alerts(response.get_data(as_text=True)) == ["You cannot deactivate your own access."]
    db.expire_all()
    assert db.get(Membership, me.id).active and "admin" in db.get(Membership, me.id).roles


def test_deactivated_member_loses_access_to_the_organization(client, auth, db, make, acme):
    org, _ = acme
    other = make.member(org, "leaver@acme.example", roles=("employee",))
    client.post(f"/users/{other.id}/toggle")
    auth.logout()
    auth.login("leaver@acme.example", PASSWORD)
    assert "does not belong to any active organization" in client.get("/").get_data(as_text=True)
    assert client.get("/people/employees").status_code == 403


def test_password_reset_link_and_role_change(client, auth, db, make, acme):
    """The admin of the only organization of an account makes a one-time link; the person
    sets their own password with it."""
    org, _ = acme
    other = make.member(org, "worker@acme.example", roles=("employee",))
    assert other.roles == {"employee"}
    client.post(f"/users/{other.id}", data={"name": "Worker", "roles": ["manager"]})
    db.expire_all()
    assert db.get(Membership, other.id).roles == {"manager"}
    assert db.get(Membership, other.id).user.name == "Worker"
    page = client.post(f"/users/{other.id}/reset-link")
    assert page.headers["Cache-Control"] == "no-store"
    link = re.search(r"http://localhost(/account/reset/[\w-]+)", page.text).group(1)
    auth.logout()
    # A response object is always true: the redirect to sign-in says the password was set.
    done = client.post(link, data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert auth.login("worker@acme.example", PASSWORD).status_code == 401
    assert auth.login("worker@acme.example", "brand-new-pass").status_code == 302


def test_a_scoped_role_is_granted_with_its_department(client, db, make, acme):
    """HR business partners and department heads need a department of this organization;
    a bad choice is refused next to the field with what was typed kept, nothing saved."""
    from appraisal.models import Department

    org, _ = acme
    other_org = make.org("globex")
    plant = Department(organization_id=org.id, name="Plant 1")
    elsewhere = Department(organization_id=other_org.id, name="Their plant")
    db.add_all([plant, elsewhere])
    db.commit()
    worker = make.member(org, "worker@acme.example", roles=("employee",))

    def post(roles, department=""):
        return client.post(
            f"/users/{worker.id}", data={"name": "Worker", "roles": roles, "department": department}
        )

    missing = post(["employee", "department_head"])
    assert missing.status_code == 422
    assert field_errors(missing.text) == [
        "Choose the department an HR business partner or a department head works in."
    ]
    assert re.search(r'<input checked[^>]*value="department_head"', missing.text)  # kept
    foreign = post(["hr_partner"], str(elsewhere.id))
    assert foreign.status_code == 422
    assert field_errors(foreign.text) == ["Choose a department of this organization."]
    crafted = post(["hr_partner"], "not-a-number")
    assert crafted.status_code == 422
    unscoped = post(["manager"], str(plant.id))
    assert unscoped.status_code == 422
    db.expire_all()
    assert db.get(Membership, worker.id).grants == {("employee", None)}  # nothing half-saved

    assert post(["employee", "department_head"], str(plant.id)).status_code == 302
    db.expire_all()
    assert db.get(Membership, worker.id).grants == {
        ("employee", None),
        ("department_head", plant.id),
    }
    listing = client.get("/users/")
    assert "Department head · Plant 1" in listing.text


def test_an_invitation_grants_no_scoped_role(client, db, make, acme):
    other = make.org("globex")
    make.member(other, "shared@globex.example", roles=("employee",))
    response = client.post(
        "/users/new",
        data={"email": "shared@globex.example", "name": "Shared", "roles": ["auditor"]},
    )
    assert response.status_code == 422
    assert field_errors(response.text) == [
        "Invite with organization-wide roles; give a department role once they accept."
    ]
