"""Managers further up see and review their reports' teams only where HR turned it on."""

from __future__ import annotations

from tests.runtime.conftest import appraisal_of


def test_a_managers_manager_follows_the_team_only_when_configured(
    client, auth, db, make, company, launched
):
    membership = make.member(company.org, "uma@acme.example", roles=("manager", "employee"))
    uma = make.employee(company.org, "U001", "Uma", user_id=membership.user_id)
    company.people["bo"].manager_id = uma.id
    db.commit()
    ann = appraisal_of(db, company, "ann")

    auth.login("uma@acme.example")
    assert client.get(f"/appraisals/{ann.id}").status_code == 404
    assert "Ann" not in client.get("/team").text
    auth.logout()

    auth.login("hr@acme.example")
    client.post("/users/settings", data={"managers_see_chain": "on"})
    auth.logout()
    db.refresh(company.org)
    assert company.org.managers_see_chain is True

    auth.login("uma@acme.example")
    assert client.get(f"/appraisals/{ann.id}").status_code == 200
    assert "Ann" in client.get("/team").text
    assert "Set targets" not in client.get("/tasks").text  # tasks stay with the direct manager
    response = client.post(
        f"/appraisals/{ann.id}/targets", data={"targets.sales": "90000", "version": ann.version}
    )
    assert response.status_code == 302
    db.refresh(ann)
    assert ann.targets == {"sales": 90000}
    oscar = appraisal_of(db, company, "oscar")  # Olga's team is not below Uma
    assert client.get(f"/appraisals/{oscar.id}").status_code == 404


def test_only_hr_changes_the_setting(client, auth, db, company):
    auth.login("boss@acme.example")
    assert client.post("/users/settings", data={"managers_see_chain": "on"}).status_code == 403
    db.refresh(company.org)
    assert company.org.managers_see_chain is False
