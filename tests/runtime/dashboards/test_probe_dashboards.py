"""Issue 18, attacked: hostile query strings, a viewer who is also the appraisee, injected
names and GETs that must change nothing. Each test reproduces an attack; the ones named
`..._held` record what was tried and already resisted, so a regression shows."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, select

from appraisal.models import Department, Membership, User
from appraisal.rules import compile_activity
from appraisal.rules.activities import check_activity_values
from appraisal.runtime.reviews import invitations, reviews
from tests.runtime.conftest import appraisal_of, publish, runtime_definition
from tests.runtime.test_reviews import at_state

#: Every dashboard page and a chart of each (JSON and XLSX), the people list and both reports.
PATHS = (
    "/dashboards/mine",
    "/dashboards/mine/trend.json",
    "/dashboards/mine/trend.xlsx",
    "/dashboards/mine/report",
    "/dashboards/people/{ann}/report",
    "/dashboards/team",
    "/dashboards/team/steps.json",
    "/dashboards/team/quadrant.xlsx",
    "/dashboards/organization",
    "/dashboards/organization/funnel.json",
    "/dashboards/organization/grades.xlsx",
    "/dashboards/organization/people",
    "/dashboards/organization/report",
)
#: Ids and pages no one should type: words, signs, superscript and full-width digits (`²`
#: passes `str.isdigit` but not `int`), beyond 32 bits, repeated, blank with spaces.
HOSTILE = (
    "cycle=abc",
    "cycle=-1",
    "cycle=0",
    "cycle=99999999999999999999",
    "cycle=2147483648",
    "cycle=1&cycle=2",
    "cycle=%C2%B2",
    "cycle=%EF%BC%91",
    "cycle=1.5",
    "cycle=%20",
    "department=%C2%B2",
    "department=-3",
    "manager=%C2%B2",
    "manager=9999999999999",
    "page=%C2%B2",
    "page=-5",
    "page=99999999999",
    "page=" + "9" * 5000,
    "state=zzz",
    "grade=" + "x" * 100,
    "direct=1&department=abc",
)


@pytest.mark.parametrize("email", ["hr@acme.example", "boss@acme.example", "ann@acme.example"])
def test_hostile_ids_and_pages_are_never_a_500(client, auth, company, launched, email):
    """`?cycle=²` (or department, page) on HR's organization dashboard, its charts, the
    people list and the department report raised ValueError: a 500."""
    auth.login(email)
    failed = []
    for path in PATHS:
        for query in HOSTILE:
            url = path.format(ann=company.people["ann"].id) + "?" + query
            try:
                status = client.get(url).status_code
            except ValueError as error:  # the test client re-raises what would be a 500
                failed.append((url[:80], repr(error)[:60]))
                continue
            if status >= 500:
                failed.append((url[:80], status))
    assert not failed


def test_a_superscript_digit_is_a_404_not_a_number(client, auth, company, launched):
    auth.login("hr@acme.example")
    for query in ("cycle=%C2%B2", "department=%C2%B2", "cycle=2147483648", "cycle=%20%20"):
        response = client.get(f"/dashboards/organization?{query}")
        assert response.status_code == (200 if query == "cycle=%20%20" else 404), query
    assert client.get("/dashboards/organization/people?page=%C2%B2").status_code == 200


def test_a_customer_field_with_a_superscript_digit_is_a_problem_not_a_crash():
    """The same `isdigit` then `int` shape in a field record's customer value."""
    form = compile_activity(
        {
            "format": "activity/1",
            "key": "visit",
            "name": "Visit",
            "fields": [{"key": "customer", "label": "Customer", "type": "customer"}],
        }
    )
    for raw in ("²", "１", "٣"):
        checked = check_activity_values(form, {"customer": raw})
        assert [p.field for p in checked.problems] == ["customer"], raw
    assert check_activity_values(form, {"customer": " 12 "}).values == {"customer": 12}


# -- the viewer is also the appraisee ---------------------------------------------------------


@pytest.fixture
def hr_appraisee(db, company, launched):
    """Ann is an HR admin too, appraised on a form whose teamwork only peers rate; four
    colleagues are invited (threshold 3)."""
    definition = runtime_definition()
    definition["key"] = "peer-rated"
    teamwork = next(i for i in definition["sections"][1]["items"] if i["key"] == "teamwork")
    teamwork["raters"] = ["peer"]
    del teamwork["rater_weights"]
    version = publish(db, company.org.id, definition)
    ann = appraisal_of(db, company, "ann")
    ann.template_version_id = version.id
    at_state(db, ann, "self_review")
    user = db.scalar(select(User).where(User.email == "ann@acme.example"))
    db.scalar(select(Membership).where(Membership.user_id == user.id)).set_roles(
        {"employee", "admin"}
    )
    db.commit()
    bo = company.viewer(db, "boss@acme.example")
    peers = [
        company.viewer(db, f"{name}@acme.example") for name in ("pat", "quinn", "olga", "oscar")
    ]
    for peer in peers:
        invitations.invite(db, ann, bo, "peer", peer.user_id)
    db.commit()
    return ann, version, peers


def _answer(db, ann, peer, rating: str) -> None:
    reviews.save_review(db, ann, peer, "peer", {"peer.teamwork": rating}, version=None, submit=True)
    db.commit()


def test_hr_never_watches_their_own_peer_average_move(client, auth, db, company, hr_appraisee):
    """Before: as HR, Ann's team dashboard (the whole organization) showed her own row with
    the peers' average from the third answer on (66.67), then 57.5 after the fourth: 4 × 57.5
    − 3 × 66.67 = 30, the fourth colleague's rating, which her own appraisal page never
    shows before publication. Her own appraisal is on "My performance", not on a team's."""
    ann, version, peers = hr_appraisee
    auth.login("ann@acme.example")
    seen = []
    for peer, rating in zip(peers, "5131", strict=True):
        _answer(db, ann, peer, rating)
        spec = client.get(f"/dashboards/team/heatmap-{version.id}.json")
        rows = {s["name"]: s["values"] for s in spec.get_json()["series"]} if spec.is_json else {}
        seen.append(rows.get("Ann"))
        for key in ("quadrant", "steps"):
            assert "Ann" not in client.get(f"/dashboards/team/{key}.json").text
    assert seen == [None] * 4
    page = client.get("/dashboards/team").text
    assert f"/appraisals/{ann.id}" not in page


def test_a_manager_who_is_hr_sees_their_own_team_without_themselves(
    client, auth, db, company, launched
):
    """Bo (manager and HR): his team with ?manager=, and HR's whole organization, never
    hold his own appraisal; HR without an employee record still sees everyone."""
    user = db.scalar(select(User).where(User.email == "boss@acme.example"))
    db.scalar(select(Membership).where(Membership.user_id == user.id)).set_roles(
        {"manager", "employee", "admin"}
    )
    db.commit()
    bo = appraisal_of(db, company, "bo")
    auth.login("boss@acme.example")
    for query in ("", f"?manager={company.people['bo'].id}"):
        page = client.get(f"/dashboards/team{query}").text
        assert f'/appraisals/{bo.id}"' not in page, query
        assert f'/appraisals/{appraisal_of(db, company, "ann").id}"' in page
    auth.logout()
    auth.login("hr@acme.example")
    assert f'/appraisals/{bo.id}"' in client.get("/dashboards/team").text


# -- what held ----------------------------------------------------------------------------------

EVIL = '</script><script>alert(1)</script>"\'=HYPERLINK("http://evil.example")\x0b'


def test_injected_names_stay_text_in_the_data_block_and_tables_held(
    client, auth, db, company, launched
):
    """Names and a department name with `</script>`, quotes, a formula and a control
    character: the JSON data block stays one script element that parses back to the name,
    the table view escapes it, and drill links are this site's paths."""
    for person in company.people.values():
        person.name = EVIL.replace("\x0b", "") + person.name
    department = Department(organization_id=company.org.id, name=EVIL.replace("\x0b", ""))
    db.add(department)
    db.flush()
    company.people["ann"].department_id = department.id
    db.commit()
    for email, url in (
        ("hr@acme.example", "/dashboards/organization"),
        ("hr@acme.example", "/dashboards/organization/report"),
        ("hr@acme.example", "/dashboards/organization/people"),
        ("boss@acme.example", "/dashboards/team"),
        ("ann@acme.example", "/dashboards/mine"),
    ):
        auth.login(email)
        text = client.get(url).text
        assert "<script>alert" not in text, url
        assert text.count("<script") == text.count("</script>"), url
        for block in text.split('class="chart-data">')[1:]:
            spec = json.loads(block.split("</script>", 1)[0])
            for series in spec["series"]:
                for link in (series["drill"] or []) + [p["drill"] for p in series["points"]]:
                    assert link is None or (link.startswith("/") and not link.startswith("//"))
        auth.logout()


def test_gets_change_nothing_held(client, auth, db, company, launched):
    """The dashboards are GET-only: no INSERT, UPDATE or DELETE while anyone opens them,
    except the audit log's note of a file downloaded (issue 22: downloads are logged)."""
    writes: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() not in ("INSERT", "UPDATE", "DELETE"):
            return
        if "audit_events" in statement or "audit_heads" in statement:
            return
        writes.append(statement[:80])

    ann = company.people["ann"].id
    urls = [path.format(ann=ann) for path in PATHS] + [f"/cycles/{launched.id}/calibration"]
    engine = db.get_bind()
    for email in ("hr@acme.example", "boss@acme.example", "ann@acme.example"):
        auth.login(email)
        event.listen(engine, "before_cursor_execute", listen)
        try:
            for url in urls:
                assert client.get(url).status_code in (200, 403, 404), url
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        auth.logout()
    assert writes == []


def test_no_dashboard_route_takes_a_post_held(app):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/dashboards")]
    assert rules
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)
