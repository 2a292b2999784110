"""The phone pages: Today, the record form built from a type (and its post without
JavaScript), the customer picker, history, the manifest and the service worker."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from appraisal.models import ActivityRecord, Customer, Organization, customer_reps
from appraisal.runtime.fieldwork import consent, records
from tests.conftest import field_errors

VALID = {"customer": None, "purpose": "collect", "amount": "120.50"}


def _zh(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"


def _record(db, field, number="F1", uuid="0" * 8 + "-0000-4000-8000-" + "0" * 12, **kwargs):
    employee = field["people"][number]
    values = {"customer": field["shop"].id, "purpose": "demo"}
    recorded = records.record_activity(
        db,
        field["viewer"](number),
        employee,
        uuid=uuid,
        type_key="customer_visit",
        values=values,
        **kwargs,
    )
    db.commit()
    return recorded.record


def _count(db):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(ActivityRecord))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Today", "Visits", "Customer visit", "History"]),
        ("zh-CN", ["今天", "拜访", "客户拜访", "历史"]),
    ],
)
def test_today_offers_the_forms_the_employee_may_record(client, auth, field, language, words):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    auth.login("fay@acme.example")
    page = client.get("/field")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    assert 'href="/field/new/customer_visit"' in page.text
    assert 'rel="manifest"' in page.text
    assert 'id="nav-field-today"' in page.text


def test_today_lists_todays_records_with_their_status(client, auth, db, field):
    _zh(client)
    _record(db, field)
    auth.login("fay@acme.example")
    page = client.get("/field").text
    section = page[page.index('id="today-visit"') :]
    assert "徐汇旗舰店" in section
    assert "待审核" in section  # the visit form is reviewed: it waits for the manager


def test_an_office_clerk_sees_no_visit_form_and_cannot_open_it(client, auth, field):
    auth.login("ed@acme.example")
    page = client.get("/field")
    assert page.status_code == 200
    assert "customer_visit" not in page.text
    assert 'id="nothing-to-record"' in page.text
    assert client.get("/field/new/customer_visit").status_code == 404
    posted = client.post("/field/new/customer_visit", data={"purpose": "demo"})
    assert posted.status_code == 404


def test_an_account_without_an_employee_record_records_nothing(client, auth, field):
    auth.login("hr@acme.example")
    page = client.get("/field")
    assert page.status_code == 200
    assert 'id="no-employee"' in page.text
    assert 'id="nav-field-today"' not in page.text  # HR still reaches the team's day
    assert 'id="nav-field-team"' in page.text
    for url in ("/field/new/customer_visit", "/field/history", "/field/customers"):
        assert client.get(url).status_code == 404, url


def test_the_field_pages_ask_for_sign_in(client, field):
    for url in ("/field", "/field/new/customer_visit", "/field/history", "/field/customers"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert client.post("/field/sync", json={}).status_code == 302


def test_the_form_is_built_from_the_type(client, auth, field):
    auth.login("fay@acme.example")
    page = client.get(f"/field/new/customer_visit?customer={field['shop'].id}").text
    form = re.search(r"<form [^>]*id=\"record-form\"[^>]*>", page).group(0)
    assert 'data-outbox="/field/sync"' in form and 'data-type="customer_visit"' in form
    for key in ("customer", "purpose", "amount", "photos", "where"):
        assert f'<div class="mb-3" data-field="{key}"' in page
    assert re.search(rf'<option value="{field["shop"].id}" selected>徐汇旗舰店', page)
    assert 'type="radio" name="purpose"' in page
    assert re.search(r'inputmode="decimal" name="amount"', page)
    assert re.search(
        r'type="file" name="photos"[^>]*accept="image/\*" capture="environment" multiple', page
    )
    assert "fieldwork/outbox.js" in page and "fieldwork/locate.js" in page


def test_location_is_offered_only_with_consent(client, auth, db, field):
    fay = field["people"]["F1"]
    auth.login("fay@acme.example")
    page = client.get("/field/new/customer_visit").text
    assert "data-locate" not in page
    assert "you have not been asked for consent yet" in page

    consent.decide(db, field["viewer"]("F1"), fay, "visit", "refused")
    db.commit()
    page = client.get("/field/new/customer_visit").text
    assert "data-locate" not in page and "you refused it" in page

    consent.decide(db, field["viewer"]("F1"), fay, "visit", "granted")
    db.commit()
    page = client.get("/field/new/customer_visit").text
    assert 'data-locate="where"' in page
    assert 'type="hidden" name="where"' in page


def test_a_form_post_without_javascript_records_once(client, auth, db, field):
    auth.login("fay@acme.example")
    page = client.get("/field/new/customer_visit").text
    uuid = re.search(r'name="record.uuid" type="hidden" value="([^"]+)"', page).group(1)
    data = {"record.uuid": uuid, "customer": field["shop"].id, "purpose": "collect"}
    data["amount"] = "120.50"
    first = client.post("/field/new/customer_visit", data=data)
    assert first.status_code == 302 and first.headers["Location"].endswith("/field")
    again = client.post("/field/new/customer_visit", data=data)  # Back, post again
    assert again.status_code == 302
    assert _count(db) == 1
    record = db.scalar(select(ActivityRecord))
    assert record.uuid == uuid
    assert record.values == {"customer": field["shop"].id, "purpose": "collect", "amount": "120.50"}


@pytest.mark.parametrize(
    ("language", "required", "number"),
    [("en", "is required", "must be a number"), ("zh-CN", "必填", "应为数字")],
)
def test_bad_values_are_shown_at_their_fields_with_what_was_typed(
    client, auth, db, field, language, required, number
):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    auth.login("fay@acme.example")
    data = {"customer": "", "purpose": "collect", "amount": "12,3x"}
    response = client.post("/field/new/customer_visit", data=data)
    assert response.status_code == 422
    errors = field_errors(response.text)
    assert required in errors and number in errors
    assert (
        'data-error-for="customer"' in response.text and 'data-error-for="amount"' in response.text
    )
    assert 'value="12,3x"' in response.text
    assert re.search(r'value="collect" checked', response.text)
    assert _count(db) == 0


def test_photos_chosen_without_javascript_are_explained_not_lost(client, auth, db, field):
    auth.login("fay@acme.example")
    data = {"customer": field["shop"].id, "purpose": "demo", "photos": "IMG_0001.jpg"}
    response = client.post("/field/new/customer_visit", data=data)
    assert response.status_code == 422
    assert any("JavaScript" in e for e in field_errors(response.text))
    assert _count(db) == 0


def test_a_customer_of_another_organization_cannot_be_chosen(client, auth, db, field, make):
    other = make.org("rival")
    theirs = Customer(organization_id=other.id, code="X1", name="别家客户")
    db.add(theirs)
    db.commit()
    auth.login("fay@acme.example")
    page = client.get(f"/field/new/customer_visit?customer={theirs.id}").text
    assert "别家客户" not in page
    response = client.post(
        "/field/new/customer_visit", data={"customer": theirs.id, "purpose": "demo"}
    )
    assert response.status_code == 422
    assert _count(db) == 0
    assert "别家客户" not in client.get("/field/customers").text


def test_the_picker_lists_my_customers_first_and_searches(client, auth, db, field):
    org = field["org"]
    mine = Customer(organization_id=org.id, code="Z9", name="浦东仓库", address="上海市浦东新区")
    db.add(mine)
    db.flush()
    db.execute(
        customer_reps.insert().values(customer_id=mine.id, employee_id=field["people"]["F1"].id)
    )
    db.commit()
    auth.login("fay@acme.example")
    page = client.get("/field/customers").text
    assert page.index("浦东仓库") < page.index("徐汇旗舰店")
    assert f'href="/field/new/customer_visit?customer={mine.id}"' in page
    found = client.get("/field/customers?q=徐汇").text
    assert "徐汇旗舰店" in found and "浦东仓库" not in found
    assert "浦东仓库" in client.get("/field/customers?q=Z9").text
    assert "No customers found." in client.get("/field/customers?q=%25").text


def test_history_is_mine_newest_first_by_type_and_month(client, auth, db, field):
    _record(
        db,
        field,
        uuid="11111111-1111-4111-8111-111111111111",
        occurred_at=datetime(2026, 1, 10, 2, 0, tzinfo=UTC),
    )
    _record(
        db,
        field,
        uuid="22222222-2222-4222-8222-222222222222",
        occurred_at=datetime(2026, 2, 10, 2, 0, tzinfo=UTC),
    )
    auth.login("fay@acme.example")
    page = client.get("/field/history").text
    assert page.index("2026-02-10") < page.index("2026-01-10")
    january = client.get("/field/history?month=2026-01").text
    assert "2026-01-10" in january and "2026-02-10" not in january
    assert "No records." in client.get("/field/history?type=nothing").text
    assert "2026-02-10" in client.get("/field/history?month=junk").text  # ignored, not a 500
    auth.logout()
    auth.login("max@acme.example")  # her manager: his own history is his own
    assert "No records." in client.get("/field/history").text


def test_history_pages(client, auth, db, field):
    for i in range(23):
        _record(db, field, uuid=f"{i:08d}-0000-4000-8000-000000000000")
    auth.login("fay@acme.example")
    first = client.get("/field/history").text
    assert first.count("data-record=") == 20
    second = client.get("/field/history?page=2").text
    assert second.count("data-record=") == 3


def test_today_uses_the_organization_day(client, auth, db, field):
    """Shanghai's morning of the 2nd is still the 1st in UTC: Today is Shanghai's day."""
    from appraisal.runtime.fieldwork import today

    org = db.get(Organization, field["org"].id)
    morning = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 on 2 March in Shanghai
    _record(db, field, occurred_at=morning)
    day = today.today(db, field["people"]["F1"], now=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    assert day.day.isoformat() == "2026-03-02"
    visits = next(s for s in day.sections if s.key == "visit")
    assert [line.time for line in visits.records] == ["07:30"]
    assert org.time_zone == "Asia/Shanghai"


def test_the_manifest_and_the_service_worker_are_served_under_field(client, field):
    manifest = client.get("/field/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["start_url"] == "/field" and body["display"] == "standalone"
    assert body["scope"] == "/field" and body["theme_color"]
    for icon in body["icons"]:
        with client.get(icon["src"]) as response:
            assert response.status_code == 200, icon
    assert {icon["sizes"] for icon in body["icons"]} >= {"192x192", "512x512"}
    with client.get("/field/sw.js") as worker:
        assert worker.status_code == 200
        assert worker.mimetype == "text/javascript"
        assert worker.headers["Service-Worker-Allowed"] == "/field"
        assert "caches" in worker.text


@pytest.mark.parametrize("path", ["/", "/team", "/notifications"])
def test_the_top_bar_offers_field_work_to_people_with_an_employee_record(client, auth, field, path):
    """The link reads the page's viewer where it built one (home, My team) and asks the
    database otherwise (the notifications page): the same answer either way."""
    auth.login("fay@acme.example")
    assert 'id="nav-field-today"' in client.get(path).text
    auth.logout()
    auth.login("hr@acme.example")
    assert 'id="nav-field-today"' not in client.get(path).text
