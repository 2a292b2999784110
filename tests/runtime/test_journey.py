"""The whole plan–do–check path over HTTP, as the users click through it."""

from __future__ import annotations

import re

from sqlalchemy import select

from appraisal.models import AuditEvent, Review
from appraisal.rules import score
from appraisal.runtime.reviews.access import official_inputs
from tests.conftest import alerts, field_errors
from tests.pages import without_tokens
from tests.runtime.conftest import appraisal_of


def as_user(auth, email):
    auth.logout()
    response = auth.login(email)
    assert response.status_code == 302


def test_plan_do_check_over_http(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")

    as_user(auth, "boss@acme.example")
    tasks = client.get("/tasks").text
    assert "Set targets" in tasks and "Ann" in tasks
    response = client.post(
        f"/appraisals/{ann.id}/targets", data={"targets.sales": "100000", "version": ann.version}
    )
    assert response.status_code == 302
    for peer in ("pat", "quinn"):
        user_id = company.people[peer].user_id
        response = client.post(
            f"/appraisals/{ann.id}/invite", data={"rater": "peer", "user_id": user_id}
        )
        assert response.status_code == 302

    as_user(auth, "ann@acme.example")
    assert "Confirm your goals" in client.get("/tasks").text
    page = client.get(f"/appraisals/{ann.id}").text
    assert "100000" in page
    assert "Pat" not in without_tokens(page) and "Quinn" not in page  # reviewers stay anonymous
    client.post(f"/appraisals/{ann.id}/action", data={"action": "confirm_goals"})
    db.refresh(ann)
    assert ann.state == "self_review"

    as_user(auth, "hr@acme.example")
    response = client.post(
        f"/cycles/{launched.id}/figures",
        data={"fig|A001|sales": "112000", "fig|A001|collection": "96", "fig|A001|complaints": "1"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/appraisals/{ann.id}/review/hr",
        data={"hr.award": "2", "hr.fraud_cases": "0", "action": "draft"},
    )
    assert response.status_code == 302

    as_user(auth, "ann@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/review/self",
        data={"self.customer_care": "4", "self.leads_team": "false", "action": "submit"},
    )
    assert response.status_code == 302
    db.refresh(ann)
    assert ann.state == "manager_review"

    for peer, rating in (("pat", "5"), ("quinn", "3")):
        as_user(auth, f"{peer}@acme.example")
        assert "Review a colleague" in client.get("/tasks").text
        response = client.post(
            f"/appraisals/{ann.id}/review/peer",
            data={"peer.teamwork": rating, "action": "submit"},
        )
        assert response.status_code == 302

    as_user(auth, "boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/review/manager",
        data={
            "manager.customer_care": "5",
            "manager.teamwork": "4",
            "manager.comment": "Strong quarter",
            "action": "submit",
        },
    )
    assert response.status_code == 302, alerts(response.text)
    db.expire_all()
    ann = appraisal_of(db, company, "ann")
    assert ann.state == "calibration"
    expected = score(ann.definition, official_inputs(ann))
    # sales 112000/100000 → 112; collection 96 → 100; results 0.6×112 + 0.4×100 = 107.2;
    # care (self 85 ×20 + manager 100 ×80)/100 = 97; teamwork: manager 85 (2 peers are below
    # the threshold of 3, so they do not count);
    # coaching hidden → behaviour (50×97 + 30×85)/80 = 92.5; base 0.7×107.2 + 0.3×92.5 = 102.79;
    # + award 2 − complaints 2 = 102.79 → grade S
    assert expected.total == 102.79 and expected.grade == "S"
    assert float(ann.total) == expected.total and ann.grade == "S" and ann.complete

    page = client.get(f"/appraisals/{ann.id}/review/manager").text
    assert re.search(r'id="live-total">102.79<', page)
    assert re.search(r'id="live-grade">S<', page)

    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == ann.id)))
    assert {
        "appraisal.confirm_goals",
        "appraisal.submit_self",
        "appraisal.submit_manager",
    } <= actions


def test_visibility_rule_hides_and_requires_only_when_shown(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.targets = {"sales": 1000}
    ann.state = "self_review"
    db.commit()
    as_user(auth, "ann@acme.example")
    review = f"/appraisals/{ann.id}/review/self"
    # Unanswered, the condition is blank and the item stays (the engine never guesses).
    assert 'class="mb-3 " data-field="self.coaching"' in client.get(review).text

    live = client.post(f"{review}/score", data={"self.leads_team": "false"}).get_json()
    assert live["hidden"] == ["self.coaching"]
    live = client.post(f"{review}/score", data={"self.leads_team": "true"}).get_json()
    assert live["hidden"] == []

    response = client.post(
        review, data={"self.customer_care": "4", "self.leads_team": "true", "action": "submit"}
    )
    assert response.status_code == 422
    assert "Required before submitting" in field_errors(response.text)
    assert '<option selected value="true">' in response.text  # what was typed is kept
    db.refresh(ann)
    assert ann.state == "self_review"
    assert db.scalar(select(Review).where(Review.appraisal_id == ann.id)) is None

    response = client.post(
        review, data={"self.customer_care": "4", "self.leads_team": "false", "action": "submit"}
    )
    assert response.status_code == 302
    db.refresh(ann)
    assert ann.state == "manager_review"


def test_the_working_is_explained_in_the_users_language(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.targets, ann.state = {"sales": 1000}, "self_review"
    db.commit()
    as_user(auth, "ann@acme.example")
    url = f"/appraisals/{ann.id}/review/self/score"
    english = client.post(url, data={"self.customer_care": "4"}).get_json()["html"]
    assert "level 4 scores 85" in english
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    chinese = client.post(url, data={"self.customer_care": "4"}).get_json()["html"]
    assert "等级 4 得 85 分" in chinese and "level 4" not in chinese
