"""Field work on a phone (375 px, 中文): a visit recorded without signal waits in the
outbox, is sent when the signal is back, and is stored exactly once; Today opens offline
after a first visit; an employee who refused location consent records without it."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from appraisal.models import (
    ActivityRecord,
    ActivityType,
    ActivityTypeVersion,
    Customer,
    Employee,
    Organization,
)
from appraisal.runtime.fieldwork import consent
from appraisal.runtime.reviews.access import viewer_for
from tests.e2e.conftest import signed_in
from tests.runtime.fieldwork.conftest import VISIT

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 800}
EMPLOYEE = "employee@demo.example"  # 陈晨, a field sales rep in the demo


@pytest.fixture
def visit_form(db, live_server):
    """The demo organization with a published visit form and a customer site."""
    org = db.scalar(select(Organization).where(Organization.slug == "demo"))
    if db.scalar(select(ActivityType).where(ActivityType.organization_id == org.id)):
        pytest.skip("the demo has its own field forms now: use them")  # pragma: no cover
    visit = ActivityType(organization_id=org.id, key="customer_visit")
    db.add(visit)
    db.flush()
    db.add(
        ActivityTypeVersion(
            organization_id=org.id, activity_type_id=visit.id, version=1, definition=VISIT
        )
    )
    db.add(Customer(organization_id=org.id, code="C001", name="徐汇旗舰店", address="徐汇区"))
    db.commit()
    return org


def _records(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(ActivityRecord))


def _until(check, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def _worker_ready(page) -> None:
    """The worker is installed and looks after this page (it claims open pages)."""
    page.wait_for_load_state("load")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("!!navigator.serviceWorker.controller")


def _fill_visit(page) -> None:
    page.locator("#field-customer").select_option(label="徐汇旗舰店 · 徐汇区")
    page.get_by_label("演示").check()


def _chen(db, org):
    employee = db.scalar(
        select(Employee).where(Employee.organization_id == org.id, Employee.name == "陈晨")
    )
    return employee, viewer_for(db, org.id, employee.user_id, frozenset({"employee"}))


def test_a_visit_recorded_offline_is_sent_once_when_back_online(
    browser, live_server, db, visit_form
):
    employee, viewer = _chen(db, visit_form)
    consent.decide(db, viewer, employee, "visit", "granted")
    db.commit()
    page = signed_in(browser, live_server, EMPLOYEE, PHONE, locale="zh-CN")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 31.1885, "longitude": 121.4372, "accuracy": 15})
    page.goto("/field")
    expect(page.get_by_role("heading", level=1)).to_contain_text("今天")
    _worker_ready(page)
    page.get_by_role("link", name="客户拜访").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("客户拜访")
    _fill_visit(page)
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#field-where-shown")).to_have_text("已获取位置，精度约 15 米。")

    page.context.set_offline(True)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#outbox-count")).to_have_text("待发送：1")
    expect(page.locator("[data-outbox-item]")).to_have_count(1)
    time.sleep(1)
    assert _records(db) == 0

    page.context.set_offline(False)
    assert _until(lambda: _records(db) == 1)
    record = db.scalar(select(ActivityRecord))
    assert str(record.latitude) == "31.188500" and record.accuracy_m == 15
    page.goto("/field")
    expect(page.locator("#today-visit")).to_contain_text("徐汇旗舰店")
    expect(page.locator("#outbox-status")).to_be_hidden()
    page.reload()  # nothing is sent again
    page.wait_for_load_state("load")
    time.sleep(1)
    assert _records(db) == 1
    page.context.close()


def test_today_opens_offline_after_a_first_visit(browser, live_server, db, visit_form):
    page = signed_in(browser, live_server, EMPLOYEE, PHONE, locale="zh-CN")
    page.goto("/field")
    _worker_ready(page)
    page.reload()  # now under the worker's control, the page is kept
    page.wait_for_load_state("load")
    page.context.set_offline(True)
    response = page.goto("/field")
    assert response is not None and response.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_contain_text("今天")
    expect(page.get_by_role("link", name="客户拜访").first).to_be_visible()
    # a page never opened is not there offline: Today stands in (and proves the network
    # really was off for the worker too)
    page.goto("/field/history")
    expect(page.get_by_role("heading", level=1)).to_contain_text("今天")
    page.context.close()


def test_a_visit_without_consent_has_no_location_and_no_prompt(
    browser, live_server, db, visit_form
):
    employee, viewer = _chen(db, visit_form)
    consent.decide(db, viewer, employee, "visit", "refused")
    db.commit()
    page = signed_in(browser, live_server, EMPLOYEE, PHONE, locale="zh-CN")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 31.188, "longitude": 121.437, "accuracy": 15})
    asked = []
    page.expose_function("fieldAskedForPosition", lambda how: asked.append(how))
    page.add_init_script(
        "for (const how of ['getCurrentPosition', 'watchPosition']) {"
        " const real = navigator.geolocation[how].bind(navigator.geolocation);"
        " navigator.geolocation[how] = function () {"
        " window.fieldAskedForPosition(how); return real.apply(null, arguments); }; }"
    )
    page.goto("/field/new/customer_visit")
    expect(page.locator("[data-field=where]")).to_contain_text("位置已关闭：您拒绝了此用途。")
    expect(page.locator("[data-locate]")).to_have_count(0)
    _fill_visit(page)
    page.get_by_role("button", name="保存").click()
    assert _until(lambda: _records(db) == 1)
    db.expire_all()
    record = db.scalar(select(ActivityRecord))
    assert record.latitude is None and "where" not in record.values
    expect(page.get_by_role("heading", level=1)).to_contain_text("今天")
    assert asked == []
    page.context.close()


def test_photos_go_first_and_a_refused_record_waits_to_be_corrected(
    browser, live_server, db, visit_form
):
    """The outbox sends each photo to the photo endpoint (the contract's fields), then the
    record naming them; here the endpoint only pretends to store the photo, so the server
    refuses the record (422) and the phone keeps it as "needs correcting" with the message."""
    page = signed_in(browser, live_server, EMPLOYEE, PHONE, locale="zh-CN")
    uploads = []

    def photo_endpoint(route):
        request = route.request
        uploads.append((request.headers.get("x-csrftoken"), request.post_data_buffer))
        route.fulfill(status=201, json={"uuid": "x", "width": 1, "height": 1})

    page.route("**/field/photos", photo_endpoint)
    page.goto("/field/new/customer_visit")
    _fill_visit(page)
    page.set_input_files(
        "#field-photos", files=[{"name": "shop.jpg", "mimeType": "image/jpeg", "buffer": b"jpeg"}]
    )
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#outbox-correcting")).to_have_text("需修改：1")
    item = page.locator('[data-outbox-item][data-status="correcting"]')
    expect(item.locator('[data-error-for="photos"]')).to_contain_text("现场照片")
    assert len(uploads) == 1
    token, body = uploads[0]
    assert token
    for part in (b'name="uuid"', b'name="photo"; filename="shop.jpg"', b"customer_visit"):
        assert part in body
    assert b'name="field"\r\n\r\nphotos' in body and b'name="type"' in body
    assert _records(db) == 0
    page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="丢弃").click()
    expect(page.locator("[data-outbox-item]")).to_have_count(0)
    page.context.close()
