"""Every split with a locked part, and every refusal, to the cent (each figure worked out by
hand in the comments): a typed basis, last period's actuals, the same period last year, a
forecast imported from CSV or Excel, leftover cents to the largest remainders, locked parts
over the target, and every part locked while the total differs."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from appraisal.goals.services import period_year_before, year_before
from appraisal.models import Department
from tests.goals.helpers import add_parts, new_goal, root_of
from tests.goals.test_cascade import filled, login, node, rows, set_sales


@pytest.fixture
def three(db, company, cascade, regions):
    """The 100,000 company goal with North, South and East (Quinn moves to East)."""
    goal, hr = cascade
    east = Department(organization_id=company.org.id, name="East", code="E")
    db.add(east)
    db.flush()
    company.people["quinn"].department_id = east.id
    db.commit()
    add_parts(db, hr, root_of(db, goal), departments=[east])
    parts = [node(db, goal.id, department_id=d.id) for d in (*regions, east)]
    return goal, hr, parts


def split(db, hr, goal, **rows_args) -> tuple[int, str]:
    root = root_of(db, goal)
    response = hr.post(f"/goals/nodes/{root.id}", data=rows(db, root, **rows_args))
    return response.status_code, response.text


def test_a_locked_part_and_a_typed_basis(db, three):
    goal, hr, (north, south, east) = three
    # North locked at 10,000.01; 89,999.99 by 1 : 2 → 29,999.9966… and 59,999.9933…; floors
    # 29,999.99 + 59,999.99 leave a cent, to South's larger remainder (0.0066… > 0.0033…)
    status, page = split(
        db,
        hr,
        goal,
        targets={north.id: "10000.01"},
        locked={north.id},
        basis={south.id: "1", east.id: "2"},
        method="basis",
    )
    assert status == 200, page
    assert [filled(page, p.id) for p in (north, south, east)] == [
        "10000.01",
        "30000",
        "59999.99",
    ]
    # and it saves: 10,000.01 + 30,000.00 + 59,999.99 = 100,000.00
    targets = {north.id: "10000.01", south.id: "30000", east.id: "59999.99"}
    status, _page = split(db, hr, goal, targets=targets, locked={north.id})
    assert status == 302
    saved = [node(db, goal.id, id=p.id) for p in (north, south, east)]
    assert [(p.target, p.locked) for p in saved] == [
        (Decimal("10000.01"), True),
        (Decimal("30000.00"), False),
        (Decimal("59999.99"), False),
    ]


def test_a_locked_part_and_an_imported_forecast(db, three):
    goal, hr, (north, south, east) = three
    csv = "部门,预测\nN,30000\nS,10000\nE,20000\n".encode()
    response = hr.post(
        f"/goals/nodes/{root_of(db, goal).id}/forecast",
        data={"forecast-file": (io.BytesIO(csv), "forecast.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    # North locked at 33,333.33 (its forecast left out); 66,666.67 by 10,000 : 20,000 →
    # 22,222.2233… and 44,444.4466…; floors leave a cent, to East (0.0066… > 0.0033…)
    status, page = split(
        db, hr, goal, targets={north.id: "33333.33"}, locked={north.id}, method="forecast"
    )
    assert status == 200, page
    assert [filled(page, p.id) for p in (north, south, east)] == [
        "33333.33",
        "22222.22",
        "44444.45",
    ]


def xlsx(rows_: list[tuple]) -> bytes:
    book = Workbook()
    for row in rows_:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_forecast_from_excel_splits_leftover_cents_to_the_largest_remainders(db, three):
    goal, hr, (north, south, east) = three
    # Excel keeps 1.1, 2.2 and 4.4 as binary floats; each is stored as typed, to the cent
    sheet = xlsx([("部门编码", "预测值"), ("N", 1.1), ("S", 2.2), ("E", 4.4)])
    response = hr.post(
        f"/goals/nodes/{root_of(db, goal).id}/forecast",
        data={"forecast-file": (io.BytesIO(sheet), "forecast.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    assert [node(db, goal.id, id=p.id).forecast for p in (north, south, east)] == [
        Decimal("1.10"),
        Decimal("2.20"),
        Decimal("4.40"),
    ]
    # 100,000 by 1 : 2 : 4 → 14,285.714…, 28,571.428… and 57,142.857…; floors 14,285.71 +
    # 28,571.42 + 57,142.85 = 99,999.98 leave two cents, to the largest remainders: South
    # (0.00857…) and East (0.00714…), not North (0.00428…)
    status, page = split(db, hr, goal, targets={}, method="forecast")
    assert status == 200, page
    assert [filled(page, p.id) for p in (north, south, east)] == [
        "14285.71",
        "28571.43",
        "57142.86",
    ]


def test_a_bad_excel_forecast_row_is_named_and_nothing_is_imported(db, three):
    goal, hr, (north, _south, _east) = three
    sheet = xlsx([("部门", "预测"), ("N", 5), ("S", "0.001")])
    response = hr.post(
        f"/goals/nodes/{root_of(db, goal).id}/forecast",
        data={"forecast-file": (io.BytesIO(sheet), "forecast.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "row 3: Targets are in cents: use at most two decimals." in response.text
    assert node(db, goal.id, id=north.id).forecast is None


def test_locked_parts_over_the_target_are_refused(db, three):
    goal, hr, (north, south, east) = three
    status, page = split(
        db,
        hr,
        goal,
        targets={north.id: "60000", south.id: "40000.01"},
        locked={north.id, south.id},
        method="equal",
    )
    assert status == 422
    assert "The locked parts add up to 100000.01, more than the target 100000." in page
    assert [node(db, goal.id, id=p.id).target for p in (north, south, east)] == [0, 0, 0]


def test_every_part_locked_while_the_total_differs_is_refused(db, three):
    goal, hr, (north, south, east) = three
    typed = {north.id: "30000", south.id: "30000", east.id: "39999.99"}
    everyone = {north.id, south.id, east.id}
    status, page = split(db, hr, goal, targets=typed, locked=everyone, method="equal")
    assert status == 422
    assert (
        "Every part is locked and they add up to 99999.99, not the target 100000: "
        "unlock one to split the rest." in page
    )
    status, page = split(db, hr, goal, targets=typed, locked=everyone)  # saving them as typed
    assert status == 422
    assert "add up to 99999.99, not the target 100000 (a difference of 0.01)" in page
    assert [node(db, goal.id, id=p.id).target for p in (north, south, east)] == [0, 0, 0]
    # locked and adding up: nothing to split, they can be saved
    typed[east.id] = "40000"
    status, page = split(db, hr, goal, targets=typed, locked=everyone, method="equal")
    assert status == 422
    assert "Every part is locked and they add up to the target: save them." in page
    assert split(db, hr, goal, targets=typed, locked=everyone)[0] == 302


@pytest.fixture
def next_quarter(app, db, company, launched, regions):
    """2026-Q4's sales (North: Ann 30,000 + Pat 20,000 + Bo 10,000; South: Oscar 20,000;
    East: Quinn 10,000) and a 2027-Q1 goal of 100,000.01 over North, South and East."""
    east = Department(organization_id=company.org.id, name="East", code="E")
    db.add(east)
    db.flush()
    company.people["quinn"].department_id = east.id
    db.commit()
    set_sales(
        db,
        launched,
        {"A001": "30000", "P001": "20000", "B001": "10000", "O002": "20000", "Q001": "10000"},
    )
    hr = login(app, "hr@acme.example")
    goal = new_goal(db, hr, "sales", "100000.01", "2027-01-01", "2027-03-31")
    add_parts(db, hr, root_of(db, goal), departments=[*regions, east])
    parts = [node(db, goal.id, department_id=d.id) for d in (*regions, east)]
    return goal, hr, parts


def test_a_locked_part_and_last_periods_actuals(db, next_quarter):
    goal, hr, (north, south, east) = next_quarter
    # North locked at 40,000; 60,000.01 by South 20,000 : East 10,000 → 40,000.0066… and
    # 20,000.0033…; the cent left goes to South; North's own 60,000 plays no part
    status, page = split(
        db, hr, goal, targets={north.id: "40000"}, locked={north.id}, method="last_actual"
    )
    assert status == 200, page
    assert [filled(page, p.id) for p in (north, south, east)] == [
        "40000",
        "40000.01",
        "20000",
    ]


def test_the_same_period_last_year_is_a_basis_of_its_own(app, db, company, launched, regions):
    """A 2027-Q4 goal: the same period last year is 2026-Q4 (North 60,000, South 20,000),
    although a cycle of 2027-Q2 ended since (Ann 1, Oscar 1: last period's basis)."""
    from appraisal.runtime.cycles import cycles

    set_sales(db, launched, {"A001": "30000", "P001": "20000", "B001": "10000", "O002": "20000"})
    scheme = cycles.save_scheme(
        db,
        company.org.id,
        None,
        name="Sales Q2",
        template_version_id=company.version.id,
        staff_kind="any",
        period="quarter",
        department_ids=[],
        position_ids=[company.people["ann"].position_id],
        user_id=None,
    )
    q2 = cycles.create_cycle(
        db,
        scheme,
        name="2027-Q2",
        dates=cycles.CycleDates(date(2027, 4, 1), date(2027, 6, 30), date(2027, 4, 15)),
        anonymity_threshold=3,
        user_id=None,
    )
    cycles.launch_cycle(db, q2, set(), None)
    db.commit()
    set_sales(db, q2, {"A001": "1", "O002": "1"})
    hr = login(app, "hr@acme.example")
    goal = new_goal(db, hr, "sales", "100000.01", "2027-10-01", "2027-12-31")
    add_parts(db, hr, root_of(db, goal), departments=regions)
    north, south = (node(db, goal.id, department_id=d.id) for d in regions)
    # last year: 100,000.01 by 60,000 : 20,000 → 75,000.0075 and 25,000.0025; the cent left
    # goes to North's larger remainder
    status, page = split(db, hr, goal, targets={}, method="last_year")
    assert status == 200, page
    assert (filled(page, north.id), filled(page, south.id)) == ("75000.01", "25000")
    # last period (2027-Q2): 1 : 1 → 50,000.005 each; the tie's cent goes to the first part
    status, page = split(db, hr, goal, targets={}, method="last_actual")
    assert (filled(page, north.id), filled(page, south.id)) == ("50000.01", "50000")
    # locked North at 70,000: South takes the rest whatever its basis
    status, page = split(
        db, hr, goal, targets={north.id: "70000"}, locked={north.id}, method="last_year"
    )
    assert (filled(page, north.id), filled(page, south.id)) == ("70000", "30000.01")


def test_no_figures_the_same_period_last_year_is_said(app, db, company, launched, regions):
    hr = login(app, "hr@acme.example")
    goal = new_goal(db, hr, "sales", "1000", "2027-10-01", "2027-12-31")
    add_parts(db, hr, root_of(db, goal), departments=regions)
    status, page = split(db, hr, goal, targets={}, method="last_year")
    assert status == 422
    assert "Nobody under these parts has a figure for the same period last year." in page


@pytest.mark.parametrize(
    "day, before",
    [
        (date(2027, 10, 1), date(2026, 10, 1)),
        (date(2028, 2, 29), date(2027, 2, 28)),  # a leap day's year before has none
        (date(2028, 3, 1), date(2027, 3, 1)),
    ],
)
def test_a_year_before(day, before):
    assert year_before(day) == before


@pytest.mark.parametrize(
    "period, before",
    [
        ((date(2027, 10, 1), date(2027, 10, 31)), (date(2026, 10, 1), date(2026, 10, 31))),
        ((date(2029, 2, 1), date(2029, 2, 28)), (date(2028, 2, 1), date(2028, 2, 29))),
        ((date(2028, 2, 1), date(2028, 2, 29)), (date(2027, 2, 1), date(2027, 2, 28))),
        ((date(2027, 1, 1), date(2027, 3, 31)), (date(2026, 1, 1), date(2026, 3, 31))),
        ((date(2027, 10, 1), date(2027, 10, 15)), (date(2026, 10, 1), date(2026, 10, 15))),
    ],
)
def test_the_same_period_last_year_keeps_a_whole_month_whole(period, before):
    """A February goal in 2029 splits by the whole of February 2028, the 29th included."""
    assert period_year_before(*period) == before


def _together(page: str) -> str:
    import re

    return re.search(r'id="parts-total">([^<]*)<', page).group(1).strip()


def test_the_total_row_adds_up_what_the_page_shows(db, three):
    """Filled but not saved, the parts' total is the proposed targets' (100,000.00), not the
    saved ones' (0.00); a refused cell counts as nothing beside its message."""
    goal, hr, (north, south, east) = three
    basis = {north.id: "1", south.id: "1", east.id: "2"}
    status, page = split(db, hr, goal, targets={}, basis=basis, method="basis")
    assert status == 200, page
    assert _together(page) == "100,000.00"
    targets = {north.id: "25000", south.id: "lots", east.id: "50000.5"}
    status, page = split(db, hr, goal, targets=targets)  # saved: refused at South's cell
    assert status == 422
    assert _together(page) == "75,000.50"
    assert _together(hr.get(f"/goals/nodes/{root_of(db, goal).id}").text) == "0.00"
