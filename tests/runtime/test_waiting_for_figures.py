"""Issue 13.7: a manager whose own part is complete can submit before HR has entered
figures; the appraisal then visibly waits for them, calibration will not start on it, and
every refusal names items by their label, never by `rater.key`."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from appraisal.errors import ServiceError
from appraisal.i18n import input_label
from appraisal.models import Review
from appraisal.rules import compile_template
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import figures
from appraisal.runtime.render import labels
from appraisal.runtime.reviews import reviews
from tests.conftest import alerts
from tests.runtime.conftest import appraisal_of
from tests.runtime.test_reviews import as_user, at_state

MANAGER_PART = {
    "manager.customer_care": "4",
    "manager.teamwork": "4",
    "manager.coaching": "4",
    "action": "submit",
}


def _self_submitted(db, company, key="ann"):
    appraisal = at_state(db, appraisal_of(db, company, key), "manager_review")
    db.add(
        Review(
            organization_id=appraisal.organization_id,
            appraisal=appraisal,
            slot="self",
            rater="self",
            values={"customer_care": 4, "leads_team": False},
            status="submitted",
        )
    )
    db.commit()
    return appraisal


def test_manager_submits_before_figures_and_the_appraisal_waits(
    client, auth, db, company, launched
):
    ann = _self_submitted(db, company)
    as_user(auth, "boss@acme.example")
    response = client.post(f"/appraisals/{ann.id}/review/manager", data=MANAGER_PART)
    assert response.status_code == 302, alerts(client.get(f"/appraisals/{ann.id}").text)
    db.expire_all()
    ann = appraisal_of(db, company, "ann")
    assert ann.state == "calibration" and not ann.complete

    page = client.get(f"/appraisals/{ann.id}").text
    assert 'id="waiting-for-figures"' in page
    assert "Sales amount (Imported data)" in page and "data.sales" not in page

    as_user(auth, "hr@acme.example")
    cycle_page = client.get(f"/cycles/{launched.id}").text
    assert 'data-waiting="figures"' in cycle_page
    response = client.post(f"/cycles/{launched.id}/calibration/start")
    assert response.status_code == 422
    assert "Ann" in " ".join(alerts(response.text))
    db.refresh(launched)
    assert launched.state == "running"

    figures.set_figures(
        db,
        launched,
        [
            figures.Entry("A001", "sales", "90000"),
            figures.Entry("A001", "collection", "96"),
            figures.Entry("A001", "complaints", "0"),
        ],
        None,
    )
    reviews.save_review(
        db,
        ann,
        company.viewer(db, "hr@acme.example"),
        "hr",
        {"hr.award": "0", "hr.fraud_cases": "0"},
        version=None,
        submit=False,
    )
    db.commit()
    db.refresh(ann)
    assert ann.complete and reviews.waiting_for_figures(ann) == []
    assert calibration.waiting_for_figures(db, launched) == []


def test_the_managers_refusal_names_items_in_the_users_language(
    client, auth, db, company, launched
):
    ann = at_state(db, appraisal_of(db, company, "ann"), "manager_review")  # no self-review
    as_user(auth, "boss@acme.example")
    response = client.post(f"/appraisals/{ann.id}/review/manager", data=MANAGER_PART)
    assert response.status_code == 422
    message = " ".join(alerts(response.text))
    assert "Customer care (Self)" in message
    assert "self.customer_care" not in message and "data." not in message
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = client.post(f"/appraisals/{ann.id}/review/manager", data=MANAGER_PART)
    assert "Customer care (本人)" in " ".join(alerts(response.text))
    db.refresh(ann)
    assert ann.state == "manager_review"
    assert db.scalar(select(Review).where(Review.slot == "manager")) is None


@pytest.mark.parametrize(
    ("where", "en"),
    [
        ("data.sales", "Sales amount (Imported data)"),
        ("self.customer_care", "Customer care (Self)"),
        ("targets.sales", "Sales amount (Targets)"),
        ("hr.award", "Awards (HR)"),
        ("items.coaching.visible_if", "Coaching"),
        ("something", "something"),
    ],
)
def test_one_helper_names_every_place(app, company, where, en):
    names = labels(compile_template(company.version.definition))
    with app.test_request_context(), force_locale("en"):
        assert input_label(names, where) == en


def test_publishing_refuses_an_incomplete_result(db, company, launched):
    for key in ("ann", "pat"):
        appraisal = appraisal_of(db, company, key)
        appraisal.state, appraisal.grade, appraisal.complete = "calibration", "B", True
    db.commit()
    calibration.start_calibration(db, launched, None)
    calibration.lock(db, launched, None)
    appraisal_of(db, company, "pat").complete = False  # a figure cleared meanwhile
    with pytest.raises(ServiceError) as refused:
        calibration.publish(db, launched, None)
    assert "Pat" in str(refused.value.message)
