"""The manager's team dashboard: its numbers are the engine's, its counts are grouped, its
scope is the appraisal page's own, and every endpoint checks it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from appraisal.models import Cycle, Department, Organization, Review
from appraisal.runtime.cycles import cycles
from appraisal.runtime.cycles.figures import Entry, set_figures
from appraisal.runtime.dashboards.team import Filters, NotFound, team_dashboard
from appraisal.runtime.metrics import values
from appraisal.runtime.reviews.access import final_result
from appraisal.runtime.reviews.reviews import refresh_result
from tests.pages import without_tokens
from tests.runtime.conftest import appraisal_of
from tests.runtime.metrics.conftest import add_metric, record, visits  # noqa: F401

TODAY = date(2026, 10, 16)  # the goals were due on 15 October


@pytest.fixture(autouse=True)
def english(request, app):
    """The service's words in English (a request's language), except for the page tests."""
    if "client" in request.fixturenames:
        yield
        return
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def link(id_: int) -> str:
    return f"/appraisals/{id_}"


def board(db, company, email="boss@acme.example", today=TODAY, **filters):
    return team_dashboard(db, company.viewer(db, email), Filters(**filters), link, today=today)


def row(chart, name):
    return next(s for s in chart.series if s.name == name)


@pytest.fixture
def scored(db, company, launched, visits, add_metric, record):  # noqa: F811
    """`sales` is a process item (a count of visits fills it); `collection` a result item
    (a typed figure). Ann: 4 visits of 10 planned, collection 90 %; Pat: 3 of 10, 70 %."""
    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    for key in ("ann", "pat"):
        appraisal_of(db, company, key).targets = {"sales": 10}
    db.commit()
    for _ in range(4):
        record(customer=visits[0].id)
    for _ in range(3):
        record("pat", customer=visits[3].id)
    record(customer=visits[0].id, at=datetime(2026, 9, 30, 15, 0, tzinfo=UTC))  # before
    set_figures(
        db,
        launched,
        [Entry("A001", "collection", "90"), Entry("P001", "collection", "70")],
        None,
    )
    for key in ("ann", "pat", "quinn"):
        refresh_result(appraisal_of(db, company, key))
    db.commit()
    return launched


def test_heatmap_and_quadrant_are_the_engines_item_scores(db, company, scored):
    found = board(db, company)
    heatmap = found.heatmaps[0]
    assert heatmap.labels[:3] == ["Live total", "Sales amount", "Collection rate"]
    ann, pat = appraisal_of(db, company, "ann"), appraisal_of(db, company, "pat")
    # by hand: 100 × 4 / 10 = 40; collection 90 is in the "85 or more: 80" band
    assert row(heatmap, "Ann").values[1:3] == [Decimal("40.00"), Decimal("80.00")]
    assert row(heatmap, "Pat").values[1:3] == [Decimal("30.00"), Decimal("40.00")]
    for appraisal in (ann, pat):
        engine = final_result(appraisal)
        series = row(heatmap, appraisal.employee.name)
        assert series.values[0] == (None if engine.total is None else Decimal(str(engine.total)))
        assert series.values[1] == Decimal(str(engine.items["sales"]))
        assert series.drill == [f"/appraisals/{appraisal.id}"] * len(series.values)
    assert {s.name for s in heatmap.series} == {"Ann", "Pat", "Quinn"}  # Bo's team only
    quadrant = found.charts.get("quadrant")
    points = {p.label: (p.x, p.y, p.drill) for p in quadrant.series[0].points}
    assert points == {
        "Ann": (Decimal("40.00"), Decimal("80.00"), f"/appraisals/{ann.id}"),
        "Pat": (Decimal("30.00"), Decimal("40.00"), f"/appraisals/{pat.id}"),
    }
    assert quadrant.split == (100, 100)
    assert [(u.name, u.lacks) for u in found.unplotted] == [("Quinn", "both")]  # not at 0


def test_field_records_are_counted_per_person_against_the_planned_visits(db, company, scored):
    activity = board(db, company).charts.get("activity")
    assert activity.labels == ["Ann", "Pat", "Quinn"]
    assert row(activity, "Field records").values == [4, 3, 0]  # 30 September is outside
    assert row(activity, "Plan").values == [Decimal(10), Decimal(10), None]


def test_no_field_records_no_activity_chart(db, company, launched):
    assert board(db, company).charts.get("activity") is None


def test_behind_on_steps_counts_each_step(db, company, launched):
    ann, pat, quinn = (appraisal_of(db, company, k) for k in ("ann", "pat", "quinn"))
    launched.manager_review_due = date(2026, 10, 10)
    ann.state = "self_review"  # no self-review deadline: open, not overdue
    quinn.state = "calibration"  # submitted, result incomplete: waiting for figures
    oscar = company.people["oscar"]
    for reviewer in (oscar, company.people["olga"]):
        db.add(
            Review(
                organization_id=company.org.id,
                appraisal=pat,
                slot=f"peer:{reviewer.user_id}",
                rater="peer",
                reviewer_id=reviewer.user_id,
            )
        )
    db.commit()
    found = board(db, company)
    steps = found.charts.get("steps")
    late, open_ = (dict(zip(steps.labels, s.values, strict=True)) for s in steps.series)
    assert late["Goals to set or confirm"] == 1  # Pat, due 15 October
    assert open_["Self-reviews to write"] == 1 and late["Self-reviews to write"] == 0
    assert late["Peer reviews not answered"] == 2
    assert open_["Waiting for figures"] == 1
    behind = {(b.name, b.step, b.waiting) for b in found.behind}
    assert behind == {("Pat", "goals", 0), ("Pat", "peers", 2), ("Quinn", "figures", 0)}
    assert all("Oscar" not in b.name and "Olga" not in b.name for b in found.behind)


def _chain(db, company, on: bool):
    """Olga (with Oscar under her) reports to Bo."""
    olga = company.people["olga"]
    olga.manager_id = company.people["bo"].id
    appraisal_of(db, company, "olga").manager_id = company.people["bo"].id
    db.get(Organization, company.org.id).managers_see_chain = on
    db.commit()


def test_chain_off_the_manager_sees_direct_reports_only(db, company, launched):
    _chain(db, company, on=False)
    found = board(db, company)
    assert {s.name for s in found.heatmaps[0].series} == {"Ann", "Pat", "Quinn", "Olga"}
    assert found.charts.get("teams") is None  # one team, nothing to compare
    with pytest.raises(NotFound):
        board(db, company, manager_id=company.people["olga"].id)


def test_chain_on_the_manager_sees_everyone_below_and_compares_sub_teams(db, company, launched):
    _chain(db, company, on=True)
    found = board(db, company)
    names = {s.name for s in found.heatmaps[0].series}
    assert names == {"Ann", "Pat", "Quinn", "Olga", "Oscar"}
    assert found.charts.get("teams").labels == ["Bo's team", "Olga's team"]
    olga_only = board(db, company, manager_id=company.people["olga"].id)
    assert {s.name for s in olga_only.heatmaps[0].series} == {"Oscar"}
    with pytest.raises(NotFound):  # Olga cannot look up at Bo's team
        board(db, company, "olga@acme.example", manager_id=company.people["bo"].id)


def test_hr_sees_any_manager_department_or_everyone(db, company, launched, make):
    sales = Department(organization_id=company.org.id, name="Sales")
    db.add(sales)
    db.flush()
    company.people["oscar"].department_id = sales.id
    db.commit()
    hr = "hr@acme.example"
    everyone = {s.name for s in board(db, company, hr).heatmaps[0].series}
    assert everyone == {"Bo", "Ann", "Pat", "Quinn", "Olga", "Oscar"}
    teams = board(db, company, hr).charts.get("teams")
    assert set(teams.labels) == {"Bo's team", "Olga's team", "Without a manager"}
    olga = board(db, company, hr, manager_id=company.people["olga"].id)
    assert [s.name for s in olga.heatmaps[0].series] == ["Oscar"]
    in_sales = board(db, company, hr, department_id=sales.id)
    assert [s.name for s in in_sales.heatmaps[0].series] == ["Oscar"]
    elsewhere = make.org("other")
    foreign = Department(organization_id=elsewhere.id, name="Theirs")
    stranger = make.employee(elsewhere, "X001", "Xu")
    db.add(foreign)
    db.commit()
    for filters in (
        {"department_id": foreign.id},
        {"manager_id": stranger.id},
        {"cycle_id": 999999},
    ):
        with pytest.raises(NotFound):
            board(db, company, hr, **filters)
    with pytest.raises(NotFound):  # a manager picks no department
        board(db, company, department_id=sales.id)


def _statements(db, run) -> int:
    counted = []
    engine = db.get_bind()

    def count(*_args):
        counted.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(counted)


def test_statements_do_not_grow_with_the_team(db, company, launched, make):
    small = launched
    bo = company.people["bo"]
    for n in range(27):
        make.employee(
            company.org, f"N{n:03}", f"New {n:03}", manager_id=bo.id, position_id=bo.position_id
        )
    scheme = small.scheme
    big = cycles.create_cycle(
        db,
        scheme,
        name="2027-Q1",
        dates=cycles.CycleDates(date(2027, 1, 1), date(2027, 3, 31), date(2027, 1, 15)),
        anonymity_threshold=3,
        user_id=None,
    )
    cycles.launch_cycle(db, big, set(), None)
    db.commit()
    assert db.scalar(select(Cycle).where(Cycle.id == big.id)).state == "running"
    three = board(db, company, cycle_id=small.id)
    thirty = board(db, company, cycle_id=big.id)
    assert (three.people, thirty.people) == (3, 30)
    db.expire_all()
    small_count = _statements(db, lambda: board(db, company, cycle_id=small.id))
    db.expire_all()
    big_count = _statements(db, lambda: board(db, company, cycle_id=big.id))
    assert small_count == big_count, (small_count, big_count)


# -- the pages ---------------------------------------------------------------------------------

KEYS = ("steps", "quadrant", "teams", "activity")


def _urls(db, company, cycle):
    version = appraisal_of(db, company, "ann").template_version_id
    yield "/dashboards/team"
    for key in (f"heatmap-{version}", "steps", "quadrant"):
        for fmt in ("json", "xlsx"):
            yield f"/dashboards/team/{key}.{fmt}"


def test_anonymous_employees_and_implementers_are_refused_everywhere(
    client, auth, db, company, launched
):
    urls = list(_urls(db, company, launched))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for email in ("ann@acme.example", "imp@acme.example"):
        auth.login(email)
        for url in urls:
            assert client.get(url).status_code == 403, (email, url)
        auth.logout()


def test_managers_and_hr_open_the_page_and_every_chart(client, auth, db, company, launched):
    urls = list(_urls(db, company, launched))
    for email in ("boss@acme.example", "hr@acme.example"):
        auth.login(email)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (email, url)
        page = client.get("/dashboards/team")
        assert "Ann" in page.text and 'id="nav-team-dashboard"' in page.text
        quadrant = client.get("/dashboards/team/steps.json").get_json()
        assert quadrant["kind"] == "stacked"
        auth.logout()
    auth.login("olga@acme.example")  # Bo's team is not hers
    assert "Ann" not in without_tokens(client.get("/dashboards/team").text)
    version = appraisal_of(db, company, "ann").template_version_id
    heatmap = client.get(f"/dashboards/team/heatmap-{version}.json")
    assert heatmap.status_code == 200 and "Ann" not in without_tokens(heatmap.text)


def test_outside_the_team_unknown_keys_and_bad_ids_are_404(
    client, auth, db, company, launched, make
):
    bo = company.people["bo"].id
    other = make.org("other")
    stranger = make.employee(other, "X001", "Xu")
    auth.login("olga@acme.example")
    for query in (
        f"manager={bo}",
        f"manager={stranger.id}",
        "manager=abc",
        "department=1",
        "cycle=999999",
        "cycle=-1",
        "cycle=²",
    ):
        for url in (
            "/dashboards/team",
            "/dashboards/team/quadrant.json",
            "/dashboards/team/steps.xlsx",
        ):
            assert client.get(f"{url}?{query}").status_code == 404, (url, query)
    assert client.get("/dashboards/team/nothing.json").status_code == 404
    assert client.get("/dashboards/team/teams.json").status_code == 404  # no sub-teams
    auth.logout()
    auth.login("hr@acme.example")
    assert client.get(f"/dashboards/team?manager={stranger.id}").status_code == 404
    assert client.get(f"/dashboards/team?manager={bo}").status_code == 200


def test_any_chart_title_exports_as_a_sheet():
    """Excel refuses `: / \\ ? * [ ]` in a sheet's name: a heatmap titled "Template: …"
    gave a 500 on its XLSX before."""
    from io import BytesIO

    from openpyxl import load_workbook

    from appraisal.charts import Chart, Series, xlsx_download

    for title in ("Sales: total [%] / item?*\\", "'" * 3, "x" * 60):
        chart = Chart("k", "bar", title, ["a"], [Series("s", [1])])
        book = load_workbook(BytesIO(xlsx_download(chart).get_data()))
        assert book.active["A2"].value == "a" and len(book.active.title) <= 31
