"""Schemes and cycles: who a cycle covers, launching, and version stamping."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from appraisal.builder import services as builder
from appraisal.errors import ServiceError
from appraisal.models import Appraisal, Department, Position, Template
from appraisal.runtime.cycles import cycles
from tests.conftest import field_errors
from tests.runtime.conftest import appraisal_of

Q4 = cycles.CycleDates(date(2026, 10, 1), date(2026, 12, 31))


def scheme(db, company, **kw):
    fields = (
        dict(
            name="S",
            template_version_id=company.version.id,
            staff_kind="any",
            period="quarter",
            department_ids=[],
            position_ids=[],
            user_id=None,
        )
        | kw
    )
    return cycles.save_scheme(db, company.org.id, None, **fields)


def numbers(db, the_scheme):
    return [e.number for e in cycles.covered_employees(db, the_scheme)]


def test_scheme_covers_by_department_with_subdepartments_position_and_staff_kind(db, company):
    sales = Department(organization_id=company.org.id, name="Sales")
    db.add(sales)
    db.flush()
    north = Department(organization_id=company.org.id, name="Sales North", parent_id=sales.id)
    office = Position(organization_id=company.org.id, name="Clerk", staff_kind="office")
    db.add_all([north, office])
    db.flush()
    company.people["ann"].department_id = north.id
    company.people["pat"].department_id = sales.id
    company.people["quinn"].position_id = office.id
    company.people["oscar"].status = "left"
    db.flush()

    assert numbers(db, scheme(db, company)) == ["A001", "B001", "O001", "P001", "Q001"]
    assert numbers(db, scheme(db, company, name="D", department_ids=[sales.id])) == [
        "A001",
        "P001",
    ]
    assert numbers(db, scheme(db, company, name="P", position_ids=[office.id])) == ["Q001"]
    assert "Q001" not in numbers(db, scheme(db, company, name="F", staff_kind="field"))
    assert numbers(db, scheme(db, company, name="O", staff_kind="office")) == ["Q001"]


def test_scheme_refuses_another_organizations_version_and_duplicate_names(db, make, company):
    other = make.org("other")
    other_version = builder.publish(
        db, builder.import_template(db, other.id, None, dict(company.version.definition)), None
    )
    with pytest.raises(ServiceError) as refused:
        scheme(db, company, template_version_id=other_version.id)
    assert refused.value.field == "template_version_id"
    scheme(db, company)
    with pytest.raises(ServiceError) as refused:
        scheme(db, company, name="s")
    assert refused.value.field == "name"


def test_launch_creates_stamped_appraisals_except_the_excluded(db, company):
    cycle = cycles.create_cycle(
        db, scheme(db, company), name="Q4", dates=Q4, anonymity_threshold=3, user_id=None
    )
    preview = cycles.preview_cycle(db, cycle)
    assert [r.employee.number for r in preview] == ["A001", "B001", "O001", "O002", "P001", "Q001"]
    assert "No manager" in str(next(r.warning for r in preview if r.employee.number == "B001"))

    created = cycles.launch_cycle(db, cycle, {company.people["quinn"].id}, None)
    db.commit()
    assert sorted(a.employee.number for a in created) == ["A001", "B001", "O001", "O002", "P001"]
    assert {a.template_version_id for a in created} == {company.version.id}
    assert cycle.state == "running" and cycle.excluded_employee_ids == [company.people["quinn"].id]
    assert appraisal_of(db, company, "ann").manager_id == company.people["bo"].id
    with pytest.raises(ServiceError):
        cycles.launch_cycle(db, cycle, set(), None)


def test_the_preview_pages_are_the_whole_preview_cut_by_the_database(db, company):
    """Each page of the preview is the same rows, warnings and paths as the whole preview
    (which launching uses), in the same order; the total counts everyone covered."""
    cycle = cycles.create_cycle(
        db, scheme(db, company), name="Q4", dates=Q4, anonymity_threshold=3, user_id=None
    )
    whole = cycles.preview_cycle(db, cycle)
    pages = [cycles.preview_page(db, cycle, n, 4) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [6, 6, 6]
    assert pages[2].page == 2  # beyond the last: the last
    as_shown = [(r.employee.number, str(r.warning), r.path, r.included) for r in whole]
    paged = [
        (r.employee.number, str(r.warning), r.path, r.included) for p in pages[:2] for r in p.items
    ]
    assert paged == as_shown


def test_left_out_numbers_are_looked_up_among_those_covered(db, company):
    clerk = Position(organization_id=company.org.id, name="Clerk", staff_kind="office")
    db.add(clerk)
    db.flush()
    company.people["quinn"].position_id = clerk.id
    db.flush()
    office = scheme(db, company, name="O", staff_kind="office")
    assert cycles.left_out(db, office, " Q001，") == {company.people["quinn"].id}
    with pytest.raises(ServiceError) as refused:
        cycles.left_out(db, office, "Q001, A001; NOPE")
    assert refused.value.field == "leave_out"
    assert "A001, NOPE" in str(refused.value)


def test_a_new_template_version_leaves_running_appraisals_alone(db, company, launched):
    template = db.scalar(select(Template))
    draft = builder.start_draft(template)
    draft["grades"][0]["min"] = 99
    builder.save_draft(db, template, draft, None)
    newer = builder.publish(db, template, None)
    db.commit()
    appraisal = appraisal_of(db, company, "ann")
    assert newer.version == 2
    assert appraisal.template_version_id == company.version.id
    assert appraisal.definition["grades"][0]["min"] == 95


def test_cycle_dates_and_names_are_checked(db, company):
    the_scheme = scheme(db, company)
    with pytest.raises(ServiceError) as refused:
        cycles.create_cycle(
            db,
            the_scheme,
            name="Q4",
            dates=cycles.CycleDates(date(2026, 12, 31), date(2026, 10, 1)),
            anonymity_threshold=3,
            user_id=None,
        )
    assert refused.value.field == "ends_on"


def test_hr_sets_up_and_launches_a_cycle_in_the_browser_forms(client, auth, db, company):
    auth.login("hr@acme.example")
    response = client.post(
        "/cycles/schemes/new",
        data={
            "name": "Field sales",
            "template_version_id": company.version.id,
            "staff_kind": "field",
            "period": "quarter",
        },
    )
    assert response.status_code == 302
    scheme_id = cycles.list_schemes(db, company.org.id)[0].id

    response = client.post(
        "/cycles/new",
        data={
            "scheme_id": scheme_id,
            "name": "2026-Q4",
            "starts_on": "2026-12-31",
            "ends_on": "2026-10-01",
            "anonymity_threshold": "3",
        },
    )
    assert response.status_code == 422
    assert "The period must end after it starts." in field_errors(response.text)
    assert 'value="2026-Q4"' in response.text

    response = client.post(
        "/cycles/new",
        data={
            "scheme_id": scheme_id,
            "name": "2026-Q4",
            "starts_on": "2026-10-01",
            "ends_on": "2026-12-31",
            "goals_due": "2026-10-15",
            "anonymity_threshold": "3",
        },
    )
    assert response.status_code == 302
    cycle_url = response.headers["Location"]
    page = client.get(cycle_url).text
    assert 'data-employee="A001"' in page and 'data-employee="Q001"' in page

    # a number the scheme does not cover is refused at the field, what was typed kept
    refused = client.post(f"{cycle_url}/launch", data={"leave_out": "Q001, X999"})
    assert refused.status_code == 422
    assert field_errors(refused.text) == ["Not covered by this cycle's scheme: X999"]
    assert "Q001, X999" in refused.text
    assert db.scalar(select(func.count()).select_from(Appraisal)) == 0

    # everyone covered except the numbers left out (commas, 、 and lines all separate)
    response = client.post(f"{cycle_url}/launch", data={"leave_out": "Q001、O001\nO002"})
    assert response.status_code == 302
    launched = sorted(db.scalars(select(Appraisal.employee_id)))
    assert launched == sorted(company.people[k].id for k in ("ann", "pat", "bo"))
    assert "3 appraisals created" in client.get(cycle_url).text


def test_cycle_pages_of_another_organization_are_404(client, auth, make, db, company, launched):
    other = make.org("other")
    make.member(other, "hr@other.example", roles=("admin",))
    auth.login("hr@other.example")
    for url in (
        f"/cycles/{launched.id}",
        f"/cycles/{launched.id}/figures",
        f"/cycles/{launched.id}/targets",
        f"/appraisals/{appraisal_of(db, company, 'ann').id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cycles/{launched.id}/launch").status_code == 404
