"""How a person stands to an appraisal decides what they may do on it."""

from __future__ import annotations

from sqlalchemy import select

from appraisal.models import Appraisal
from appraisal.runtime.reviews import access, invitations
from tests.runtime.conftest import appraisal_of


def test_hr_does_the_managers_part_where_there_is_no_manager(client, auth, db, company, launched):
    bo = appraisal_of(db, company, "bo")  # Bo reports to nobody
    assert bo.manager_id is None
    hr = company.viewer(db, "hr@acme.example")
    assert access.relations(bo, hr) == {"hr", "manager"}
    auth.login("hr@acme.example")
    assert client.get(f"/appraisals/{bo.id}/review/manager").status_code == 200
    assert "Set targets" in client.get("/tasks").text


def test_an_hr_admin_is_not_hr_on_their_own_appraisal(client, auth, db, make, company, launched):
    hr = company.viewer(db, "hr@acme.example")
    own = make.employee(
        company.org, "H001", "Hana", user_id=hr.user_id, manager_id=company.people["bo"].id
    )
    appraisal = Appraisal(
        organization_id=company.org.id,
        cycle_id=launched.id,
        employee_id=own.id,
        manager_id=own.manager_id,
        template_version_id=company.version.id,
        state="self_review",
    )
    db.add(appraisal)
    db.commit()
    hr = company.viewer(db, "hr@acme.example")
    assert access.relations(appraisal, hr) == {"employee"}
    auth.login("hr@acme.example")
    assert client.get(f"/appraisals/{appraisal.id}/review/hr").status_code == 404
    assert client.get(f"/appraisals/{appraisal.id}/targets").status_code == 404
    assert client.get(f"/appraisals/{appraisal.id}/review/self").status_code == 200


def test_an_invited_peer_sees_only_their_own_items(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.state = "self_review"
    invitations.invite(
        db, ann, company.viewer(db, "boss@acme.example"), "peer", company.people["pat"].user_id
    )
    db.commit()
    auth.login("pat@acme.example")
    response = client.get(f"/appraisals/{ann.id}")
    assert response.headers["Location"].endswith(f"/appraisals/{ann.id}/review/peer")
    page = client.get(f"/appraisals/{ann.id}/review/peer").text
    assert 'name="peer.teamwork"' in page
    assert "customer_care" not in page and "100000" not in page and "Total" not in page
    assert client.get(f"/appraisals/{ann.id}/targets").status_code == 404
    assert db.scalar(select(Appraisal.state).where(Appraisal.id == ann.id)) == "self_review"


def test_who_signs_in_is_decided_alike_in_python_and_in_sql(db, make, company):
    """`signs_in_clause` (home's task counts) is the SQL twin of `signs_in` (the pages):
    an active account with an active membership in the employee's own organization."""
    from appraisal.models import Employee, User

    org, other = company.org, make.org("elsewhere")
    cases = {"no account": make.employee(org, "S001")}
    for label, user_active, membership_active, in_org in (
        ("signs in", True, True, org),
        ("account off", False, True, org),
        ("membership off", True, False, org),
        ("member elsewhere", True, True, other),
    ):
        membership = make.member(in_org, f"{label.replace(' ', '.')}@acme.example", ("employee",))
        membership.active = membership_active
        db.get(User, membership.user_id).active = user_active
        cases[label] = make.employee(
            org, f"S{len(cases) + 1:03}", label, user_id=membership.user_id
        )
    db.commit()
    in_sql = dict(db.execute(select(Employee.id, access.signs_in_clause())).all())
    assert {label: access.signs_in(e) for label, e in cases.items()} == {
        "no account": False,
        "signs in": True,
        "account off": False,
        "membership off": False,
        "member elsewhere": False,
    }
    assert {label: in_sql[e.id] for label, e in cases.items()} == {
        label: access.signs_in(e) for label, e in cases.items()
    }


def test_an_account_in_several_organizations_signs_in_where_it_is_a_member(
    db, make, company, launched
):
    """The appraisal page reads the employee's account with all its memberships, as joined
    rows of the appraisal's own statement: each is kept, and the one in the appraisal's
    organization decides (HR does not act for someone who signs in)."""
    ann = appraisal_of(db, company, "ann")
    user_id = company.people["ann"].user_id
    for slug in ("elsewhere", "further"):  # older memberships come first
        membership = make.member(make.org(slug), "ann@acme.example", ("employee",))
        membership.created_at = membership.created_at.replace(year=2020)
    db.commit()
    hr = company.viewer(db, "hr@acme.example")
    db.expunge_all()  # what the page reads, not what the arrangement left in the session
    loaded = access.load_appraisal(db, hr, ann.id)
    assert loaded.employee.user_id == user_id
    assert len(loaded.employee.user.memberships) == 3
    assert access.signs_in(loaded.employee)
    assert "proxy" not in access.relations(loaded, hr)
