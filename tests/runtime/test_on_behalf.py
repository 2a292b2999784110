"""Issue 13.1: people without a sign-in no longer freeze their own appraisal. HR or their
manager takes their steps, recorded as "entered by X on behalf of Y"; a scheme can skip their
self-review instead; the preview says which path each person takes; the demo cycle ends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from appraisal.models import Appraisal, AuditEvent, Cycle, Employee, Review
from appraisal.packs import read_pack
from appraisal.packs.demo import load_demo_organization
from appraisal.rules import compile_template
from appraisal.runtime import workflow
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles import cycles, figures
from appraisal.runtime.render import role_fields, target_fields
from appraisal.runtime.reviews import access, inputs, reviews
from tests.conftest import alerts
from tests.runtime.conftest import appraisal_of
from tests.runtime.test_reviews import as_user

SELF = {"self.customer_care": "4", "self.leads_team": "false", "action": "submit"}


def test_the_state_machine_lets_a_proxy_take_the_employees_steps_only():
    assert workflow.next_state("goal_setting", "confirm_goals", {"proxy"}) == "self_review"
    assert workflow.next_state("self_review", "submit_self", {"proxy"}) == "manager_review"
    assert workflow.can_edit("self", "self_review", {"proxy"})
    for action, state in (("submit_manager", "manager_review"), ("acknowledge", "published")):
        with pytest.raises(workflow.WorkflowRefused):
            workflow.next_state(state, action, {"proxy"})
    assert workflow.skipped_steps("skipped") == {"self_review"}
    assert workflow.next_state("goal_setting", "confirm_goals", {"proxy"}, "skipped") == (
        "manager_review"
    )
    assert "self_review" not in workflow.reopen_choices("calibration", {"hr"}, "skipped")
    assert [
        workflow.self_review_path(*a) for a in ((1, 1, 1), (1, 0, 0), (1, 0, 1), (0, 0, 0))
    ] == [
        "employee",
        "proxy",
        "skipped",
        "none",
    ]


def _without_sign_in(db, company, key):
    person = company.people[key]
    person.user_id = None
    db.commit()
    appraisal = appraisal_of(db, company, key)
    appraisal.targets = {"sales": 100000}
    db.commit()
    return appraisal


def test_hr_never_acts_for_someone_who_signs_in(client, auth, db, company, launched):
    ann = appraisal_of(db, company, "ann")
    ann.targets = {"sales": 100000}
    db.commit()
    as_user(auth, "hr@acme.example")
    client.post(f"/appraisals/{ann.id}/action", data={"action": "confirm_goals"})
    db.refresh(ann)
    assert ann.state == "goal_setting"
    assert client.get(f"/appraisals/{ann.id}/review/self").status_code == 404


@pytest.mark.parametrize("email", ["hr@acme.example", "boss@acme.example"])
def test_hr_or_the_manager_enters_steps_on_behalf(client, auth, db, company, launched, email):
    ann = _without_sign_in(db, company, "ann")
    as_user(auth, email)
    assert "Confirm goals on behalf of" in client.get(f"/appraisals/{ann.id}").text
    response = client.post(
        f"/appraisals/{ann.id}/action", data={"action": "confirm_goals", "version": ann.version}
    )
    assert response.status_code == 302
    db.refresh(ann)
    assert ann.state == "self_review"
    assert (
        "you are entering this on their behalf"
        in client.get(f"/appraisals/{ann.id}/review/self").text
    )
    response = client.post(f"/appraisals/{ann.id}/review/self", data=SELF)
    assert response.status_code == 302, alerts(response.text)
    db.expire_all()
    ann = appraisal_of(db, company, "ann")
    assert ann.state == "manager_review"
    events = db.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_id == ann.id,
            AuditEvent.action.in_(["appraisal.confirm_goals", "appraisal.submit_self"]),
        )
    ).all()
    assert len(events) == 2 and all(e.detail["on_behalf_of"] == "Ann" for e in events)
    page = client.get(f"/appraisals/{ann.id}").text
    assert "on behalf of Ann" in page
    review_page = client.get(f"/appraisals/{ann.id}/review/self").text
    assert 'id="on-behalf"' in review_page and "on behalf of Ann" in review_page


def test_a_scheme_skips_the_self_review_for_people_without_sign_in(db, company, launched):
    launched.scheme.skip_self_review_without_sign_in = True
    ann = _without_sign_in(db, company, "ann")
    hr = company.viewer(db, "hr@acme.example")
    reviews.take_action(db, ann, hr, "confirm_goals", None)
    assert ann.state == "manager_review"
    figures.set_figures(
        db,
        launched,
        [
            figures.Entry("A001", "sales", "100000"),
            figures.Entry("A001", "collection", "96"),
            figures.Entry("A001", "complaints", "0"),
        ],
        None,
    )
    reviews.save_review(
        db, ann, hr, "hr", {"hr.award": "0", "hr.fraud_cases": "0"}, version=None, submit=False
    )
    boss = company.viewer(db, "boss@acme.example")
    raw = {"manager.customer_care": "5", "manager.teamwork": "5", "manager.coaching": "5"}
    reviews.save_review(db, ann, boss, "manager", raw, version=None, submit=True)
    assert ann.state == "calibration" and ann.complete  # self's weight went to the manager
    assert access.official_inputs(ann)["skipped"] == ["self"]


def test_the_preview_says_which_path_each_person_takes(client, auth, db, company):
    scheme = cycles.save_scheme(
        db,
        company.org.id,
        None,
        name="Sales",
        template_version_id=company.version.id,
        staff_kind="field",
        period="quarter",
        department_ids=[],
        position_ids=[],
        user_id=None,
    )
    cycle = cycles.create_cycle(
        db,
        scheme,
        name="Q1",
        dates=cycles.CycleDates(date(2027, 1, 1), date(2027, 3, 31)),
        anonymity_threshold=3,
        user_id=None,
    )
    company.people["ann"].user_id = None
    db.commit()
    paths = {r.employee.number: r.path for r in cycles.preview_cycle(db, cycle)}
    assert paths["A001"] == "proxy" and paths["P001"] == "employee"
    as_user(auth, "hr@acme.example")
    page = client.get(f"/cycles/{cycle.id}").text
    assert "self-review by HR or the manager on their behalf" in page
    scheme.skip_self_review_without_sign_in = True
    db.commit()
    assert {r.employee.number: r.path for r in cycles.preview_cycle(db, cycle)}["A001"] == "skipped"


def _value(field):
    if field.kind in ("rating", "choice"):
        return str(field.options[0][0])
    return {"bool": "false", "text": "ok", "date": "2026-01-31"}.get(field.kind, "90")


def test_the_manufacturing_demo_cycle_runs_to_publication(db):
    """HR acts for the operators who have no sign-in; nothing is forced into a state."""
    org = load_demo_organization(db, read_pack("manufacturing"), "mfg").organization
    db.commit()
    cycle = db.scalar(
        select(Cycle).where(Cycle.organization_id == org.id, Cycle.name.like("生产操作工%"))
    )
    admin = db.scalar(
        select(Employee).where(Employee.organization_id == org.id, Employee.number == "E002")
    )
    hr = access.viewer_for(db, org.id, admin.user_id, frozenset({"admin"}))
    appraisals = db.scalars(select(Appraisal).where(Appraisal.cycle_id == cycle.id)).all()
    assert any(not access.signs_in(a.employee) for a in appraisals)
    definition = compile_template(appraisals[0].definition)
    figures.set_figures(
        db,
        cycle,
        [
            figures.Entry(a.employee.number, f.key, _value(f))
            for a in appraisals
            for f in role_fields(definition, "data")
        ],
        hr.user_id,
    )
    for appraisal in appraisals:
        manager = appraisal.manager
        boss = access.Viewer(manager.user_id, org.id, False, manager.id)
        me = (
            access.Viewer(appraisal.employee.user_id, org.id, False, appraisal.employee_id)
            if access.signs_in(appraisal.employee)
            else hr
        )
        if appraisal.state == "goal_setting":
            targets = {f.name: "1000" for f in target_fields(definition)}
            if targets and inputs.missing_targets(appraisal):
                reviews.save_targets(db, appraisal, hr, targets, None)
            reviews.take_action(db, appraisal, me, "confirm_goals", None)
        for rater, who in (("self", me), ("hr", hr), ("manager", boss)):
            fields = role_fields(definition, rater)
            done = access.find_review(appraisal, rater)
            if not fields or (done is not None and done.submitted):
                continue
            raw = {f.name: _value(f) for f in fields}
            submit = rater != "hr"
            reviews.save_review(db, appraisal, who, rater, raw, version=None, submit=submit)
        assert appraisal.state == "calibration" and appraisal.complete, appraisal.employee.number
    calibration.start_calibration(db, cycle, hr.user_id)
    calibration.lock(db, cycle, hr.user_id)
    calibration.publish(db, cycle, hr.user_id)
    db.commit()
    assert cycle.state == "published"
    proxied = db.scalars(
        select(AuditEvent).where(
            AuditEvent.organization_id == org.id, AuditEvent.action == "appraisal.submit_self"
        )
    ).all()
    assert any(e.detail.get("on_behalf_of") for e in proxied)
    assert all(e.user_id is not None for e in proxied)
    anonymous_self = select(Review.id).where(
        Review.organization_id == org.id, Review.rater == "self", Review.reviewer_id.is_(None)
    )
    assert db.scalar(anonymous_self) is None
