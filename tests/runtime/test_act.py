"""The act phase: interviews both sides confirm, PIPs for low grades and IDPs for anyone,
check-ins, and training suggestions for low items."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from appraisal.errors import ServiceError
from appraisal.models import DevelopmentPlan, Interview
from appraisal.runtime.act import act
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import figures
from tests.conftest import alerts
from tests.runtime.conftest import appraisal_of


@pytest.fixture
def published(db, company, launched):
    # collection: Ann 70 → band score 40, Pat 97 → 100 (figures first: they recompute grades)
    figures.set_figures(
        db,
        launched,
        [figures.Entry("A001", "collection", 70), figures.Entry("P001", "collection", 97)],
        None,
    )
    for key, grade in {"ann": "C", "pat": "A"}.items():
        appraisal = appraisal_of(db, company, key)
        appraisal.state, appraisal.grade, appraisal.complete = "calibration", grade, True
        appraisal.targets = {"sales": 100000}
    calibration.start_calibration(db, launched, None)
    calibration.lock(db, launched, None)
    calibration.publish(db, launched, None)
    db.commit()
    return launched


def test_manager_records_an_interview_and_both_confirm(client, auth, db, company, published):
    ann = appraisal_of(db, company, "ann")
    auth.login("boss@acme.example")
    client.post(
        f"/appraisals/{ann.id}/interviews",
        data={"scheduled_at": "2026-12-10T10:00", "location": "Room 2"},
    )
    interview = db.scalar(select(Interview))
    response = client.post(
        f"/appraisals/{ann.id}/interviews/{interview.id}/record",
        data={"notes": "", "actions": "", "interview_id": str(interview.id)},
        follow_redirects=True,
    )
    assert response.status_code == 422
    assert at_field(response.text, "notes") == ["Write what was discussed."]
    client.post(
        f"/appraisals/{ann.id}/interviews/{interview.id}/record",
        data={"notes": "Collections lag behind sales", "actions": "Weekly receivables review"},
    )
    client.post(f"/appraisals/{ann.id}/interviews/{interview.id}/confirm")
    auth.logout()
    auth.login("ann@acme.example")
    page = client.get(f"/appraisals/{ann.id}/result").text
    assert "Weekly receivables review" in page
    client.post(f"/appraisals/{ann.id}/interviews/{interview.id}/confirm")
    db.refresh(interview)
    assert interview.manager_confirmed_at and interview.employee_confirmed_at
    response = client.post(
        f"/appraisals/{ann.id}/interviews/{interview.id}/record",
        data={"notes": "changed"},
        follow_redirects=True,
    )
    assert "Only the manager or HR can do this." in alerts(response.text)


def test_a_pip_only_for_low_grades_an_idp_for_anyone(db, company, published):
    ann, pat = appraisal_of(db, company, "ann"), appraisal_of(db, company, "pat")
    manager = company.viewer(db, "boss@acme.example")
    with pytest.raises(ServiceError) as refused:
        act.create_plan(db, pat, manager, "pip", "Improve", None, "")
    assert "A PIP is for the grades D, C." in str(refused.value.message)
    with pytest.raises(ServiceError) as refused:
        act.create_plan(db, ann, manager, "pip", "Raise collections to 95 %", None, "")
    assert refused.value.field == "deadline"
    plan = act.create_plan(
        db, ann, manager, "pip", "Raise collections to 95 %", date(2027, 3, 31), "Finance coaching"
    )
    act.add_checkin(db, ann, plan, manager, "January: 91 %")
    act.close_plan(db, ann, plan, manager, "Met: 96 % in March")
    with pytest.raises(ServiceError):
        act.add_checkin(db, ann, plan, manager, "late")
    act.create_plan(db, pat, manager, "idp", "Lead the key-account project", None, "Mentor: Bo")
    db.commit()
    assert sorted(p.kind for p in db.scalars(select(DevelopmentPlan))) == ["idp", "pip"]
    employee = company.viewer(db, "ann@acme.example")
    with pytest.raises(ServiceError):
        act.create_plan(db, ann, employee, "idp", "mine", None, "")


def test_training_is_suggested_for_a_low_item(client, auth, db, company, published):
    auth.login("hr@acme.example")
    response = client.post(
        "/training",
        data={
            "name": "Receivables basics",
            "where": "https://learn.example/ar",
            "indicators": "",
            "below": "60",
        },
    )
    assert response.status_code == 422 and "Name at least one indicator" in " ".join(
        alerts(response.text)
    )
    client.post(
        "/training",
        data={
            "name": "Receivables basics",
            "where": "https://learn.example/ar",
            "indicators": "collection",
            "below": "60",
        },
    )
    ann = appraisal_of(db, company, "ann")
    page = client.get(f"/appraisals/{ann.id}/result").text
    assert "Receivables basics" in page and 'id="suggestions"' in page
    pat = appraisal_of(db, company, "pat")
    assert 'id="suggestions"' not in client.get(f"/appraisals/{pat.id}/result").text


def test_training_catalogue_is_hr_only(client, auth, company):
    auth.login("boss@acme.example")
    assert client.get("/training").status_code == 403


def test_a_refused_plan_keeps_what_was_typed(client, auth, db, company, published):
    ann = appraisal_of(db, company, "ann")
    auth.login("boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/plans",
        data={"kind": "pip", "goals": "Raise collections to 95 %", "resources": "Finance coaching"},
    )
    assert response.status_code == 422
    assert at_field(response.text, "deadline") == ["A PIP needs a deadline."]
    assert "Raise collections to 95 %</textarea>" in response.text
    assert 'value="Finance coaching"' in response.text
    assert '<option value="pip" selected>' in response.text
    assert db.scalar(select(DevelopmentPlan)) is None


def test_interview_notes_keep_their_line_breaks(client, auth, db, company, published):
    """Text typed in a textarea shows with its lines (white-space: pre-line via .text-lines)."""
    ann = appraisal_of(db, company, "ann")
    auth.login("boss@acme.example")
    client.post(
        f"/appraisals/{ann.id}/interviews",
        data={"scheduled_at": "2026-12-10T10:00", "location": "Room 2"},
    )
    interview = db.scalar(select(Interview))
    client.post(
        f"/appraisals/{ann.id}/interviews/{interview.id}/record",
        data={"notes": "1. Collections lag\r\n2. Sales fine", "actions": "Weekly review\nCall A"},
    )
    page = client.get(f"/appraisals/{ann.id}/result").text
    assert '<p class="small mb-1 text-lines" data-notes>1. Collections lag' in page
    assert '<span class="text-lines">Weekly review\nCall A</span>' in page


def test_a_deadline_that_is_not_a_date_is_refused_not_dropped(client, auth, db, company, published):
    """An IDP's deadline is optional, but one typed wrongly is refused (it used to be saved
    as no deadline at all), with what was typed kept."""
    ann = appraisal_of(db, company, "ann")
    auth.login("boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/plans",
        data={"kind": "idp", "goals": "Learn Excel", "deadline": "2026-02-30"},
    )
    assert response.status_code == 422
    assert at_field(response.text, "deadline") == ["Not a valid date value."]
    assert 'value="2026-02-30"' in response.text and "Learn Excel</textarea>" in response.text
    assert db.scalar(select(DevelopmentPlan)) is None


def test_an_interview_time_that_is_not_a_time_is_refused(client, auth, db, company, published):
    ann = appraisal_of(db, company, "ann")
    auth.login("boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/interviews",
        data={"scheduled_at": "next tuesday", "location": "Room 2"},
    )
    assert response.status_code == 422
    assert "Please correct the marked fields." in alerts(response.text)
    assert at_field(response.text, "scheduled_at") == ["Not a valid datetime value."]
    assert 'value="Room 2"' in response.text
    assert db.scalar(select(Interview)) is None


def at_field(html: str, name: str) -> list[str]:
    """The messages shown under one input of a page that draws its inputs itself."""
    return re.findall(rf'data-error-for="{name}">([^<]+)<', html)
