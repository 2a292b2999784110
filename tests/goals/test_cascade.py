"""The goal cascade: splits and locks to the cent (hand-computed), parents that must equal
their parts, who sees and splits what, optimistic locking, cycle targets from the leaves,
and attainment rolling up from the figures."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from appraisal.models import AuditEvent, Department, Employee, Goal, GoalNode
from tests.conftest import PASSWORD, field_errors
from tests.runtime import conftest as runtime

company, launched = runtime.company, runtime.launched  # shared fixtures


def login(app, email):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client


@pytest.fixture
def regions(db, company):
    """North (led by Bo: Ann, Pat, Quinn) and South (led by Olga: Oscar)."""
    north = Department(organization_id=company.org.id, name="North", code="N")
    south = Department(organization_id=company.org.id, name="South", code="S")
    db.add_all([north, south])
    db.flush()
    for key in ("bo", "ann", "pat", "quinn"):
        company.people[key].department_id = north.id
    for key in ("olga", "oscar"):
        company.people[key].department_id = south.id
    db.commit()
    return north, south


def node(db, goal_id, **owner) -> GoalNode:
    db.expire_all()
    query = select(GoalNode).where(GoalNode.goal_id == goal_id)
    for name, value in owner.items():
        query = query.where(getattr(GoalNode, name) == value)
    return db.scalar(query)


@pytest.fixture
def cascade(app, db, company, regions):
    """HR's company sales goal for 2026-Q4 (100,000) with North and South under it."""
    hr = login(app, "hr@acme.example")
    response = hr.post(
        "/goals/new",
        data={
            "key": "sales",
            "name": "Sales",
            "unit": "CNY",
            "weight": "60",
            "starts_on": "2026-10-01",
            "ends_on": "2026-12-31",
            "target": "100000",
        },
    )
    assert response.status_code == 302, response.text
    goal = db.scalar(select(Goal))
    root = node(db, goal.id, parent_id=None)
    north, south = regions
    for department, lead in ((north, "bo"), (south, "olga")):
        response = hr.post(
            f"/goals/nodes/{root.id}/parts",
            data={
                "part-department_id": department.id,
                "part-lead_id": company.people[lead].id,
                "part-employee_id": 0,
            },
        )
        assert response.status_code == 302, response.text
    return goal, hr


def rows(db, parent: GoalNode, targets: dict[int, str], locked=(), basis=None, method=None):
    db.expire_all()
    data = {"version": parent.version}
    for child in db.scalars(select(GoalNode).where(GoalNode.parent_id == parent.id)):
        data[f"target|{child.id}"] = targets.get(child.id, str(child.target))
        data[f"version|{child.id}"] = child.version
        if child.id in locked:
            data[f"locked|{child.id}"] = "1"
        if basis:
            data[f"basis|{child.id}"] = basis.get(child.id, "")
    if method:
        data |= {"action": "split", "method": method}
    else:
        data["action"] = "save"
    return data


def filled(html: str, part_id: int) -> str:
    import re

    return re.search(
        rf'name="target\|{part_id}" id="[^"]+" inputmode="decimal" value="([^"]*)"', html
    ).group(1)


def test_equal_split_and_a_locked_part_keep_cents(db, cascade, regions):
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    page = hr.post(f"/goals/nodes/{root.id}", data=rows(db, root, {}, method="equal")).text
    assert (filled(page, north.id), filled(page, south.id)) == ("50000", "50000")
    # North locked at 33,333.33: South gets the rest, 66,666.67, to the cent
    data = rows(db, root, {north.id: "33333.33"}, locked={north.id}, method="equal")
    page = hr.post(f"/goals/nodes/{root.id}", data=data).text
    assert (filled(page, north.id), filled(page, south.id)) == ("33333.33", "66666.67")
    assert (
        hr.post(
            f"/goals/nodes/{root.id}",
            data=rows(db, root, {north.id: "33333.33", south.id: "66666.67"}, locked={north.id}),
        ).status_code
        == 302
    )
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    assert (north.target, north.locked, south.target) == (
        Decimal("33333.33"),
        True,
        Decimal("66666.67"),
    )


def test_split_by_a_typed_basis_uses_the_largest_remainder(db, cascade, regions):
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    # 100,000 by 1 : 2 → 33,333.333… and 66,666.666…; floors 33,333.33 + 66,666.66 leave one
    # cent, which goes to South's larger remainder (0.00666… against 0.00333…)
    data = rows(db, root, {}, basis={north.id: "1", south.id: "2"}, method="basis")
    page = hr.post(f"/goals/nodes/{root.id}", data=data).text
    assert (filled(page, north.id), filled(page, south.id)) == ("33333.33", "66666.67")


def test_a_bad_basis_is_marked_at_its_cell_with_what_was_typed(db, cascade, regions):
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    data = rows(db, root, {}, basis={north.id: "lots"}, method="basis")
    response = hr.post(f"/goals/nodes/{root.id}", data=data)
    assert response.status_code == 422
    assert "Enter a number, for example 120000 or 95.5." in field_errors(response.text)
    assert 'value="lots"' in response.text


def test_parts_that_do_not_add_up_are_refused_and_nothing_is_saved(db, cascade, regions):
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    data = rows(db, root, {north.id: "50000", south.id: "49999.99"})
    response = hr.post(f"/goals/nodes/{root.id}", data=data)
    assert response.status_code == 422
    assert "add up to 99999.99, not the target 100000 (a difference of 0.01)" in response.text
    assert 'value="49999.99"' in response.text
    assert node(db, goal.id, department_id=regions[1].id).target == 0


def test_more_than_two_decimals_is_refused_at_the_cell(db, cascade, regions):
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    response = hr.post(
        f"/goals/nodes/{root.id}",
        data=rows(db, root, {north.id: "50000.001", south.id: "49999.999"}),
    )
    assert response.status_code == 422
    assert "Targets are in cents: use at most two decimals." in field_errors(response.text)


def test_a_split_saved_from_a_stale_page_is_a_conflict(db, cascade, regions):
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    stale = rows(db, root, {north.id: "40000", south.id: "60000"})
    assert (
        hr.post(
            f"/goals/nodes/{root.id}", data=rows(db, root, {north.id: "50000", south.id: "50000"})
        ).status_code
        == 302
    )
    response = hr.post(f"/goals/nodes/{root.id}", data=stale)
    assert response.status_code == 409
    assert 'value="40000"' in response.text  # what was typed is kept
    assert "Saved meanwhile: 50000" in response.text
    assert node(db, goal.id, department_id=regions[0].id).target == Decimal("50000")


def split_root(db, hr, goal, regions, north_target="60000", south_target="40000"):
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    data = rows(db, root, {north.id: north_target, south.id: south_target})
    assert hr.post(f"/goals/nodes/{root.id}", data=data).status_code == 302
    return north, south


def test_a_region_manager_splits_their_region_to_reps_only(app, db, company, cascade, regions):
    goal, hr = cascade
    north, south = split_root(db, hr, goal, regions)
    bo = login(app, "boss@acme.example")
    for rep in ("ann", "pat"):
        response = bo.post(
            f"/goals/nodes/{north.id}/parts",
            data={
                "part-department_id": 0,
                "part-lead_id": 0,
                "part-employee_id": company.people[rep].id,
            },
        )
        assert response.status_code == 302
    ann = node(db, goal.id, employee_id=company.people["ann"].id)
    pat = node(db, goal.id, employee_id=company.people["pat"].id)
    # 60,000 by last-period-free equal split: 30,000 each
    page = bo.post(f"/goals/nodes/{north.id}", data=rows(db, north, {}, method="equal")).text
    assert (filled(page, ann.id), filled(page, pat.id)) == ("30000", "30000")
    assert (
        bo.post(
            f"/goals/nodes/{north.id}", data=rows(db, north, {ann.id: "35000", pat.id: "25000"})
        ).status_code
        == 302
    )
    root = node(db, goal.id, parent_id=None)
    assert (
        bo.post(f"/goals/nodes/{root.id}", data=rows(db, root, {})).status_code == 403
    )  # the company level
    assert bo.get(f"/goals/nodes/{south.id}").status_code == 404  # another region
    assert bo.get(f"/goals/{goal.id}").status_code == 200
    assert db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "goal.split_saved", AuditEvent.entity_id == north.id
        )
    )


def test_an_employee_sees_their_leaf_and_the_path_above_only(app, db, company, cascade, regions):
    goal, hr = cascade
    north, _south = split_root(db, hr, goal, regions)
    for rep in ("ann", "pat"):
        hr.post(
            f"/goals/nodes/{north.id}/parts",
            data={
                "part-department_id": 0,
                "part-lead_id": 0,
                "part-employee_id": company.people[rep].id,
            },
        )
    ann = login(app, "ann@acme.example")
    page = ann.get(f"/goals/{goal.id}").text
    assert "A001 Ann" in page and "North" in page and "Company" in page
    assert "P001" not in page and "South" not in page
    assert ann.post(f"/goals/nodes/{north.id}", data=rows(db, north, {})).status_code == 403
    assert login(app, "oscar@acme.example").get(f"/goals/{goal.id}").status_code == 404
    assert (
        ann.get("/goals/edit/1").status_code == 404
        or ann.get(f"/goals/{goal.id}/edit").status_code == 403
    )


def test_another_organizations_node_is_a_404(app, db, make, cascade):
    goal, _hr = cascade
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    stranger = login(app, "hr@other.example")
    root = node(db, goal.id, parent_id=None)
    assert stranger.get(f"/goals/nodes/{root.id}").status_code == 404
    assert stranger.post(f"/goals/nodes/{root.id}", data={"action": "save"}).status_code == 404
    assert stranger.get(f"/goals/{goal.id}").status_code == 404


def test_split_by_an_imported_forecast(db, company, cascade, regions):
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    csv = "部门,预测\nN,30000\nS,10000\n".encode()
    response = hr.post(
        f"/goals/nodes/{root.id}/forecast",
        data={"forecast-file": (io.BytesIO(csv), "forecast.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    # 100,000 in proportion 30,000 : 10,000 → 75,000 and 25,000
    page = hr.post(f"/goals/nodes/{root.id}", data=rows(db, root, {}, method="forecast")).text
    assert (filled(page, north.id), filled(page, south.id)) == ("75000", "25000")
    bad = "部门,预测\nX,1\n".encode()
    response = hr.post(
        f"/goals/nodes/{root.id}/forecast",
        data={"forecast-file": (io.BytesIO(bad), "forecast.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "row 2: X is not a part of this node" in response.text
    assert node(db, goal.id, department_id=regions[0].id).forecast == Decimal("30000")


def set_sales(db, cycle, values):
    from appraisal.runtime.cycles import figures

    entries = [figures.Entry(number, "sales", value) for number, value in values.items()]
    figures.set_figures(db, cycle, entries, None)
    db.commit()


def test_split_by_last_periods_actuals(app, db, company, launched, regions):
    """Q4's figures are the basis of a 2027-Q1 goal: North 30,000 + 20,000 (+ Bo's 10,000),
    South 20,000: 120,000 split 60 : 20 → 90,000 and 30,000."""
    set_sales(db, launched, {"A001": "30000", "P001": "20000", "B001": "10000", "O002": "20000"})
    hr = login(app, "hr@acme.example")
    hr.post(
        "/goals/new",
        data={
            "key": "sales",
            "name": "Sales",
            "weight": "60",
            "starts_on": "2027-01-01",
            "ends_on": "2027-03-31",
            "target": "120000",
        },
    )
    goal = db.scalar(select(Goal))
    root = node(db, goal.id, parent_id=None)
    for department in regions:
        hr.post(
            f"/goals/nodes/{root.id}/parts",
            data={"part-department_id": department.id, "part-lead_id": 0, "part-employee_id": 0},
        )
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    page = hr.post(f"/goals/nodes/{root.id}", data=rows(db, root, {}, method="last_actual")).text
    assert (filled(page, north.id), filled(page, south.id)) == ("90000", "30000")


def launch_q4(db, company, name, position_ids):
    from datetime import date

    from appraisal.runtime.cycles import cycles

    scheme = cycles.save_scheme(
        db,
        company.org.id,
        None,
        name=name,
        template_version_id=company.version.id,
        staff_kind="any",
        period="quarter",
        department_ids=[],
        position_ids=position_ids,
        user_id=None,
    )
    cycle = cycles.create_cycle(
        db,
        scheme,
        name=f"2026-Q4 {name}",
        dates=cycles.CycleDates(date(2026, 10, 1), date(2026, 12, 31), date(2026, 10, 15)),
        anonymity_threshold=3,
        user_id=None,
    )
    cycles.launch_cycle(db, cycle, set(), None)
    db.commit()
    return cycle


def test_last_periods_actuals_come_from_every_cycle_of_that_period(app, db, make, company, regions):
    """A company runs one cycle per scheme: the office staff's Q4 cycle, without any sales
    figure, must not hide the sales cycle's figures (as the demo's four November cycles
    did)."""
    from appraisal.models import Position

    office = Position(organization_id=company.org.id, name="Clerk", staff_kind="office")
    db.add(office)
    db.flush()
    make.employee(company.org, "Z001", "Zed", position_id=office.id)
    launch_q4(db, company, "Office", [office.id])
    sales = launch_q4(db, company, "Sales", [company.people["ann"].position_id])
    set_sales(db, sales, {"A001": "30000", "O002": "10000"})
    hr = login(app, "hr@acme.example")
    hr.post(
        "/goals/new",
        data={
            "key": "sales",
            "name": "Sales",
            "weight": "60",
            "starts_on": "2027-01-01",
            "ends_on": "2027-03-31",
            "target": "80000",
        },
    )
    goal = db.scalar(select(Goal))
    root = node(db, goal.id, parent_id=None)
    for department in regions:
        hr.post(
            f"/goals/nodes/{root.id}/parts",
            data={"part-department_id": department.id, "part-lead_id": 0, "part-employee_id": 0},
        )
    north = node(db, goal.id, department_id=regions[0].id)
    south = node(db, goal.id, department_id=regions[1].id)
    # 80,000 split 30,000 : 10,000 → 60,000 and 20,000
    page = hr.post(f"/goals/nodes/{root.id}", data=rows(db, root, {}, method="last_actual")).text
    assert (filled(page, north.id), filled(page, south.id)) == ("60000", "20000"), page


def test_cycle_targets_come_from_the_leaves_and_confirmed_goals_stay(
    app, db, company, launched, cascade, regions
):
    goal, hr = cascade
    north, _south = split_root(db, hr, goal, regions)
    for rep in ("ann", "pat"):
        hr.post(
            f"/goals/nodes/{north.id}/parts",
            data={
                "part-department_id": 0,
                "part-lead_id": 0,
                "part-employee_id": company.people[rep].id,
            },
        )
    ann = node(db, goal.id, employee_id=company.people["ann"].id)
    pat = node(db, goal.id, employee_id=company.people["pat"].id)
    assert (
        hr.post(
            f"/goals/nodes/{north.id}",
            data=rows(db, north, {ann.id: "35000.50", pat.id: "24999.50"}),
        ).status_code
        == 302
    )
    pats = runtime.appraisal_of(db, company, "pat")
    pats.targets, pats.state = {"sales": 1000}, "self_review"  # goals confirmed
    db.commit()
    response = hr.post("/goals/fill", data={"cycle_id": launched.id, "goal_ids": [goal.id]})
    assert response.status_code == 302, response.text
    db.expire_all()
    assert runtime.appraisal_of(db, company, "ann").targets["sales"] == 35000.5
    assert runtime.appraisal_of(db, company, "pat").targets["sales"] == 1000


def test_a_goal_of_another_period_does_not_fill_a_cycle(app, db, company, launched):
    hr = login(app, "hr@acme.example")
    hr.post(
        "/goals/new",
        data={
            "key": "sales",
            "name": "Sales",
            "weight": "60",
            "starts_on": "2027-01-01",
            "ends_on": "2027-03-31",
            "target": "1",
        },
    )
    goal = db.scalar(select(Goal))
    response = hr.post("/goals/fill", data={"cycle_id": launched.id, "goal_ids": [goal.id]})
    assert response.status_code == 422
    assert "Sales is for another period than the cycle." in field_errors(response.text)


def test_attainment_rolls_up_from_the_figures(app, db, company, launched, cascade, regions):
    """Ann 21,000 of 35,000 (60.0 %), Pat none yet; North 21,000 of 60,000 (35.0 %); South a
    department leaf: Oscar's 30,000 + Olga's 6,000 = 36,000 of 40,000 (90.0 %); the company
    57,000 of 100,000 (57.0 %)."""
    goal, hr = cascade
    north, south = split_root(db, hr, goal, regions)
    for rep in ("ann", "pat"):
        hr.post(
            f"/goals/nodes/{north.id}/parts",
            data={
                "part-department_id": 0,
                "part-lead_id": 0,
                "part-employee_id": company.people[rep].id,
            },
        )
    ann = node(db, goal.id, employee_id=company.people["ann"].id)
    pat = node(db, goal.id, employee_id=company.people["pat"].id)
    hr.post(f"/goals/nodes/{north.id}", data=rows(db, north, {ann.id: "35000", pat.id: "25000"}))
    set_sales(db, launched, {"A001": "21000", "O002": "30000", "O001": "6000"})
    page = hr.get(f"/goals/{goal.id}").text
    import re

    shown = dict(
        re.findall(r'id="node-(\d+)"[^>]*>.*?class="text-nowrap attainment">([^<]*)<', page, re.S)
    )
    root = node(db, goal.id, parent_id=None)
    assert shown[str(ann.id)] == "60.0 %"
    assert shown[str(pat.id)] == "—"
    assert shown[str(north.id)] == "35.0 %"
    assert shown[str(south.id)] == "90.0 %"
    assert shown[str(root.id)] == "57.0 %"


def test_a_parent_changed_above_shows_its_parts_no_longer_add_up(db, cascade, regions):
    goal, hr = cascade
    split_root(db, hr, goal, regions)
    data = {
        "key": "sales",
        "name": "Sales",
        "unit": "CNY",
        "weight": "60",
        "starts_on": "2026-10-01",
        "ends_on": "2026-12-31",
        "target": "110000",
        "version": goal.version,
    }
    assert hr.post(f"/goals/{goal.id}/edit", data=data).status_code == 302
    assert "Its parts add up to 100,000.00, not 110,000.00" in hr.get(f"/goals/{goal.id}").text


def test_a_part_with_a_target_cannot_be_removed(db, cascade, regions):
    goal, hr = cascade
    north, _south = split_root(db, hr, goal, regions)
    root = node(db, goal.id, parent_id=None)
    response = hr.post(
        f"/goals/nodes/{root.id}/parts/{north.id}/remove", data={"version": north.version}
    )
    assert response.status_code == 422
    assert node(db, goal.id, department_id=regions[0].id) is not None


def test_every_employee_has_a_menu_link_to_their_goals(app, db, company):
    """Employees without the manager role reach their leaf from the top bar, not only by URL;
    managers and HR keep theirs in the team menu (one link each, never two)."""
    for email in ("ann@acme.example", "boss@acme.example", "hr@acme.example"):
        page = login(app, email).get("/tasks").text
        assert page.count('href="/goals"') == 1, email
    assert 'id="nav-my-goals"' in login(app, "ann@acme.example").get("/tasks").text


def options(html: str, name: str) -> set[str]:
    """The labels a picker offers (the "—" of none left out)."""
    import re

    select = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', html, re.S).group(0)
    return {label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select)} - {"—"}


def test_a_region_managers_pickers_offer_only_their_region(app, db, company, cascade, regions):
    """Bo leads North: his pickers list North's people and sub-departments only; HR keeps
    the whole organization."""
    goal, hr = cascade
    north_dept, _south_dept = regions
    east = Department(organization_id=company.org.id, name="North East", parent_id=north_dept.id)
    db.add(east)
    db.commit()
    north, _south = split_root(db, hr, goal, regions)
    page = login(app, "boss@acme.example").get(f"/goals/nodes/{north.id}").text
    assert options(page, "part-employee_id") == {"A001 Ann", "B001 Bo", "P001 Pat", "Q001 Quinn"}
    assert options(page, "part-lead_id") == options(page, "part-employee_id")
    assert options(page, "part-department_id") == {"North / North East"}
    root = node(db, goal.id, parent_id=None)
    page = hr.get(f"/goals/nodes/{root.id}").text
    assert {"O001 Olga", "O002 Oscar", "A001 Ann"} <= options(page, "part-employee_id")
    assert {"North", "South", "North / North East"} <= options(page, "part-department_id")


@pytest.mark.parametrize(
    "field, outsider",
    [("employee_id", "oscar"), ("lead_id", "olga"), ("department_id", "south")],
)
def test_a_part_from_outside_the_managers_region_is_refused_at_its_field(
    app, db, company, cascade, regions, field, outsider
):
    goal, hr = cascade
    north_dept, south_dept = regions
    east = Department(organization_id=company.org.id, name="North East", parent_id=north_dept.id)
    db.add(east)
    db.commit()
    north, _south = split_root(db, hr, goal, regions)
    data = {"part-department_id": 0, "part-lead_id": 0, "part-employee_id": 0}
    if field == "department_id":
        data["part-department_id"] = south_dept.id
    elif field == "lead_id":
        data |= {"part-department_id": east.id, "part-lead_id": company.people[outsider].id}
    else:
        data["part-employee_id"] = company.people[outsider].id
    response = login(app, "boss@acme.example").post(f"/goals/nodes/{north.id}/parts", data=data)
    assert response.status_code == 422
    assert any("below" in message for message in field_errors(response.text)), response.text
    db.expire_all()
    assert len(db.scalars(select(GoalNode).where(GoalNode.parent_id == north.id)).all()) == 0


def test_pickers_show_a_capped_list_and_search_finds_the_rest(app, db, company, cascade):
    """An organization of thousands: the pickers offer the first few and say how to find
    the others; a search by number or name narrows them (server-side)."""
    from appraisal.goals.services import PICKER_LIMIT

    db.add_all(
        Employee(organization_id=company.org.id, number=f"X{n:05d}", name=f"Rep {n}")
        for n in range(PICKER_LIMIT + 5)
    )
    db.commit()
    goal, hr = cascade
    root = node(db, goal.id, parent_id=None)
    page = hr.get(f"/goals/nodes/{root.id}").text
    assert len(options(page, "part-employee_id")) == PICKER_LIMIT
    assert 'id="picker-capped"' in page
    page = hr.get(f"/goals/nodes/{root.id}?q=X00042").text
    assert options(page, "part-employee_id") == {"X00042 Rep 42"}
    page = hr.get(f"/goals/nodes/{root.id}?q=oscar").text
    assert options(page, "part-employee_id") == {"O002 Oscar"}
    assert 'id="picker-capped"' not in page
