"""Optimistic locking on the admin edit forms (departments, positions, employees, schemes,
indicators): a form opened before a colleague saved is refused with 409, what was typed is
kept, the saved value is shown under each field, and saving again overwrites knowingly.
Toggle buttons post the state they ask for, so a second click does not flip a row back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appraisal.models import (
    Base,
    Department,
    Employee,
    Indicator,
    Position,
    Scheme,
    Template,
)
from appraisal.models.base import OrganizationScoped
from tests.conftest import PASSWORD
from tests.pages import form_data
from tests.runtime import conftest as runtime

company, launched = runtime.company, runtime.launched  # shared fixtures

# Rows no page edits in place: append-only logs, immutable versions, created-or-revoked
# tokens, remembered mappings (the last one used wins by design), appeals whose answer is
# guarded by their state, courses, which are only ever added, and invitations, which are
# only created, then accepted, declined or cancelled once; published activity forms,
# location consent answers (a new answer is a new row) and photos (a stored file, attached
# once to the record that arrives with it).
NOT_EDITED = {"audit_events", "api_tokens", "template_versions", "import_mappings", "appeals"}
NOT_EDITED |= {"courses", "invitations"}
NOT_EDITED |= {"activity_type_versions", "location_consents", "photos"}
# Business events are stored once; mapping or setting aside moves only rows still held (a
# conditional UPDATE: the second of two HR users gets a conflict). External people are
# only created. A scheme's metric bindings are checked against what the page showed.
NOT_EDITED |= {"external_events", "external_people", "scheme_metrics"}
# Notifications are written once; their reader only marks them read (the same end however
# often); outbox messages are moved on by the one delivery run that claimed them.
NOT_EDITED |= {"notifications", "notification_outbox"}
# A plan's tasks change only through their plan, whose version moves with every task change
# (a stale page is a conflict on the plan); progress updates, their files and feedback notes
# are written once; answering a feedback request only stamps it answered (the same end
# however often).
NOT_EDITED |= {"plan_items", "plan_updates", "plan_files", "feedback_notes", "feedback_requests"}


def test_every_editable_business_row_has_a_version():
    """A new editable table without optimistic locking fails here."""
    missing = [
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, OrganizationScoped)
        and mapper.class_.__tablename__ not in NOT_EDITED
        and mapper.version_id_col is None
    ]
    assert missing == []


def _browser(app, email: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def two_hr(app, make, company):
    make.member(company.org, "hr2@acme.example", roles=("admin", "implementer"))
    make.member(company.org, "hr3@acme.example", roles=("admin", "implementer"))
    return _browser(app, "hr2@acme.example"), _browser(app, "hr3@acme.example")


def _race(two_hr, url: str, first: dict, second: dict):
    mine, theirs = (form_data(b.get(url).text, action=None) for b in two_hr)
    mine = {k: v for k, v in mine.items() if k not in ("q",)}
    assert "version" in mine
    assert two_hr[0].post(url, data=mine | first).status_code == 302
    return two_hr[1].post(url, data={k: v for k, v in theirs.items() if k != "q"} | second)


@pytest.mark.parametrize(
    ("model", "path", "field", "first", "second"),
    [
        (Department, "/people/departments/{id}", "name", "Sales North", "Sales East"),
        (Position, "/people/positions/{id}", "name", "Senior rep", "Field rep"),
        (Employee, "/people/employees/{id}", "name", "Ann Lee", "Ann Li"),
    ],
)
def test_people_edits_from_a_stale_form_are_refused(
    db, company, two_hr, model, path, field, first, second
):
    if model is Department:
        row = Department(organization_id=company.org.id, name="Sales")
        db.add(row)
        db.commit()
    elif model is Position:
        row = db.scalar(select(Position))
    else:
        row = company.people["ann"]
    url = path.format(id=row.id)
    response = _race(two_hr, url, {field: first}, {field: second})
    assert response.status_code == 409
    assert f'value="{second}"' in response.text
    assert f"Saved meanwhile: {first}" in response.text
    db.expire_all()
    assert getattr(db.get(model, row.id), field) == first

    again = form_data(response.text) | {field: second}
    assert two_hr[1].post(url, data=again).status_code == 302  # now knowingly
    db.expire_all()
    assert getattr(db.get(model, row.id), field) == second


def test_a_scheme_edit_from_a_stale_form_is_refused(db, company, launched, two_hr):
    scheme = db.scalar(select(Scheme))
    url = f"/cycles/schemes/{scheme.id}"
    response = _race(two_hr, url, {"name": "Sales A"}, {"name": "Sales B"})
    assert response.status_code == 409
    assert 'value="Sales B"' in response.text and "Saved meanwhile: Sales A" in response.text
    db.expire_all()
    assert db.get(Scheme, scheme.id).name == "Sales A"


def test_an_indicator_edit_from_a_stale_form_is_refused(db, company, two_hr):
    indicator = Indicator(
        organization_id=company.org.id,
        key="visits",
        name_zh="拜访",
        name_en="Visits",
        scoring={"method": "none"},
        raters=["data"],
    )
    db.add(indicator)
    db.commit()
    url = f"/builder/indicators/{indicator.id}"
    response = _race(two_hr, url, {"name_en": "Customer visits"}, {"name_en": "Site visits"})
    assert response.status_code == 409
    assert 'value="Site visits"' in response.text
    assert "Saved meanwhile: Customer visits" in response.text
    db.expire_all()
    assert db.get(Indicator, indicator.id).name_en == "Customer visits"


def test_a_second_deactivate_click_does_not_reactivate(db, company, two_hr):
    department = Department(organization_id=company.org.id, name="Sales")
    db.add(department)
    db.commit()
    url = f"/people/departments/{department.id}"
    toggle = f"{url}/toggle"
    pages = [form_data(b.get(url).text, action=toggle) for b in two_hr]
    assert pages[0] == {"csrf_token": pages[0]["csrf_token"], "active": "0"}
    for browser, page in zip(two_hr, pages, strict=True):
        assert browser.post(toggle, data=page).status_code == 302
    db.expire_all()
    assert db.get(Department, department.id).active is False


def test_a_designer_item_saved_from_a_stale_page_is_refused(db, company, two_hr):
    """Edits of other items merge; the same item changed since the page loaded is a 409."""
    template = db.scalar(select(Template))
    url = f"/builder/templates/{template.id}/items/sales"
    mine, theirs = (form_data(b.get(url).text, "item-form") for b in two_hr)
    assert two_hr[0].post(url, data=mine | {"name_en": "Revenue"}).status_code == 302
    response = two_hr[1].post(url, data=theirs | {"name_en": "Turnover"})
    assert response.status_code == 409
    assert 'value="Turnover"' in response.text and "Saved meanwhile: Revenue" in response.text
    db.expire_all()
    assert _item(db.get(Template, template.id), "sales")["name"]["en"] == "Revenue"

    other = form_data(
        two_hr[1].get(f"/builder/templates/{template.id}/items/collection").text, "item-form"
    )
    page = form_data(response.text, "item-form")  # now knowingly, from the refused page
    assert two_hr[1].post(url, data=page).status_code == 302
    db.expire_all()
    assert _item(db.get(Template, template.id), "sales")["name"]["en"] == "Turnover"
    assert other["loaded"]  # another item's page opened before still saves: edits merge
    collection = f"/builder/templates/{template.id}/items/collection"
    assert two_hr[0].post(collection, data=other | {"name_en": "Cash in"}).status_code == 302


def _item(template, key):
    definition = template.draft or template.definition
    return next(i for s in definition["sections"] for i in s["items"] if i["key"] == key)
