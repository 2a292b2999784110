"""Reviews, targets and figures: bad input, conflicts, anonymity, invitations, reopening."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from appraisal.errors import ServiceError
from appraisal.models import AuditEvent, Review
from appraisal.runtime.cycles import figures
from appraisal.runtime.reviews import access, invitations, reviews
from tests.conftest import alerts, field_errors
from tests.runtime.conftest import appraisal_of


def as_user(auth, email):
    auth.logout()
    assert auth.login(email).status_code == 302


def at_state(db, appraisal, state, **targets):
    appraisal.state = state
    appraisal.targets = targets or {"sales": 100000}
    db.commit()
    return appraisal


def test_letters_in_a_figure_refuse_the_whole_grid(client, auth, db, company, launched):
    as_user(auth, "hr@acme.example")
    response = client.post(
        f"/cycles/{launched.id}/figures",
        data={"fig|A001|sales": "12000", "fig|P001|sales": "12k", "fig|P001|collection": "95"},
    )
    assert response.status_code == 422
    assert "&#39;12k&#39; is not a number" in field_errors(response.text)
    assert 'value="12k"' in response.text and 'value="12000"' in response.text
    assert db.scalar(select(Review).where(Review.slot == "data")) is None


def test_figures_service_reports_every_bad_entry_by_row(db, company, launched):
    entries = [
        figures.Entry("A001", "sales", "5000", row=2),
        figures.Entry("Z999", "sales", "1", row=3),
        figures.Entry("P001", "nonsense", "1", row=4),
        figures.Entry("P001", "collection", "-", row=5),
    ]
    with pytest.raises(figures.EntriesRefused) as refused:
        figures.set_figures(db, launched, entries, None)
    rows = sorted(e.row for e in refused.value.errors)
    assert rows == [3, 4, 5]
    db.rollback()
    assert figures.set_figures(db, launched, entries[:1], None) == 1
    db.commit()
    assert appraisal_of(db, company, "ann").reviews[0].values == {"sales": 5000}


def test_a_rating_outside_the_scale_is_refused_with_what_was_typed_kept(
    client, auth, db, company, launched
):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    as_user(auth, "ann@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/review/self",
        data={"self.customer_care": "9", "action": "draft"},
    )
    assert response.status_code == 422
    assert any("9 is not one of the allowed values" in e for e in field_errors(response.text))
    assert db.scalar(select(Review).where(Review.appraisal_id == ann.id)) is None


def test_a_crafted_value_for_another_role_changes_nothing(client, auth, db, company, launched):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    as_user(auth, "ann@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/review/self",
        data={"self.customer_care": "4", "manager.customer_care": "5", "action": "draft"},
    )
    assert response.status_code == 422
    assert "manager.customer_care is not part of this form" in alerts(response.text)
    assert db.scalar(select(Review).where(Review.appraisal_id == ann.id)) is None
    # and the employee cannot open the manager's form at all
    assert client.get(f"/appraisals/{ann.id}/review/manager").status_code == 404
    assert client.post(f"/appraisals/{ann.id}/review/manager", data={}).status_code == 404


def test_submitting_twice_changes_nothing_the_second_time(client, auth, db, company, launched):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    as_user(auth, "ann@acme.example")
    data = {"self.customer_care": "4", "self.leads_team": "false", "action": "submit"}
    assert client.post(f"/appraisals/{ann.id}/review/self", data=data).status_code == 302
    data["self.customer_care"] = "1"
    response = client.post(f"/appraisals/{ann.id}/review/self", data=data)
    assert response.status_code == 422
    assert alerts(response.text)
    db.expire_all()
    review = db.scalar(select(Review).where(Review.slot == "self"))
    assert review.values["customer_care"] == 4
    assert appraisal_of(db, company, "ann").state == "manager_review"


def test_an_employee_who_left_cannot_be_changed(client, auth, db, company, launched):
    ann = at_state(db, appraisal_of(db, company, "ann"), "goal_setting")
    company.people["ann"].status = "left"
    db.commit()
    as_user(auth, "boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/targets", data={"targets.sales": "5", "version": ann.version}
    )
    assert response.status_code == 422
    assert "This employee has left" in " ".join(alerts(response.text))
    db.refresh(ann)
    assert ann.targets == {"sales": 100000}


def test_two_people_saving_the_same_form_the_second_is_told(
    client, app, db, make, company, launched
):
    make.member(company.org, "hr2@acme.example", roles=("admin",))
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    url = f"/appraisals/{ann.id}/review/hr"
    first, second = app.test_client(), app.test_client()
    for browser, email in ((first, "hr@acme.example"), (second, "hr2@acme.example")):
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        browser.post("/login", data={"email": email, "password": "correct-horse-9"})
    first.post(url, data={"hr.award": "1", "action": "draft"})  # creates the review, version 1
    version = db.scalar(select(Review.version).where(Review.slot == "hr"))

    assert (
        first.post(url, data={"hr.award": "3", "version": version, "action": "draft"}).status_code
        == 302
    )
    response = second.post(url, data={"hr.award": "5", "version": version, "action": "draft"})
    assert response.status_code == 409
    assert "Someone else saved this form" in response.text
    assert 'value="5"' in response.text  # the second person's typing is kept
    assert "Saved meanwhile: 3" in response.text
    db.expire_all()
    assert db.scalar(select(Review.values).where(Review.slot == "hr")) == {"award": 3}


def test_manager_cannot_submit_while_the_result_is_incomplete(client, auth, db, company, launched):
    ann = at_state(db, appraisal_of(db, company, "ann"), "manager_review")
    as_user(auth, "boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/review/manager",
        data={
            "manager.customer_care": "4",
            "manager.teamwork": "4",
            "manager.coaching": "4",
            "action": "submit",
        },
    )
    assert response.status_code == 422
    message = " ".join(alerts(response.text))
    # Figures arrive on their own schedule (issue 13.7): only what precedes the manager's
    # part is waited for, named as people read it.
    assert "Waiting for" in message and "Customer care (Self)" in message
    assert "Sales amount" not in message and "self.customer_care" not in message
    db.refresh(ann)
    assert ann.state == "manager_review"
    assert db.scalar(select(Review).where(Review.slot == "manager")) is None


def test_hr_reopens_with_a_reason_and_the_step_becomes_a_draft(client, auth, db, company, launched):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    as_user(auth, "ann@acme.example")
    client.post(
        f"/appraisals/{ann.id}/review/self",
        data={"self.customer_care": "2", "self.leads_team": "false", "action": "submit"},
    )
    as_user(auth, "hr@acme.example")
    response = client.post(f"/appraisals/{ann.id}/reopen", data={"to": "self_review", "reason": ""})
    assert response.status_code == 422  # the form again, the refusal next to the reason
    assert "Give a reason." in field_errors(response.text)
    assert '<option selected value="self_review">' in response.text
    db.refresh(ann)
    assert ann.state == "manager_review"

    client.post(
        f"/appraisals/{ann.id}/reopen", data={"to": "self_review", "reason": "Rated the wrong year"}
    )
    db.expire_all()
    ann = appraisal_of(db, company, "ann")
    assert ann.state == "self_review"
    assert next(r for r in ann.reviews if r.slot == "self").status == "draft"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "appraisal.reopened"))
    assert event.detail == {
        "reason": "Rated the wrong year",
        "from": "manager_review",
        "to": "self_review",
    }


def test_invitations_are_checked(db, company, launched):
    ann = appraisal_of(db, company, "ann")
    bo = company.viewer(db, "boss@acme.example")
    people = company.people
    invitations.invite(db, ann, bo, "peer", people["pat"].user_id)
    for rater, user_id, field in [
        ("peer", people["pat"].user_id, "user_id"),  # twice
        ("peer", people["ann"].user_id, "user_id"),  # herself
        ("subordinate", people["quinn"].user_id, "user_id"),  # not her report
        ("boss", people["quinn"].user_id, "rater"),
    ]:
        with pytest.raises(ServiceError) as refused:
            invitations.invite(db, ann, bo, rater, user_id)
        assert refused.value.field == field
    oscar_manager = company.viewer(db, "olga@acme.example")
    with pytest.raises(ServiceError):
        invitations.invite(db, ann, oscar_manager, "peer", people["quinn"].user_id)


def test_peers_are_anonymous_and_aggregated_only_from_the_threshold(
    client, auth, db, make, company, launched
):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    bo = company.viewer(db, "boss@acme.example")
    make.member(company.org, "rae@acme.example", roles=("employee",))
    rae = make.employee(company.org, "R001", "Rae", user_id=None)
    invited = []
    for email in ("pat@acme.example", "quinn@acme.example", "olga@acme.example"):
        viewer = company.viewer(db, email)
        invitations.invite(db, ann, bo, "peer", viewer.user_id)
        invited.append(viewer)
    db.commit()
    assert rae.id

    def submit(viewer, rating):
        reviews.save_review(
            db, ann, viewer, "peer", {"peer.teamwork": rating}, version=None, submit=True
        )
        db.commit()

    own = frozenset({"employee"})
    submit(invited[0], "5")
    submit(invited[1], "1")
    assert access.visible_inputs(ann, own)["peers"] == []
    # below the threshold the group does not count, for the manager either (test_anonymity)
    assert access.visible_inputs(ann, frozenset({"manager"}))["peers"] == []
    submit(invited[2], "3")
    assert len(access.visible_inputs(ann, frozenset({"manager"}))["peers"]) == 3
    # the appraisee sees the average once published, when no answer can move it any more
    assert access.visible_inputs(ann, own)["peers"] == []
    ann.state = "published"
    assert len(access.visible_inputs(ann, own)["peers"]) == 3
    ann.state = "self_review"

    as_user(auth, "ann@acme.example")
    for url in (f"/appraisals/{ann.id}", f"/appraisals/{ann.id}/review/self", "/tasks"):
        page = client.get(url).text
        for name in ("pat", "quinn", "olga"):
            assert not re.search(rf"\b{name}\b", page, re.IGNORECASE), (url, name)
    assert "3 of 3 submitted" in client.get(f"/appraisals/{ann.id}").text
    as_user(auth, "boss@acme.example")
    assert re.search(r"\bpat\b", client.get(f"/appraisals/{ann.id}").text)


def test_team_target_split_and_sum_check(client, auth, db, company, launched):
    as_user(auth, "boss@acme.example")
    url = f"/cycles/{launched.id}/targets"
    page = client.get(url).text
    assert "Ann" in page and "Pat" in page and "Oscar" not in page
    response = client.post(
        url,
        data={
            "action": "split",
            "split_key": "sales",
            "team_total": "100000",
            "split_method": "equal",
        },
    )
    assert response.status_code == 200
    assert 'value="33333.34"' in response.text and response.text.count('value="33333.33"') == 2

    response = client.post(
        url,
        data={
            "action": "save",
            "split_key": "sales",
            "team_total": "100000",
            "tgt|A001|sales": "40000",
            "tgt|P001|sales": "40000",
            "tgt|Q001|sales": "10000",
        },
    )
    assert response.status_code == 422
    assert "add up to 90000, not the team target 100000" in " ".join(alerts(response.text))
    assert appraisal_of(db, company, "ann").targets == {}

    response = client.post(
        url,
        data={
            "action": "save",
            "split_key": "sales",
            "team_total": "100000",
            "tgt|A001|sales": "50000",
            "tgt|P001|sales": "40000",
            "tgt|Q001|sales": "10000",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    assert appraisal_of(db, company, "pat").targets == {"sales": 40000}
    # Olga's team member is not Bo's to set
    response = client.post(url, data={"action": "save", "tgt|O002|sales": "1"})
    assert response.status_code == 422
    assert appraisal_of(db, company, "oscar").targets == {}


def test_another_team_or_organization_by_id_is_404(client, auth, make, db, company, launched):
    oscar = appraisal_of(db, company, "oscar")
    as_user(auth, "boss@acme.example")
    for url in (
        f"/appraisals/{oscar.id}",
        f"/appraisals/{oscar.id}/targets",
        f"/appraisals/{oscar.id}/review/manager",
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(f"/appraisals/{oscar.id}/action", data={"action": "confirm_goals"}).status_code
        == 404
    )
    assert client.get("/appraisals/999999").status_code == 404


def test_split_leaves_confirmed_goals_alone(client, auth, db, company, launched):
    at_state(db, appraisal_of(db, company, "ann"), "self_review", sales=20000)
    as_user(auth, "boss@acme.example")
    url = f"/cycles/{launched.id}/targets"
    response = client.post(
        url,
        data={
            "action": "split",
            "split_key": "sales",
            "team_total": "100000",
            "split_method": "equal",
        },
    )
    # Ann's 20,000 is confirmed; the other 80,000 goes to Pat and Quinn
    assert response.text.count('value="40000"') == 2
    response = client.post(
        url,
        data={
            "action": "save",
            "split_key": "sales",
            "team_total": "100000",
            "tgt|P001|sales": "40000",
            "tgt|Q001|sales": "40000",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    assert appraisal_of(db, company, "quinn").targets == {"sales": 40000}


def test_a_refused_reopening_keeps_the_reason_typed(client, auth, db, company, launched):
    """A step that cannot be reopened is refused on the page, the reason as typed."""
    ann = at_state(db, appraisal_of(db, company, "ann"), "manager_review")
    as_user(auth, "hr@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/reopen", data={"to": "published", "reason": "Typed with care"}
    )
    assert response.status_code == 422
    assert "Typed with care</textarea>" in response.text
    assert field_errors(response.text) or alerts(response.text)
    db.refresh(ann)
    assert ann.state == "manager_review"


def test_inviting_someone_not_in_the_organization_is_refused_at_the_field(
    client, auth, db, company, launched
):
    ann = at_state(db, appraisal_of(db, company, "ann"), "self_review")
    as_user(auth, "hr@acme.example")
    for user_id in ("abc", "999999"):
        response = client.post(
            f"/appraisals/{ann.id}/invite", data={"rater": "peer", "user_id": user_id}
        )
        assert response.status_code == 422, user_id
        assert field_errors(response.text), user_id
    assert db.scalar(select(Review).where(Review.rater == "peer")) is None
