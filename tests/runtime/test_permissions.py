"""Every role against every runtime action: allowed where the design says, refused elsewhere,
and a refusal never changes anything.

Actors, all in the same organization: HR, an implementer, Ann's manager Bo, another manager
Olga, Ann herself, Pat (a colleague who was not invited), Quinn (invited as a peer), and an
anonymous visitor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from appraisal.models import Cycle, Review
from appraisal.runtime.cycles import cycles
from tests.runtime.conftest import appraisal_of

ACTORS = {
    "hr": "hr@acme.example",
    "implementer": "imp@acme.example",
    "manager": "boss@acme.example",
    "other_manager": "olga@acme.example",
    "employee": "ann@acme.example",
    "colleague": "pat@acme.example",
    "invited_peer": "quinn@acme.example",
    "anonymous": None,
}


@dataclass
class Action:
    state: str  # Ann's appraisal state before the request
    request: Callable  # (client, ctx) -> response
    happened: Callable  # (db, ctx) -> bool
    allowed: set[str]


def _review(db, slot):
    return db.scalar(select(Review).where(Review.slot == slot))


def _new_cycle(db, ctx):
    return db.scalar(select(Cycle).where(Cycle.name == "Next")).state == "running"


ACTIONS = {
    "open cycles page": Action(
        "goal_setting",
        lambda c, x: c.get("/cycles"),
        lambda db, x: x["response"].status_code == 200,
        {"hr"},
    ),
    "launch a cycle": Action(
        "goal_setting",
        lambda c, x: c.post(f"/cycles/{x['planning'].id}/launch", data={"leave_out": ""}),
        _new_cycle,
        {"hr"},
    ),
    "enter figures": Action(
        "self_review",
        lambda c, x: c.post(f"/cycles/{x['cycle'].id}/figures", data={"fig|A001|sales": "777"}),
        lambda db, x: (_review(db, "data") or Review(values={})).values.get("sales") == 777,
        {"hr", "implementer"},
    ),
    "set targets": Action(
        "goal_setting",
        lambda c, x: c.post(f"/appraisals/{x['ann'].id}/targets", data={"targets.sales": "555"}),
        lambda db, x: appraisal_of(db, x["company"], "ann").targets == {"sales": 555},
        {"hr", "manager"},
    ),
    "confirm goals": Action(
        "goal_setting",
        lambda c, x: c.post(f"/appraisals/{x['ann'].id}/action", data={"action": "confirm_goals"}),
        lambda db, x: appraisal_of(db, x["company"], "ann").state == "self_review",
        {"employee"},
    ),
    "save self-review": Action(
        "self_review",
        lambda c, x: c.post(
            f"/appraisals/{x['ann'].id}/review/self",
            data={"self.customer_care": "3", "action": "draft"},
        ),
        lambda db, x: _review(db, "self") is not None,
        {"employee"},
    ),
    "save manager review": Action(
        "self_review",
        lambda c, x: c.post(
            f"/appraisals/{x['ann'].id}/review/manager",
            data={"manager.customer_care": "3", "action": "draft"},
        ),
        lambda db, x: _review(db, "manager") is not None,
        {"manager"},
    ),
    "save HR review": Action(
        "self_review",
        lambda c, x: c.post(
            f"/appraisals/{x['ann'].id}/review/hr", data={"hr.award": "1", "action": "draft"}
        ),
        lambda db, x: _review(db, "hr") is not None,
        {"hr"},
    ),
    "submit peer review": Action(
        "self_review",
        lambda c, x: c.post(
            f"/appraisals/{x['ann'].id}/review/peer",
            data={"peer.teamwork": "4", "action": "submit"},
        ),
        lambda db, x: bool(
            db.scalar(select(Review.status).where(Review.rater == "peer")) == "submitted"
        ),
        {"invited_peer"},
    ),
    "invite a peer": Action(
        "self_review",
        lambda c, x: c.post(
            f"/appraisals/{x['ann'].id}/invite",
            data={"rater": "peer", "user_id": x["company"].people["oscar"].user_id},
        ),
        lambda db, x: (
            db.scalar(
                select(Review).where(Review.reviewer_id == x["company"].people["oscar"].user_id)
            )
            is not None
        ),
        {"hr", "manager"},
    ),
    "reopen a step": Action(
        "calibration",
        lambda c, x: c.post(
            f"/appraisals/{x['ann'].id}/reopen", data={"to": "manager_review", "reason": "why"}
        ),
        lambda db, x: appraisal_of(db, x["company"], "ann").state == "manager_review",
        {"hr"},
    ),
    "open the appraisal": Action(
        "self_review",
        lambda c, x: c.get(f"/appraisals/{x['ann'].id}"),
        lambda db, x: x["response"].status_code == 200,
        {"hr", "manager", "employee"},
    ),
    "open my performance": Action(
        "self_review",
        lambda c, x: c.get("/dashboards/mine"),
        lambda db, x: f"/appraisals/{x['ann'].id}" in x["response"].text,
        {"employee"},
    ),
    "open Ann's person report": Action(
        "self_review",
        lambda c, x: c.get(f"/dashboards/people/{x['ann'].employee_id}/report"),
        lambda db, x: x["response"].status_code == 200,
        {"hr", "manager", "employee"},
    ),
    "open the team page": Action(
        "self_review",
        lambda c, x: c.get("/team"),
        lambda db, x: "Ann" in x["response"].text,
        {"manager"},  # HR follows everyone on the cycle page; its team is whom it manages
    ),
    "open the team dashboard": Action(
        "self_review",
        lambda c, x: c.get("/dashboards/team"),
        lambda db, x: "Ann" in x["response"].text,
        {"hr", "manager"},
    ),
    "read a team chart's data": Action(
        "self_review",
        lambda c, x: c.get(f"/dashboards/team/heatmap-{x['ann'].template_version_id}.json"),
        lambda db, x: "Ann" in x["response"].text,
        {"hr", "manager"},
    ),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", ACTIONS)
def test_role_action_matrix(client, auth, db, company, launched, actor, name):
    action = ACTIONS[name]
    ann = appraisal_of(db, company, "ann")
    ann.state = action.state
    ann.targets = {"sales": 100000}
    quinn = company.viewer(db, "quinn@acme.example")
    db.add(
        Review(
            organization_id=company.org.id,
            appraisal=ann,
            slot=f"peer:{quinn.user_id}",
            rater="peer",
            reviewer_id=quinn.user_id,
        )
    )
    planning = cycles.create_cycle(
        db,
        launched.scheme,
        name="Next",
        dates=cycles.CycleDates(date(2027, 1, 1), date(2027, 3, 31)),
        anonymity_threshold=3,
        user_id=None,
    )
    db.commit()
    ctx = {
        "company": company,
        "cycle": launched,
        "planning": planning,
        "ann": ann,
        "everyone": [e.id for e in company.people.values()],
    }
    if ACTORS[actor]:
        auth.login(ACTORS[actor])
    ctx["response"] = response = action.request(client, ctx)
    db.expire_all()
    happened = action.happened(db, ctx)
    if actor in action.allowed:
        assert happened, (name, actor, response.status_code)
        assert response.status_code in (200, 302)
    else:
        assert not happened, (name, actor)
        if actor == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        elif response.request.method == "GET":  # a page either refuses or shows nothing of Ann
            assert response.status_code in (200, 403, 404) or (
                actor == "invited_peer"
                and response.headers["Location"].endswith("/review/peer")  # to their own form
            ), response.status_code
        else:
            assert response.status_code in (302, 403, 404, 422), response.status_code
            if response.status_code == 302:
                follow = client.get(response.headers["Location"], follow_redirects=True)
                assert "alert-danger" in follow.text, (name, actor)


def test_the_matrix_covers_every_runtime_route(app):
    """A new runtime route must be added here, with where its permissions are tested."""
    known = {
        "runtime.scheme_form",  # HR-only, like the cycles page (test_cycles)
        "runtime.cycle_form",
        "runtime.cycle",
        "runtime.cycle_targets",  # test_reviews: team split and another team refused
        "runtime.appraisal_targets",  # the "set targets" action posts here
        "runtime.appraisal_action",
        "runtime.appraisal_withdraw",  # same checks as invitations
        "runtime.review",
        "runtime.review_score",  # same checks as the review form (test_journey)
        "runtime.my_tasks",  # only lists the viewer's own tasks
        "runtime.cycle_launch",
        "runtime.cycle_figures",
        "runtime.appraisal",
        "runtime.appraisal_invite",
        "runtime.appraisal_reopen",
        "runtime.cycles",
        "runtime.team",
        "runtime.cycle_results",  # test_exports: HR only
        "runtime.cycle_feedback",  # test_written_feedback: HR only
        "runtime.figures_import",  # test_figures_import: HR and implementers; below
        "runtime.figures_import_map",
        "runtime.figures_sheet",
        "runtime.calibration_page",  # test_calibration: HR only
        "runtime.calibration_start",
        "runtime.calibration_quotas",
        "runtime.calibration_lock",
        "runtime.calibration_publish",
        "runtime.calibration_override",
        "runtime.cycle_close",
        "runtime.result",  # test_calibration: after publication, own or team only
        "runtime.result_acknowledge",
        "runtime.result_appeal",
        "runtime.result_resolve",
        "runtime.interview_schedule",  # test_act: manager or HR write, employee confirms
        "runtime.interview_record",
        "runtime.interview_confirm",
        "runtime.plan_create",
        "runtime.plan_checkin",
        "runtime.plan_close",
        "runtime.training",  # test_act: HR only
        # continuous/test_plans: the plan's employee and manager (chain where allowed) act,
        # HR reads and takes no side; a colleague, another team, the implementer and another
        # organization 404
        "runtime.plans_page",
        "runtime.plan",
        "runtime.plan_item_add",
        "runtime.plan_item_remove",
        "runtime.plan_move",
        "runtime.plan_update",
        "runtime.plan_assess",
        "runtime.plan_rate",
        # continuous/test_plan_evidence: a plan's files and photos, to who reads the plan;
        # a colleague, another team's manager, another organization and another plan 404
        "runtime.plan_file",
        "runtime.plan_photo",
        # continuous/test_checkins_feedback: a check-in is the two's (HR by the organization's
        # setting), 404 for anyone else; a note private to the manager is not the recipient's
        "runtime.checkins_page",
        "runtime.checkin",
        "runtime.feedback_notes",
        "runtime.feedback_request",
        # fieldwork/test_customers(_import): HR and implementers; employees and managers
        # 403; another organization's customer 404
        "runtime.customers",
        "runtime.customer_form",
        "runtime.customer_toggle",
        "runtime.customers_export",
        "runtime.customers_import",
        "runtime.customers_import_map",
        "runtime.customers_import_sample",
        # metrics/test_event_pages: HR admins only (implementers, managers, employees 403);
        # another organization's held reference 404
        "runtime.events",
        "runtime.events_held",
        "runtime.events_held_map",
        "runtime.events_held_set_aside",
        "runtime.events_import",
        "runtime.events_import_map",
        # fieldwork/test_phone_pages, test_sync: own records only; a form not for the
        # position, another organization's customer, no employee record: 404 / 422
        "runtime.field_today",
        "runtime.field_new",
        "runtime.field_history",
        "runtime.field_customers",
        "runtime.field_sync",
        "runtime.field_sw",  # public: a script (tests/web/test_access)
        "runtime.field_manifest",  # public: the app's description
        "runtime.field_record",  # fieldwork/test_review: another team's or org's record 404
        "runtime.field_record_review",  # test_review: employee 403, colleague/other team 404
        "runtime.field_record_edit",  # test_review: only the record's employee, when returned
        "runtime.field_team",  # fieldwork/test_team: own team only; HR by department
        "runtime.field_records_export",  # fieldwork/test_export: HR all, manager team, own
        "runtime.field_consent",  # fieldwork/test_consent_pages: the employee's own answers
        "runtime.field_consents",  # test_consent_pages: HR only (403 for others)
        # fieldwork/test_photos_routes: own, manager and HR see; another team or org 404
        "runtime.field_photo_upload",
        "runtime.field_photo",
        # metrics/test_figures_pages: HR, the manager and the appraisee read a computed
        # figure's drill-down (another team, colleague, implementer, other org 404); only
        # HR overrides (404 for the others) and recomputes (403)
        "runtime.computed_figure",
        "runtime.computed_override",
        "runtime.cycle_recompute",
        "runtime.scheme_metrics",  # builder/test_metrics_binding: HR only, another org 404
        # dashboards/test_team: managers (own team, chain where allowed) and HR; the page and
        # every chart's data; employees and implementers 403; outside the team 404
        "runtime.dashboard_team",
        "runtime.dashboard_team_data",
        # dashboards/test_mine: the viewer's own (no employee record: empty page, 404s;
        # a cycle not theirs or another organization's 404); the person report for HR and
        # the appraisal's manager (another manager, a colleague, the implementer 404)
        "runtime.dashboard_mine",
        "runtime.dashboard_mine_json",
        "runtime.dashboard_mine_xlsx",
        "runtime.dashboard_mine_report",
        "runtime.dashboard_person_report",
        # dashboards/test_organization: HR admins only (manager, employee, implementer 403,
        # anonymous to sign-in) on the page, every chart's JSON and XLSX, the people list and
        # the report; another organization's cycle or department 404
        "runtime.organization_dashboard",
        "runtime.organization_chart",
        "runtime.organization_people",
        "runtime.organization_report",
    }
    routes = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("runtime.")
    }
    assert routes <= known, routes - known


def test_figures_import_is_for_hr_and_implementers(client, auth, db, company, launched):
    for email, status in (
        ("ann@acme.example", 403),
        ("boss@acme.example", 403),
        ("imp@acme.example", 200),
    ):
        auth.login(email)
        assert client.get(f"/cycles/{launched.id}/figures/import").status_code == status, email
        sheet = client.get(f"/cycles/{launched.id}/figures/sheet.csv")
        assert sheet.status_code == status, email
        auth.logout()
