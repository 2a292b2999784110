"""Department-scoped roles: the role × route matrix with scopes, checked against what the
permission overview states; outside-scope ids are 404; auditors change nothing; two-level
calibration with its lock.

The company of `tests/runtime/conftest.py`, in departments: North (a plant) with North
Sales below it, where Bo's team works (Bo, Ann, Pat, Quinn); South, where Olga's team works
(Olga, Oscar). Extra members: Hanna, HR business partner for North; Dirk, department head of
North; Aud, auditor of the whole organization; Sue, auditor of South.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from appraisal.access import PERSONAL_ENDPOINTS, READING_POSTS
from appraisal.models import Appraisal, AuditEvent, Department, Membership, User
from appraisal.scopes import POWERS
from appraisal.users.overview import overview
from tests.runtime.conftest import appraisal_of

ACTORS = {
    "hr": "hr@acme.example",
    "partner": "hanna@acme.example",
    "head": "dirk@acme.example",
    "auditor": "aud@acme.example",
    "south_auditor": "sue@acme.example",
    "manager": "boss@acme.example",
    "employee": "ann@acme.example",
    "implementer": "imp@acme.example",
}


@pytest.fixture
def scoped(db, make, company, calibrating):
    """Departments for both teams and the scoped members; the cycle in calibration."""
    org = company.org
    north = Department(organization_id=org.id, name="North")
    db.add(north)
    db.flush()
    sales = Department(organization_id=org.id, name="North Sales", parent_id=north.id)
    south = Department(organization_id=org.id, name="South")
    db.add_all([sales, south])
    db.flush()
    for key in ("bo", "ann", "pat", "quinn"):
        db.merge(company.people[key]).department_id = sales.id
    for key in ("olga", "oscar"):
        db.merge(company.people[key]).department_id = south.id
    db.commit()
    for email, grants in (
        ("hanna@acme.example", {"hr_partner": north.id}),
        ("dirk@acme.example", {"department_head": north.id}),
        ("aud@acme.example", {"auditor": None}),
        ("sue@acme.example", {"auditor": south.id}),
    ):
        membership = make.member(org, email, roles=())
        membership = db.merge(membership)
        membership.set_grants(grants)
        db.commit()
    return {"north": north, "sales": sales, "south": south, "cycle": calibrating}


@dataclass
class Probe:
    """One request that needs `power`, on an employee's row (None: an organization-wide
    page), and how to tell it happened."""

    power: str
    target: str | None
    request: Callable  # (client, ctx) -> response
    happened: Callable  # (db, ctx, response) -> bool


def _shows(number: str):
    return lambda db, x, r: r.status_code == 200 and number in r.text


def _override(key: str, grade: str = "D"):
    def request(c, x):
        a = appraisal_of(x["db"], x["company"], key)
        return c.post(
            f"/cycles/{x['cycle'].id}/calibration/{a.id}",
            data={"grade": grade, "reason": "scope test", "version": a.version},
        )

    def happened(db, x, r):
        a = appraisal_of(db, x["company"], key)
        return a.override_grade == grade or a.proposed_grade == grade

    return request, happened


def _reopen(key: str):
    def request(c, x):
        a = appraisal_of(x["db"], x["company"], key)
        return c.post(f"/appraisals/{a.id}/reopen", data={"to": "manager_review", "reason": "x"})

    return request, lambda db, x, r: appraisal_of(db, x["company"], key).state == "manager_review"


def _page(endpoint: str):
    return lambda c, x: c.get(x["url"](endpoint))


def _open(key: str):
    return lambda c, x: c.get(f"/appraisals/{appraisal_of(x['db'], x['company'], key).id}")


PROBES = {
    "calibration list shows Ann (North Sales)": Probe(
        "read_results",
        "ann",
        lambda c, x: c.get(f"/cycles/{x['cycle'].id}/calibration"),
        _shows("A001"),
    ),
    "calibration list shows Oscar (South)": Probe(
        "read_results",
        "oscar",
        lambda c, x: c.get(f"/cycles/{x['cycle'].id}/calibration"),
        _shows("O002"),
    ),
    "open Ann's appraisal": Probe("read_results", "ann", _open("ann"), _shows("Ann")),
    "open Oscar's appraisal": Probe("read_results", "oscar", _open("oscar"), _shows("Oscar")),
    "calibrate Pat": Probe("calibrate", "pat", *_override("pat")),
    "calibrate Oscar": Probe("calibrate", "oscar", *_override("oscar")),
    "reopen Quinn's step": Probe("hr_steps", "quinn", *_reopen("quinn")),
    "reopen Olga's step": Probe("hr_steps", "olga", *_reopen("olga")),
    "cycle page lists Ann": Probe(
        "read_results", "ann", lambda c, x: c.get(f"/cycles/{x['cycle'].id}"), _shows("A001")
    ),
    "cycle page lists Oscar": Probe(
        "read_results", "oscar", lambda c, x: c.get(f"/cycles/{x['cycle'].id}"), _shows("O002")
    ),
    "dashboard's people list shows Ann": Probe(
        "read_results",
        "ann",
        lambda c, x: c.get(f"/dashboards/organization/people?cycle={x['cycle'].id}"),
        _shows("A001"),
    ),
    "dashboard's people list shows Oscar": Probe(
        "read_results",
        "oscar",
        lambda c, x: c.get(f"/dashboards/organization/people?cycle={x['cycle'].id}"),
        _shows("O002"),
    ),
    "department report lists Ann": Probe(
        "read_results",
        "ann",
        lambda c, x: c.get(f"/dashboards/organization/report?cycle={x['cycle'].id}"),
        _shows("A001"),
    ),
    "Oscar's person report": Probe(
        "read_results",
        "oscar",
        lambda c, x: c.get(
            f"/dashboards/people/{x['company'].people['oscar'].id}/report?cycle={x['cycle'].id}"
        ),
        _shows("Oscar"),
    ),
    "open a new scheme's form": Probe(
        "run_cycles",
        None,
        lambda c, x: c.get("/cycles/schemes/new"),
        lambda db, x, r: r.status_code == 200,
    ),
    "open users and roles": Probe(
        "manage_users", None, _page("users.index"), lambda db, x, r: r.status_code == 200
    ),
    "open the templates": Probe(
        "build", None, _page("builder.templates"), lambda db, x, r: r.status_code == 200
    ),
    "open the employees": Probe(
        "manage_people", None, _page("people.employees"), lambda db, x, r: r.status_code == 200
    ),
    "open the audit log": Probe(
        "read_audit_log", None, _page("auditlog.log"), lambda db, x, r: r.status_code == 200
    ),
}


#: Appraisals an actor reaches by relation (their own, their team's): the runtime matrix's
#: business (test_permissions), not a role's power, so not probed here.
RELATED = {"manager": {"ann", "pat", "quinn"}, "employee": {"ann"}}


def _said(person, power: str, department: Department | None, db) -> bool:
    """What the overview page states: does `person` have `power` over a row of
    `department` (None: an organization-wide page)?"""
    statement = next(s for s in person.statements if s.power.key == power)
    if statement.everywhere or department is None:
        return statement.everywhere
    names = set()
    current = department
    while current is not None:
        names.add(current.name)
        current = db.get(Department, current.parent_id) if current.parent_id else None
    return bool(names & set(statement.departments))


def test_every_power_has_a_probe():
    """A power added to the table needs a probe here, so the page never states an
    unchecked power."""
    assert {p.key for p in POWERS} - {"publish"} <= {p.power for p in PROBES.values()}


@pytest.mark.parametrize("actor", ACTORS)
def test_overview_matches_what_the_routes_enforce(app, client, auth, db, company, scoped, actor):
    """For each role and scope, the routes allow exactly what the permission overview
    says; a refusal changes nothing and is never a 500."""
    people = {p.membership.user.email: p for p in overview(db, company.org.id)}
    person = people[ACTORS[actor]]
    auth.login(ACTORS[actor])
    with app.test_request_context():
        endpoints = ("users.index", "builder.templates", "people.employees", "auditlog.log")
        urls = {e: url_for(e) for e in endpoints}
    ctx = {"db": db, "company": company, "cycle": scoped["cycle"], "url": urls.__getitem__}
    for name, probe in PROBES.items():
        if probe.target in RELATED.get(actor, ()) and probe.power == "read_results":
            continue
        department = (
            None
            if probe.target is None
            else db.get(Department, company.people[probe.target].department_id)
        )
        db.expire_all()
        allowed = _said(person, probe.power, department, db)
        response = probe.request(client, ctx)
        db.expire_all()
        happened = probe.happened(db, ctx, response)
        assert happened == allowed, (actor, name, response.status_code)
        assert response.status_code < 500, (actor, name)
        if not allowed and response.request.method == "POST":
            # 403 by role, 404 outside the scope, 422 "you cannot do this on this appraisal"
            # for a reader (as the runtime matrix allows)
            assert response.status_code in (403, 404, 422), (actor, name, response.status_code)


def test_the_overview_states_scopes(client, auth, db, company, scoped):
    auth.login("hr@acme.example")
    page = client.get("/users/permissions")
    assert page.status_code == 200
    row = page.text.split('data-email="hanna@acme.example"')[1].split("</tr>")[0]
    assert 'data-power="calibrate" data-where="North"' in row
    assert 'data-power="run_cycles" data-where="none"' in row
    filtered = client.get(f"/users/permissions?department={scoped['south'].id}")
    assert "sue@acme.example" in filtered.text and "hanna@acme.example" not in filtered.text
    assert client.get("/users/permissions?role=department_head").text.count("data-email=") == 1
    auth.logout()
    auth.login("hanna@acme.example")
    assert client.get("/users/permissions").status_code == 403


def test_scoped_lists_and_outside_ids(client, auth, db, company, scoped):
    """The partner sees North only: Olga's team is not listed, and its ids are 404 on every
    single-row route, read or write."""
    auth.login("hanna@acme.example")
    cycle = scoped["cycle"]
    page = client.get(f"/cycles/{cycle.id}/calibration")
    assert "A001" in page.text and "O002" not in page.text and "O001" not in page.text
    assert "South" not in page.text  # neither a distribution group nor a filter choice
    oscar = appraisal_of(db, company, "oscar")
    assert client.get(f"/appraisals/{oscar.id}").status_code == 404
    assert client.get(f"/appraisals/{oscar.id}/result").status_code == 404
    post = client.post(
        f"/cycles/{cycle.id}/calibration/{oscar.id}",
        data={"grade": "D", "reason": "x", "version": oscar.version},
    )
    assert post.status_code == 404
    assert client.get("/cycles").status_code == 200


def test_a_scoped_reader_is_not_told_the_whole_cycle(client, auth, db, company, scoped):
    """The calibration page's first distribution counts the reader's departments: a head of
    North reads "All my departments (4)", not "Whole cycle (4)" of a cycle of six (found by
    the issue-22 browser journey); HR still reads the whole cycle."""
    cycle = scoped["cycle"]
    auth.login("dirk@acme.example")
    page = client.get(f"/cycles/{cycle.id}/calibration").text
    assert "All my departments" in page.split('id="overall"')[1].split("</h2>")[0]
    assert "Whole cycle" not in page
    auth.logout()
    auth.login("hr@acme.example")
    page = client.get(f"/cycles/{cycle.id}/calibration").text
    overall = page.split('id="overall"')[1].split("</h2>")[0]
    assert "Whole cycle" in overall and "(6)" in overall


def test_scoped_cycle_page_and_dashboard(client, auth, db, company, scoped):
    """The partner's cycle page, organization dashboard and department report count and
    list North alone, offer no South filter (a South id is a 404), and leave HR's actions
    out; the calibration chart's drill links open for them."""
    auth.login("hanna@acme.example")
    cycle, south = scoped["cycle"], scoped["south"]
    page = client.get(f"/cycles/{cycle.id}")
    assert page.status_code == 200
    assert "A001" in page.text and "O001" not in page.text and "O002" not in page.text
    assert 'data-state="calibration">4<' in page.text  # Bo's team of four, not six
    assert "South" not in page.text
    for absent in ("figures-link", "targets-link", "recompute-form", "launch-form"):
        assert f'id="{absent}"' not in page.text
    assert client.get(f"/cycles/{cycle.id}?department={south.id}").status_code == 404
    board = client.get(f"/dashboards/organization?cycle={cycle.id}")
    assert board.status_code == 200
    assert "South" not in board.text and "North" in board.text
    assert client.get(f"/dashboards/organization?department={south.id}").status_code == 404
    people = client.get(f"/dashboards/organization/people?cycle={cycle.id}&state=calibration")
    assert people.text.count("data-employee=") == 4 and "O001" not in people.text
    funnel = client.get(f"/dashboards/organization/funnel.json?cycle={cycle.id}").json
    assert sum(v or 0 for s in funnel["series"] for v in s["values"]) == 4
    report = client.get(f"/dashboards/organization/report?cycle={cycle.id}")
    assert "A001" in report.text and "O001" not in report.text
    calibration = client.get(f"/cycles/{cycle.id}/calibration").text
    drill = calibration.split('href="/dashboards/organization/people?')[1].split('"')[0]
    drilled = client.get("/dashboards/organization/people?" + drill.replace("&amp;", "&"))
    assert drilled.status_code == 200
    auth.logout()
    auth.login("hr@acme.example")
    whole = client.get(f"/cycles/{cycle.id}")
    assert 'data-state="calibration">6<' in whole.text and 'id="figures-link"' in whole.text


def test_publishing_stays_inside_the_scope(client, auth, db, company, scoped):
    cycle = db.merge(scoped["cycle"])
    from appraisal.models import utcnow

    cycle.calibration_locked_at = utcnow()
    db.commit()
    auth.login("dirk@acme.example")
    refused = client.post(
        f"/cycles/{cycle.id}/calibration/publish",
        data={"department_id": scoped["south"].id, "confirmed": "yes"},
    )
    assert refused.status_code == 404
    done = client.post(f"/cycles/{cycle.id}/calibration/publish", data={"confirmed": "yes"})
    assert done.status_code == 302
    db.expire_all()
    states = {k: appraisal_of(db, company, k).state for k in company.people}
    assert {states[k] for k in ("bo", "ann", "pat", "quinn")} == {"published"}
    assert {states[k] for k in ("olga", "oscar")} == {"calibration"}


def test_auditors_change_nothing(app, client, auth, db, company, scoped):
    """Every route that accepts a change refuses an auditor (403), whatever it is; their own
    sign-out still works."""
    auth.login("aud@acme.example")
    before = {a.id: (a.state, a.override_grade) for a in db.scalars(select(Appraisal))}
    writes = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        and rule.endpoint.split(".")[0] not in ("auth", "account", "api", "static")
        and rule.endpoint not in PERSONAL_ENDPOINTS | READING_POSTS
    ]
    assert len(writes) > 50
    for rule in writes:
        values = {arg: 1 for arg in rule.arguments}
        for arg, converter in rule._converters.items():
            if "Any" in type(converter).__name__:
                values[arg] = sorted(converter.items)[0]
        try:
            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
        except BuildError:  # a converter this sweep cannot fill
            continue
        method = next(m for m in ("POST", "PUT", "PATCH", "DELETE") if m in rule.methods)
        response = client.open(url, method=method, data={"confirmed": "yes"})
        assert response.status_code == 403, (rule.rule, response.status_code)
    db.expire_all()
    assert before == {a.id: (a.state, a.override_grade) for a in db.scalars(select(Appraisal))}
    ann = appraisal_of(db, company, "ann")
    assert client.get(f"/appraisals/{ann.id}").status_code == 200  # reads what HR reads
    # a post that only reads (a cycle file, prepared by a job for a large cycle) is allowed
    assert client.post(f"/cycles/{scoped['cycle'].id}/results.csv").status_code == 200
    assert client.post("/logout").status_code == 302


def test_an_auditor_who_is_also_an_employee_keeps_their_own_steps(
    client, auth, db, company, scoped
):
    """The auditor role adds reading; the member's own part (here: HR's reading role
    dropped on a change) is untouched, and HR's steps stay refused."""
    membership = db.scalar(select(Membership).join(User).where(User.email == "ann@acme.example"))
    membership.set_grants({"employee": None, "auditor": None})
    db.commit()
    auth.login("ann@acme.example")
    oscar = appraisal_of(db, company, "oscar")
    assert client.get(f"/appraisals/{oscar.id}").status_code == 200
    refused = client.post(
        f"/appraisals/{oscar.id}/reopen", data={"to": "manager_review", "reason": "x"}
    )
    assert refused.status_code in (403, 404)
    db.expire_all()
    assert appraisal_of(db, company, "oscar").state == "calibration"


def test_two_level_calibration(client, auth, db, company, scoped):
    """Heads propose in their departments, HR sees the proposal and decides, the lock ends
    both."""
    cycle = scoped["cycle"]
    auth.login("hr@acme.example")
    saved = client.post(
        f"/cycles/{cycle.id}/calibration/quotas",
        data={"quotas": "", "two_level": "y", "version": db.merge(cycle).version},
    )
    assert saved.status_code == 302, saved.text
    auth.logout()

    auth.login("dirk@acme.example")
    pat = appraisal_of(db, company, "pat")
    proposed = client.post(
        f"/cycles/{cycle.id}/calibration/{pat.id}",
        data={"grade": "A", "reason": "strong quarter", "version": pat.version},
    )
    assert proposed.status_code == 302
    db.expire_all()
    pat = appraisal_of(db, company, "pat")
    assert (pat.proposed_grade, pat.override_grade, pat.final_grade) == ("A", None, "S")
    auth.logout()

    auth.login("hr@acme.example")
    page = client.get(f"/cycles/{cycle.id}/calibration")
    assert 'data-proposal="A"' in page.text and "strong quarter" in page.text
    decided = client.post(
        f"/cycles/{cycle.id}/calibration/{pat.id}",
        data={"grade": "A", "reason": "agreed with the head", "version": pat.version},
    )
    assert decided.status_code == 302
    db.expire_all()
    assert appraisal_of(db, company, "pat").final_grade == "A"
    locked = client.post(f"/cycles/{cycle.id}/calibration/lock", data={"confirmed": "yes"})
    assert locked.status_code == 302
    auth.logout()

    auth.login("dirk@acme.example")
    pat = appraisal_of(db, company, "pat")
    late = client.post(
        f"/cycles/{cycle.id}/calibration/{pat.id}",
        data={"grade": "B", "reason": "changed my mind", "version": pat.version},
    )
    assert late.status_code in (409, 422)
    db.expire_all()
    pat = appraisal_of(db, company, "pat")
    assert (pat.proposed_grade, pat.final_grade) == ("A", "A")
    # and the partner decides for North directly, even in two levels (before the lock)


def test_a_proposal_reads_as_an_edit_in_the_audit_log(client, auth, db, company, scoped):
    """The auditor reads a head's proposal as "Proposed grade: — → A" in their language, not
    as raw `before`/`after` keys with `None` (found by the issue-22 browser journey)."""
    cycle = db.merge(scoped["cycle"])
    cycle.two_level_calibration = True
    db.commit()
    auth.login("dirk@acme.example")
    pat = appraisal_of(db, company, "pat")
    client.post(
        f"/cycles/{cycle.id}/calibration/{pat.id}",
        data={"grade": "A", "reason": "strong quarter", "version": pat.version},
    )
    auth.logout()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "appraisal.grade_proposed"))
    assert event.detail["changes"] == {"proposed_grade": [None, "A"]}
    assert "before" not in event.detail and "after" not in event.detail
    auth.login("aud@acme.example")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/audit?action=appraisal.grade_proposed")
    assert page.status_code == 200
    assert "建议等级</span>" in page.text
    assert "<del><samp>—</samp></del> → <ins><samp>A</samp></ins>" in page.text
    assert "None" not in page.text


def test_partner_decides_directly_in_two_levels(client, auth, db, company, scoped):
    cycle = db.merge(scoped["cycle"])
    cycle.two_level_calibration = True
    db.commit()
    auth.login("hanna@acme.example")
    quinn = appraisal_of(db, company, "quinn")
    client.post(
        f"/cycles/{cycle.id}/calibration/{quinn.id}",
        data={"grade": "C", "reason": "partner", "version": quinn.version},
    )
    db.expire_all()
    quinn = appraisal_of(db, company, "quinn")
    assert (quinn.override_grade, quinn.proposed_grade) == ("C", None)


def test_exports_hold_only_the_scope(client, auth, db, company, scoped):
    """The results and feedback files of a scoped reader list their departments only, sent
    at once or prepared by a job."""
    from appraisal.models import Job
    from appraisal.runtime.cycles import background
    from appraisal.scopes import NOWHERE

    cycle = scoped["cycle"]
    auth.login("sue@acme.example")
    sheet = client.get(f"/cycles/{cycle.id}/results.csv")
    assert sheet.status_code == 200
    assert "O002" in sheet.text and "A001" not in sheet.text
    assert client.get(f"/cycles/{cycle.id}/feedback.csv").status_code == 200
    auth.logout()
    auth.login("ann@acme.example")
    assert client.get(f"/cycles/{cycle.id}/results.csv").status_code == 403
    user_id = db.scalar(select(User.id).where(User.email == "sue@acme.example"))
    job = Job(
        organization_id=company.org.id,
        user_id=user_id,
        kind=background.EXPORT_CYCLE,
        params={"cycle_id": cycle.id, "table": "results", "fmt": "csv"},
    )
    roles = frozenset({"auditor"})
    assert background.may_export(job, roles)
    _header, rows = background.CYCLE_TABLES["results"].build(db, db.merge(cycle), roles, NOWHERE)
    assert rows == []  # nowhere reaches nothing


def test_a_prepared_file_follows_the_readers_scope_now(
    client, auth, db, company, scoped, monkeypatch
):
    """A partner's job-prepared results file holds North; once their scope moves to South
    they no longer download it, while HR (the whole organization) still does."""
    from appraisal.models import Job
    from appraisal.runtime.cycles import background

    monkeypatch.setattr(background, "LARGE_EXPORT_APPRAISALS", 0)
    cycle = scoped["cycle"]
    auth.login("hanna@acme.example")
    started = client.post(f"/cycles/{cycle.id}/results.csv")
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    job = db.get(Job, job_id)
    assert job.status == "done"
    assert job.result["reach"]["departments"] == sorted([scoped["north"].id, scoped["sales"].id])
    sheet = client.get(f"/jobs/{job_id}/file")
    assert sheet.status_code == 200 and "A001" in sheet.text and "O001" not in sheet.text
    membership = db.scalar(select(Membership).join(User).where(User.email == "hanna@acme.example"))
    membership.set_grants({"hr_partner": scoped["south"].id})
    db.commit()
    assert client.get(f"/jobs/{job_id}/file").status_code == 404
    auth.logout()
    auth.login("hr@acme.example")
    assert client.get(f"/jobs/{job_id}/file").status_code == 200


def test_a_large_cycle_file_counts_the_readers_departments(
    client, auth, db, company, scoped, monkeypatch
):
    """Whether a scoped reader's file is prepared in the background, the count the page
    states and the job's progress are of their departments, never the whole cycle's."""
    from appraisal.models import Job
    from appraisal.runtime.cycles import background

    monkeypatch.setattr(background, "LARGE_EXPORT_APPRAISALS", 3)
    cycle = scoped["cycle"]
    auth.login("sue@acme.example")  # South: Olga and Oscar, two of six
    sheet = client.get(f"/cycles/{cycle.id}/results.csv")
    assert sheet.status_code == 200 and "O002" in sheet.text  # sent at once, not a page
    auth.logout()
    auth.login("hanna@acme.example")  # North: Bo's team of four
    page = client.get(f"/cycles/{cycle.id}/results.csv")
    assert "has 4 appraisals" in page.text and "has 6" not in page.text
    started = client.post(f"/cycles/{cycle.id}/results.csv")
    job = db.get(Job, int(started.headers["Location"].rsplit("/", 1)[1]))
    assert (job.done, job.total, job.result["rows"]) == (4, 4, 4)
    auth.logout()
    auth.login("imp@acme.example")  # the figures sheet is the whole cycle's, as before
    assert "has 6 appraisals" in client.get(f"/cycles/{cycle.id}/figures/sheet.csv").text


def test_a_file_no_longer_readable_is_not_offered(client, auth, db, company, scoped, monkeypatch):
    """The job's page of a file whose reach the reader has left offers no download."""
    from appraisal.runtime.cycles import background

    monkeypatch.setattr(background, "LARGE_EXPORT_APPRAISALS", 0)
    auth.login("hanna@acme.example")
    started = client.post(f"/cycles/{scoped['cycle'].id}/results.csv")
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/jobs/{job_id}.json").json["download"] == f"/jobs/{job_id}/file"
    membership = db.scalar(select(Membership).join(User).where(User.email == "hanna@acme.example"))
    membership.set_grants({"hr_partner": scoped["south"].id})
    db.commit()
    assert client.get(f"/jobs/{job_id}.json").json["download"] is None
    assert f"/jobs/{job_id}/file" not in client.get(f"/jobs/{job_id}").text


def test_a_scope_on_another_organizations_department_reaches_nothing(
    client, auth, db, make, company, scoped
):
    """A grant scoped to a department that is not the organization's (the forms refuse one;
    a row written by other means) reaches nothing, and no page fails on it."""
    other = make.org("other", "Other")
    elsewhere = Department(organization_id=other.id, name="Elsewhere")
    db.add(elsewhere)
    db.commit()
    membership = db.scalar(select(Membership).join(User).where(User.email == "hanna@acme.example"))
    membership.set_grants({"hr_partner": elsewhere.id})
    db.commit()
    auth.login("hanna@acme.example")
    cycle = scoped["cycle"]
    for url in (
        f"/cycles/{cycle.id}",
        f"/cycles/{cycle.id}/calibration",
        f"/dashboards/organization?cycle={cycle.id}",
        f"/dashboards/organization/report?cycle={cycle.id}",
        f"/dashboards/organization/people?cycle={cycle.id}",
        f"/dashboards/organization/funnel.json?cycle={cycle.id}",
        f"/dashboards/organization?department={elsewhere.id}",
        f"/cycles/{cycle.id}/results.csv",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert "A001" not in response.text and "O001" not in response.text, url


@pytest.mark.parametrize("role", ["department_head", "hr_partner", "admin"])
def test_nobody_calibrates_their_own_grade(client, auth, db, company, scoped, role):
    """Bo works in North Sales; made North's head, its partner or HR, he calibrates his team
    but not himself: his row offers no form and a post is refused, nothing changed."""
    membership = db.scalar(select(Membership).join(User).where(User.email == "boss@acme.example"))
    scope = None if role == "admin" else scoped["north"].id
    membership.set_grants({"manager": None, "employee": None, role: scope})
    db.commit()
    auth.login("boss@acme.example")
    cycle = scoped["cycle"]
    bo, ann = appraisal_of(db, company, "bo"), appraisal_of(db, company, "ann")
    page = client.get(f"/cycles/{cycle.id}/calibration").text
    assert f'/calibration/{ann.id}"' in page and f'/calibration/{bo.id}"' not in page
    refused = client.post(
        f"/cycles/{cycle.id}/calibration/{bo.id}",
        data={"grade": "S", "reason": "I deserve it", "version": bo.version},
    )
    assert refused.status_code == 422
    assert "You cannot calibrate your own grade." in refused.text
    db.expire_all()
    bo = appraisal_of(db, company, "bo")
    assert (bo.override_grade, bo.proposed_grade) == (None, None)
    done = client.post(
        f"/cycles/{cycle.id}/calibration/{ann.id}",
        data={"grade": "A", "reason": "team", "version": ann.version},
    )
    assert done.status_code == 302
