"""Issue 20: the calibration page's employee list comes a page at a time, filtered and
sorted by the database, and the distributions it shows are counted by the database —
with the same numbers the list would give."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest

from appraisal.models import Department
from appraisal.runtime.calibration import calibration
from appraisal.runtime.cycles.figures import cycle_appraisals
from tests.runtime.conftest import GRADES, appraisal_of


@pytest.fixture
def small_pages(app):
    app.config["PAGE_SIZE"] = 2


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-employee="([^"]+)"', html)


def test_the_list_is_paged_sorted_and_filtered_with_the_filters_kept(
    client, auth, db, company, calibrating, small_pages
):
    sales = Department(organization_id=company.org.id, name="Sales")
    east = Department(organization_id=company.org.id, name="East", parent=sales)
    db.add_all([sales, east])
    db.flush()
    company.people["ann"].department_id = east.id
    company.people["pat"].department_id = sales.id
    for key, total in {
        "ann": 95,
        "pat": 88,
        "quinn": 70,
        "bo": 60,
        "olga": 50,
        "oscar": 40,
    }.items():
        appraisal_of(db, company, key).total = Decimal(total)
    db.commit()
    auth.login("hr@acme.example")
    url = f"/cycles/{calibrating.id}/calibration"

    first = client.get(url).text
    assert _rows(first) == ["A001", "P001"]  # by total, highest first
    assert "1 / 3" in first and "6 in total" in first
    assert _rows(client.get(url, query_string={"page": 3}).text) == ["O001", "O002"]
    assert _rows(client.get(url, query_string={"sort": "name"}).text) == ["A001", "B001"]
    # a department means it and those below it
    by_department = client.get(url, query_string={"department": sales.id}).text
    assert _rows(by_department) == ["A001", "P001"] and "2 in total" in by_department
    assert _rows(client.get(url, query_string={"grade": "S"}).text) == ["A001", "P001"]
    assert _rows(client.get(url, query_string={"grade": "B", "sort": "name"}).text) == [
        "B001",
        "O002",
    ]
    assert _rows(client.get(url, query_string={"q": "qui"}).text) == ["Q001"]
    assert _rows(client.get(url, query_string={"state": "published"}).text) == []
    # a page's link to the next keeps the filters; nonsense filters are ignored, never a 500
    page = client.get(url, query_string={"grade": "B", "sort": "name", "page": 1}).text
    assert "grade=B" in page and "sort=name" in page
    for nonsense in ({"state": "x"}, {"sort": "drop"}, {"page": "-1"}, {"grade": "Z" * 500}):
        assert client.get(url, query_string=nonsense).status_code == 200
    assert client.get(url, query_string={"department": "abc"}).status_code == 404


def test_an_override_goes_back_to_the_page_and_filters_it_was_made_on(
    client, auth, db, company, calibrating, small_pages
):
    auth.login("hr@acme.example")
    ann = appraisal_of(db, company, "ann")
    page = client.get(
        f"/cycles/{calibrating.id}/calibration", query_string={"grade": "S", "sort": "name"}
    ).text
    action = re.search(rf'action="([^"]*/calibration/{ann.id}[^"]*)"', page)[1].replace(
        "&amp;", "&"
    )
    done = client.post(
        action,
        data={"grade": "A", "reason": "one-off order", "version": ann.version},
    )
    assert done.status_code == 302
    assert "grade=S" in done.location and "sort=name" in done.location


def test_the_counted_distributions_equal_the_lists(db, company, calibrating):
    appraisals = cycle_appraisals(db, calibrating)
    counted = calibration.distributions(db, calibrating)
    assert counted[0].counts == {
        g: n for g, n in Counter(a.final_grade for a in appraisals).items() if g
    } | {g: 0 for g in calibration.grade_names(calibrating) if g not in GRADES.values()}
    assert counted[0].total == len(appraisals)
    assert [d.name for d in counted[1:]] == ["—"]
