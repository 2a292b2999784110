"""Calibration, publication, results, acknowledgement, appeals and closing, with their
refusals."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from appraisal.errors import ServiceError
from appraisal.models import Appeal, AuditEvent, utcnow
from appraisal.runtime.act import results
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import figures
from appraisal.runtime.cycles.figures import cycle_appraisals
from appraisal.runtime.reviews import access, reviews
from tests.conftest import alerts
from tests.runtime.conftest import appraisal_of


def test_quotas_are_parsed_and_refused_clearly(db, calibrating):
    calibration.save_quotas(db, calibrating, "S <= 10\nA ≤ 20\nC+D >= 5", None)
    assert [q.label for q in calibration.quotas_of(calibrating)] == [
        "S ≤ 10%",
        "A ≤ 20%",
        "C+D ≥ 5%",
    ]
    for text, message in [
        ("S <= 110", "Line 1: a quota cannot exceed 100 %."),
        ("S <= 10\nX <= 5", "Line 2: there is no grade X."),
        ("S about 10", "Line 1: write a quota like S <= 10 or C+D >= 5."),
    ]:
        with pytest.raises(ServiceError) as refused:
            calibration.save_quotas(db, calibrating, text, None)
        assert str(refused.value.message) == message


def test_distribution_flags_violations_and_an_override_fixes_them(db, company, calibrating):
    calibration.save_quotas(db, calibrating, "S <= 20\nC+D >= 10", None)
    overall = calibration.distributions(db, calibrating)[0]
    # 2 of 6 are S: 33.3 % > 20 %; C+D 1 of 6 = 16.7 % ≥ 10 %: fine
    assert overall.counts["S"] == 2 and overall.violations == ["S ≤ 20%: 33.3%"]

    ann = appraisal_of(db, company, "ann")
    with pytest.raises(ServiceError) as refused:
        calibration.override_grade(db, ann, "A", "  ", None)
    assert refused.value.field == "reason"
    calibration.override_grade(db, ann, "A", "Sales helped by a one-off order", None)
    db.commit()
    assert calibration.distributions(db, calibrating)[0].violations == []
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "appraisal.grade_overridden"))
    assert event.detail["changes"] == {"grade": ["S", "A"]}

    reviews.refresh_result(ann)  # recalculation keeps the calibrated grade
    db.commit()
    assert ann.final_grade == "A" and ann.override_reason == "Sales helped by a one-off order"


def test_lock_then_publish_then_the_employee_reads_and_acknowledges(
    client, auth, db, company, calibrating
):
    ann = appraisal_of(db, company, "ann")
    auth.login("ann@acme.example")
    assert client.get(f"/appraisals/{ann.id}/result").status_code == 404  # not published yet
    auth.logout()

    with pytest.raises(ServiceError):
        calibration.publish(db, calibrating, None)  # not locked
    calibration.lock(db, calibrating, None)
    with pytest.raises(ServiceError):
        calibration.override_grade(db, ann, "A", "late", None)
    assert calibration.publish(db, calibrating, None) == 6
    db.commit()
    assert calibrating.state == "published"

    auth.login("ann@acme.example")
    page = client.get(f"/appraisals/{ann.id}/result").text
    assert ann.grade == "S" and 'id="result-grade">S<' in page
    assert "Read your result" in client.get("/tasks").text
    client.post(f"/appraisals/{ann.id}/acknowledge")
    db.refresh(ann)
    assert ann.state == "acknowledged"
    response = client.post(f"/appraisals/{ann.id}/acknowledge", follow_redirects=True)
    assert "You have already acknowledged this result." in alerts(response.text)

    oscar = appraisal_of(db, company, "oscar")
    assert client.get(f"/appraisals/{oscar.id}/result").status_code == 404  # someone else's


def test_appeal_upheld_or_reopened_and_refused_after_the_window(db, company, calibrating):
    calibration.lock(db, calibrating, None)
    calibration.publish(db, calibrating, None)
    db.commit()
    ann, pat = appraisal_of(db, company, "ann"), appraisal_of(db, company, "pat")
    employee = company.viewer(db, "ann@acme.example")
    hr = company.viewer(db, "hr@acme.example")
    with pytest.raises(ServiceError) as refused:
        results.appeal(db, ann, employee, "", [])
    assert refused.value.field == "reason"
    appeal = results.appeal(db, ann, employee, "My collection figure is wrong", [])
    with pytest.raises(ServiceError):
        results.acknowledge(db, ann, employee, [appeal])  # the appeal is open
    with pytest.raises(ServiceError) as refused:
        results.resolve_appeal(db, ann, appeal, hr, "uphold", " ")
    assert refused.value.field == "reply"
    results.resolve_appeal(
        db, ann, appeal, hr, "reopen", "Figures corrected; manager reviews again", "manager_review"
    )
    db.commit()
    assert ann.state == "manager_review" and appeal.status == "reopened"

    late = utcnow() + timedelta(days=calibrating.appeal_days + 1)
    pat_viewer = company.viewer(db, "pat@acme.example")
    with pytest.raises(ServiceError) as refused:
        results.appeal(db, pat, pat_viewer, "too late?", [], now=late)
    assert "The appeal window closed" in str(refused.value.message)
    assert db.scalar(select(Appeal).where(Appeal.appraisal_id == pat.id)) is None


def test_a_cycle_closes_only_when_finished_and_is_then_read_only(db, company, calibrating):
    with pytest.raises(ServiceError) as refused:
        calibration.close(db, calibrating, None)
    assert "6 appraisals are not published yet" in str(refused.value.message)
    calibration.lock(db, calibrating, None)
    calibration.publish(db, calibrating, None)
    calibration.close(db, calibrating, None)
    db.commit()
    assert calibrating.state == "closed"
    with pytest.raises(ServiceError):
        figures.set_figures(db, calibrating, [figures.Entry("A001", "sales", 1)], None)
    with pytest.raises(ServiceError):
        calibration.save_quotas(db, calibrating, "S <= 10", None)
    hr = company.viewer(db, "hr@acme.example")
    with pytest.raises(ServiceError) as refused:
        reviews.reopen(db, appraisal_of(db, company, "ann"), hr, "calibration", "why")
    assert "closed" in str(refused.value.message)


def test_calibration_pages_are_hr_only(client, auth, db, company, calibrating):
    for email in ("boss@acme.example", "ann@acme.example", "imp@acme.example"):
        auth.login(email)
        assert client.get(f"/cycles/{calibrating.id}/calibration").status_code == 403
        assert client.post(f"/cycles/{calibrating.id}/calibration/lock").status_code == 403
        auth.logout()
    auth.login("hr@acme.example")
    page = client.get(f"/cycles/{calibrating.id}/calibration").text
    assert 'id="overall"' in page and 'data-employee="A001"' in page
    response = client.post(
        f"/cycles/{calibrating.id}/calibration/quotas", data={"quotas": "S <= 150"}
    )
    assert response.status_code == 422
    assert "Line 1: a quota cannot exceed 100 %." in alerts(response.text)
    assert "S &lt;= 150" in response.text  # what was typed is kept
    ann = appraisal_of(db, company, "ann")
    response = client.post(
        f"/cycles/{calibrating.id}/calibration/{ann.id}", data={"grade": "A", "reason": ""}
    )
    assert response.status_code == 422
    assert "Give the reason for the change." in " ".join(alerts(response.text))
    row = response.text[response.text.index('data-employee="A001"') :]
    assert '<option value="A" selected>' in row[: row.index("</tr>")]  # the chosen grade is kept
    db.refresh(ann)
    assert ann.override_grade is None


def test_the_payroll_file_follows_the_calibrated_grade(client, auth, db, company, calibrating):
    ann = appraisal_of(db, company, "ann")
    calibration.override_grade(db, ann, "D", "Veto-level breach found in an audit", None)
    db.commit()
    auth.login("hr@acme.example")
    text = client.get(f"/cycles/{calibrating.id}/results.csv").data.decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["employee_number"] == "A001")
    assert row["grade"] == "D" and float(row["coefficient"]) == 0  # LOOKUP(D) in the example
    assert access.final_result(ann).grade == "D"


def test_one_appeal_per_publication(db, company, calibrating):
    calibration.lock(db, calibrating, None)
    calibration.publish(db, calibrating, None)
    db.commit()
    ann = appraisal_of(db, company, "ann")
    employee, hr = company.viewer(db, "ann@acme.example"), company.viewer(db, "hr@acme.example")
    first = results.appeal(db, ann, employee, "Wrong figure", [])
    results.resolve_appeal(db, ann, first, hr, "uphold", "The figure is right")
    db.commit()
    assert not results.may_appeal(ann, [first])
    with pytest.raises(ServiceError) as refused:
        results.appeal(db, ann, employee, "Again", [first])
    assert "answered already" in str(refused.value.message)
    results.acknowledge(db, ann, employee, [first])  # the answered appeal no longer blocks
    assert ann.state == "acknowledged"


def test_lock_publish_and_close_ask_first_saying_what_cannot_be_undone(
    client, auth, db, calibrating
):
    """One click never locks, publishes or closes: the post without `confirmed` shows what
    the step does, that it cannot be undone and the quotas still broken; nothing changes."""
    calibration.save_quotas(db, calibrating, "S <= 20", None)
    db.commit()
    auth.login("hr@acme.example")
    base = f"/cycles/{calibrating.id}"
    response = client.post(f"{base}/calibration/lock")
    assert response.status_code == 200
    assert "The lock cannot be undone." in response.text
    assert "S ≤ 20%: 33.3%" in response.text  # the quota warning is repeated
    assert 'name="confirmed" value="yes"' in response.text
    db.refresh(calibrating)
    assert calibrating.calibration_locked_at is None
    client.post(f"{base}/calibration/lock", data={"confirmed": "yes"})
    db.refresh(calibrating)
    assert calibrating.calibration_locked_at is not None

    response = client.post(f"{base}/calibration/publish", data={"department_id": ""})
    assert "6 employees will see their result and grade." in response.text
    assert "A published result cannot be taken back." in response.text
    db.refresh(calibrating)
    assert calibrating.state == "calibration"
    assert all(a.published_at is None for a in cycle_appraisals(db, calibrating))
    client.post(f"{base}/calibration/publish", data={"department_id": "", "confirmed": "yes"})
    db.refresh(calibrating)
    assert calibrating.state == "published"

    response = client.post(f"{base}/close")
    assert "A closed cycle cannot be reopened." in response.text
    db.refresh(calibrating)
    assert calibrating.state == "published"
    client.post(f"{base}/close", data={"confirmed": "yes"})
    db.refresh(calibrating)
    assert calibrating.state == "closed"


def test_distribution_bars_need_no_inline_style(client, auth, calibrating):
    """The CSP drops style= attributes, so the bars are the grades chart drawn from its JSON
    data block (issue 18: the organization dashboard's chart), with a table view."""
    auth.login("hr@acme.example")
    page = client.get(f"/cycles/{calibrating.id}/calibration").text
    data = re.search(r'id="chart-grades".*?class="chart-data">(.*?)</script>', page, re.S)
    spec = json.loads(html.unescape(data[1]))
    assert spec["labels"][:2] == ["S", "A"] and spec["series"][0]["values"][0] == 33.3
    assert " style=" not in page
