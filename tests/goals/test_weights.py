"""Several goal types in one period, each with its weight: a node's weighted attainment
(Σ weight × attainment / Σ weight of the goals with an attainment, rounded once, to one
decimal half away from zero) on the tree and on "My goals"; and attainment from a figure a
metric computes, rolling up the tree as the records come in. Worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisal.goals.tree import weighted_attainment
from appraisal.runtime.cycles import figures
from tests.conftest import statements_sent
from tests.goals.helpers import add_parts, new_goal, root_of, save_split, shown
from tests.goals.test_cascade import login, node

Q4 = ("2026-10-01", "2026-12-31")


@pytest.mark.parametrize(
    "parts, expected",
    [
        # (60 × 35 + 40 × 75.625) / 100 = 51.25 → 51.3 (from the rounded 75.6 it would be 51.2)
        ([("60", "35"), ("40", "75.625")], "51.3"),
        ([("60", "90"), ("40", None)], "90.0"),  # a goal without figures yet is left out
        ([("0", "80"), ("40", "50")], "50.0"),  # a goal weighted 0 counts for nothing
        ([("60", None), ("40", None)], None),
        ([("0", "80")], None),
        ([("50", "-0.25"), ("50", "0.15")], "-0.1"),  # -0.05: half away from zero
    ],
)
def test_weighted_attainment(parts, expected):
    typed = [(Decimal(w), None if a is None else Decimal(a)) for w, a in parts]
    assert weighted_attainment(typed) == (None if expected is None else Decimal(expected))


def set_figures(db, cycle, key, values):
    entries = [figures.Entry(number, key, value) for number, value in values.items()]
    figures.set_figures(db, cycle, entries, None)
    db.commit()


@pytest.fixture
def two_goals(app, db, company, launched, regions):
    """2026-Q4: sales (weight 60) 100,000 → North 60,000 (Ann 35,000, Pat 25,000), South
    40,000; collection (weight 40) 300 → North 200 (Ann 200), South 100. North is led by Bo.

    Figures: sales Ann 21,000, Oscar 30,000, Olga 6,000; collection Ann 151.25, South none.
    """
    north_dept, south_dept = regions
    ann, pat = company.people["ann"], company.people["pat"]
    hr = login(app, "hr@acme.example")
    sales = new_goal(db, hr, "sales", "100000", *Q4, weight="60")
    collection = new_goal(db, hr, "collection", "300", *Q4, weight="40")
    for goal, (north_target, south_target), leaves in (
        (sales, ("60000", "40000"), {ann: "35000", pat: "25000"}),
        (collection, ("200", "100"), {ann: "200"}),
    ):
        root = root_of(db, goal)
        for department in regions:
            response = hr.post(
                f"/goals/nodes/{root.id}/parts",
                data={
                    "part-department_id": department.id,
                    "part-lead_id": company.people["bo"].id if department is north_dept else 0,
                    "part-employee_id": 0,
                },
            )
            assert response.status_code == 302, response.text
        north = node(db, goal.id, department_id=north_dept.id)
        south = node(db, goal.id, department_id=south_dept.id)
        save_split(db, hr, root, {north.id: north_target, south.id: south_target})
        add_parts(db, hr, north, people=list(leaves))
        save_split(
            db,
            hr,
            north,
            {node(db, goal.id, employee_id=p.id).id: t for p, t in leaves.items()},
        )
    set_figures(db, launched, "sales", {"A001": "21000", "O002": "30000", "O001": "6000"})
    set_figures(db, launched, "collection", {"A001": "151.25"})
    return sales, collection, hr


def test_each_node_shows_its_weighted_attainment_across_the_periods_goals(
    db, company, regions, two_goals
):
    """Sales: Ann 60 %, North 35 %, South 90 %, company 57 %. Collection: Ann and North
    75.625 % (shown 75.6 %), South blank, company 151.25 / 300 = 50.41666… %.
    Weighted: Ann (60 × 60 + 40 × 75.625) / 100 = 66.25 → 66.3; North 21 + 30.25 = 51.25 →
    51.3; South only sales has one: 90.0; Pat only sales, and no figure: blank; the company
    34.2 + 20.1666… = 54.3666… → 54.4."""
    sales, collection, hr = two_goals
    expected = {"ann": "66.3 %", "north": "51.3 %", "south": "90.0 %", "root": "54.4 %"}
    for goal in (sales, collection):
        page = hr.get(f"/goals/{goal.id}").text
        weighted = shown(page, "weighted")
        ids = {
            "ann": node(db, goal.id, employee_id=company.people["ann"].id).id,
            "north": node(db, goal.id, department_id=regions[0].id).id,
            "south": node(db, goal.id, department_id=regions[1].id).id,
            "root": root_of(db, goal).id,
        }
        assert {who: weighted[i] for who, i in ids.items()} == expected
    page = hr.get(f"/goals/{collection.id}").text
    attained = shown(page, "attainment")
    assert attained[node(db, collection.id, department_id=regions[0].id).id] == "75.6 %"
    assert attained[node(db, collection.id, department_id=regions[1].id).id] == "—"
    pat = node(db, sales.id, employee_id=company.people["pat"].id)
    assert shown(hr.get(f"/goals/{sales.id}").text, "weighted")[pat.id] == "—"


def my_goals(html: str) -> dict[str, str]:
    import re

    table = re.search(r'<table[^>]*id="my-attainment".*?</table>', html, re.S).group(0)
    return {
        whose.strip(): value.strip()
        for whose, value in re.findall(
            r"<tr><td[^>]*>[^<]*</td>\s*<td>([^<]*)</td>\s*<td[^>]*>\d+</td>\s*"
            r'<td class="[^"]*weighted">([^<]*)</td>',
            table,
        )
    }


def test_my_goals_shows_each_persons_weighted_attainment(app, db, two_goals):
    _sales, _collection, hr = two_goals
    assert my_goals(login(app, "ann@acme.example").get("/goals").text) == {"You": "66.3 %"}
    assert my_goals(login(app, "boss@acme.example").get("/goals").text) == {"North": "51.3 %"}
    assert my_goals(hr.get("/goals").text) == {"Company": "54.4 %"}


def test_hr_reads_a_periods_figures_once_for_all_its_goal_types(db, two_goals, monkeypatch):
    """The company's line adds up everyone's figures: one read of the figures for the
    period's two goal types, not one a goal type (each read is the whole company's reviews
    at 10,000 people), with the same figures as before (54.4 %, from sales 57 % and
    collection 50.4 %)."""
    sales, _collection, hr = two_goals
    read: list[tuple[str, ...]] = []
    whole = figures.figures_by_key

    def spy(session, cycles, keys, *args, **kwargs):
        read.append(tuple(keys))
        return whole(session, cycles, keys, *args, **kwargs)

    monkeypatch.setattr(figures, "figures_by_key", spy)
    assert my_goals(hr.get("/goals").text) == {"Company": "54.4 %"}
    assert read == [("collection", "sales")]
    read.clear()
    page = hr.get(f"/goals/{sales.id}").text
    assert shown(page, "weighted")[root_of(db, sales).id] == "54.4 %"
    assert read == [("collection", "sales")]


def test_a_computed_metric_figure_rolls_up_the_tree(
    app, db, company, launched, regions, visits, add_metric, record
):
    """Sales is the count of Ann's customer visits (a metric, not typed): a goal of 10 visits,
    North 6, South 4. Three visits: North 3 of 6 (50.0 %), South 0 of 4 (0.0 %: everyone's
    computed figure is 0, not blank), the company 3 of 10 (30.0 %); a fourth: North 66.7 %,
    the company 40.0 %."""
    from appraisal.runtime.metrics import values

    add_metric("visits", source={"activity": "customer_visit"}, aggregation="count")
    values.bind_metrics(db, launched.scheme, {"sales": "visits"}, None)
    db.commit()
    hr = login(app, "hr@acme.example")
    goal = new_goal(db, hr, "sales", "10", *Q4)
    root = root_of(db, goal)
    add_parts(db, hr, root, departments=regions)
    north, south = (node(db, goal.id, department_id=d.id) for d in regions)
    save_split(db, hr, root, {north.id: "6", south.id: "4"})
    for customer in visits[:3]:
        record(customer=customer.id)
    attained = shown(hr.get(f"/goals/{goal.id}").text, "attainment")
    assert (attained[north.id], attained[south.id], attained[root.id]) == (
        "50.0 %",
        "0.0 %",
        "30.0 %",
    )
    record(customer=visits[0].id)
    attained = shown(hr.get(f"/goals/{goal.id}").text, "attainment")
    assert (attained[north.id], attained[root.id]) == ("66.7 %", "40.0 %")


def test_my_goals_reads_only_the_viewers_branches_and_their_peoples_figures(
    app, db, company, two_goals, monkeypatch
):
    """ "My goals" reads the viewer's own leaf and the nodes they lead with what is below
    them, and only those people's figures: Ann's page reads hers alone, Bo's (North) Ann's
    and Pat's, in a few statements, none selecting the cycle's appraisals whole. Loading
    every tree of the period and every appraisal of its cycles took 5 to 8 s at 10,000 people."""
    read: list[set[int] | None] = []
    whole = figures.figures_by_key

    def spy(session, cycles, keys, *narrowed, **named):
        ids = (narrowed or [named.get("employee_ids")])[0]
        read.append(None if ids is None else set(ids))  # None: everyone's
        return whole(session, cycles, keys, *narrowed, **named)

    monkeypatch.setattr(figures, "figures_by_key", spy)
    people = company.people
    for email, shows, covered in (
        ("ann@acme.example", {"You": "66.3 %"}, {people["ann"].id}),
        ("boss@acme.example", {"North": "51.3 %"}, {people["ann"].id, people["pat"].id}),
    ):
        client = login(app, email)
        read.clear()
        with statements_sent(app) as statements:
            page = client.get("/goals")
        assert page.status_code == 200
        assert my_goals(page.text) == shows
        assert read and all(ids is not None and ids <= covered for ids in read), read
        appraisals = [s for s in statements if "FROM appraisals" in s]
        assert appraisals, "the figures are read"
        assert all("appraisals.employee_id IN" in s for s in appraisals), appraisals
        assert len(statements) <= 14, statements


def test_the_weighted_figure_counts_only_the_goals_the_viewer_sees(
    app, db, company, regions, two_goals
):
    """Bo leads North in sales but not in collection, whose tree he cannot open: his
    weighted figures count sales alone (Ann 60.0 %, North 35.0 %, the company 57.0 %), or
    Ann's hidden collection attainment would follow by arithmetic ((66.25 × 100 − 60 × 60) /
    40 = 75.625). HR still sees both goal types."""
    sales, collection, hr = two_goals
    node(db, collection.id, department_id=regions[0].id).lead_id = None
    db.commit()
    bo = login(app, "boss@acme.example")
    assert bo.get(f"/goals/{collection.id}").status_code == 404
    weighted = shown(bo.get(f"/goals/{sales.id}").text, "weighted")
    ann = node(db, sales.id, employee_id=company.people["ann"].id).id
    north = node(db, sales.id, department_id=regions[0].id).id
    assert (weighted[ann], weighted[north], weighted[root_of(db, sales).id]) == (
        "60.0 %",
        "35.0 %",
        "57.0 %",
    )
    assert my_goals(bo.get("/goals").text) == {"North": "35.0 %"}
    assert shown(hr.get(f"/goals/{sales.id}").text, "weighted")[ann] == "66.3 %"


def test_a_lead_who_is_no_longer_a_manager_sees_none_of_their_old_nodes(
    app, db, regions, two_goals
):
    """The tree's rule (`tree.leads`) and "My goals" agree: leading a node counts only while
    one is a manager."""
    from sqlalchemy import select

    from appraisal.models import Membership, User

    sales, _collection, _hr = two_goals
    user = db.scalar(select(User).where(User.email == "boss@acme.example"))
    db.scalar(select(Membership).where(Membership.user_id == user.id)).set_roles({"employee"})
    db.commit()
    bo = login(app, "boss@acme.example")
    north = node(db, sales.id, department_id=regions[0].id)
    assert bo.get(f"/goals/{sales.id}").status_code == 404
    assert bo.get(f"/goals/nodes/{north.id}").status_code == 404
    page = bo.get("/goals").text
    assert 'id="my-attainment"' not in page and f'/goals/{sales.id}"' not in page


def test_a_goals_tree_comes_a_page_at_a_time_in_tree_order(
    db, company, regions, monkeypatch, two_goals
):
    """A company-wide goal has a line per person: the tree is paged, depth first, and each
    line keeps its figures whatever page it is on (the company's line adds up everyone)."""
    from appraisal.goals import attainment

    sales, _collection, hr = two_goals
    whole = shown(hr.get(f"/goals/{sales.id}").text, "weighted")
    assert len(whole) == 5  # the company, North, Ann, Pat, South: tree order
    monkeypatch.setattr(attainment, "TREE_LINES", 2)
    pages = [shown(hr.get(f"/goals/{sales.id}?page={n}").text, "weighted") for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == list(whole)
    assert {i: w for p in pages for i, w in p.items()} == whole
    assert "1 / 3" in hr.get(f"/goals/{sales.id}").text
    assert shown(hr.get(f"/goals/{sales.id}?page=9").text, "weighted") == pages[2]  # the last
