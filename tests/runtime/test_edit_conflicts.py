"""Optimistic locking on the other editable things of the runtime: calibration overrides and
quotas, interview records and their confirmation. Two people open the same page; the second
save is a 409 with what they typed kept and the first person's value stays."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from appraisal.models import Appraisal, Cycle, Interview
from appraisal.runtime.act import act
from appraisal.runtime.calibration import calibration
from tests.pages import form_data
from tests.runtime import test_act, test_concurrency
from tests.runtime.conftest import appraisal_of
from tests.runtime.test_concurrency import browser

published = test_act.published  # shared fixtures
two_hr = test_concurrency.two_hr


def _override_form(html: str, cycle_id: int, appraisal_id: int) -> dict[str, str]:
    return form_data(html, action=f"/cycles/{cycle_id}/calibration/{appraisal_id}")


def test_a_calibration_override_from_a_stale_page_is_refused(db, company, calibrating, two_hr):
    first, second = two_hr
    ann = appraisal_of(db, company, "ann")
    url = f"/cycles/{calibrating.id}/calibration"
    action = f"{url}/{ann.id}"
    mine = _override_form(first.get(url).text, calibrating.id, ann.id)
    theirs = _override_form(second.get(url).text, calibrating.id, ann.id)

    assert first.post(action, data=mine | {"grade": "A", "reason": "Team lead"}).status_code == 302
    response = second.post(action, data=theirs | {"grade": "B", "reason": "Late reports"})
    assert response.status_code == 409
    assert 'value="Late reports"' in response.text
    assert "Saved meanwhile: A Team lead" in response.text
    db.expire_all()
    assert db.get(Appraisal, ann.id).override_grade == "A"

    again = _override_form(
        response.text, calibrating.id, ann.id
    )  # the page now carries the new version
    assert second.post(action, data=again | {"grade": "B", "reason": "x"}).status_code == 302


def test_quotas_from_a_stale_page_are_refused(db, calibrating, two_hr):
    first, second = two_hr
    url = f"/cycles/{calibrating.id}/calibration"
    mine = form_data(first.get(url).text, "quota-form")
    theirs = form_data(second.get(url).text, "quota-form")
    action = f"{url}/quotas"
    assert first.post(action, data=mine | {"quotas": "S <= 10"}).status_code == 302
    response = second.post(action, data=theirs | {"quotas": "S <= 30"})
    assert response.status_code == 409
    assert "S &lt;= 30" in response.text and "Saved meanwhile: S &lt;= 10" in response.text
    db.expire_all()
    assert calibration.quotas_text(db.get(Cycle, calibrating.id)) == "S <= 10"


@pytest.fixture
def interview(db, company, published):
    ann = appraisal_of(db, company, "ann")
    viewer = company.viewer(db, "boss@acme.example")
    found = act.schedule_interview(db, ann, viewer, datetime(2026, 12, 10, 10), "Room 2")
    act.record_interview(db, ann, found, viewer, "First notes", "")
    db.commit()
    return found


def test_an_interview_record_from_a_stale_page_is_refused(app, db, company, interview, two_hr):
    ann = appraisal_of(db, company, "ann")
    boss, hr = browser(app, "boss@acme.example"), two_hr[0]
    url = f"/appraisals/{ann.id}/result"
    action = f"/appraisals/{ann.id}/interviews/{interview.id}/record"
    mine = form_data(boss.get(url).text, action=action)
    theirs = form_data(hr.get(url).text, action=action)

    assert boss.post(action, data=mine | {"notes": "Boss's notes"}).status_code == 302
    response = hr.post(action, data=theirs | {"notes": "HR's notes"})
    assert response.status_code == 409
    assert "HR&#39;s notes" in response.text and "Boss&#39;s notes" in response.text
    db.expire_all()
    assert db.get(Interview, interview.id).notes == "Boss's notes"


def test_confirming_an_interview_record_changed_since_it_was_read_is_refused(
    app, db, company, interview
):
    ann = appraisal_of(db, company, "ann")
    employee = browser(app, "ann@acme.example")
    page = employee.get(f"/appraisals/{ann.id}/result").text
    confirm = f"/appraisals/{ann.id}/interviews/{interview.id}/confirm"
    version = form_data(page, action=confirm)["version"]

    act.record_interview(
        db, ann, interview, company.viewer(db, "boss@acme.example"), "Rewritten", ""
    )
    db.commit()
    response = employee.post(confirm, data={"version": version})
    assert response.status_code == 409
    db.expire_all()
    assert db.scalar(select(Interview.employee_confirmed_at)) is None
