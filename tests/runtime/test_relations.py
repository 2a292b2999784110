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
