"""Field work on a phone (375 px, 中文): a visit recorded without signal waits in the
outbox, is sent when the signal is back, and is stored exactly once; Today opens offline
after a first visit; an employee who refused location consent records without it; and the
whole way: consent, check-in at a customer, a visit with a camera photo made offline, synced
once with its photo, approved by the manager on the team's day."""

from __future__ import annotations

import io
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from appraisal.models import (
    ActivityRecord,
    ActivityType,
    Customer,
    Employee,
    Organization,
)
from appraisal.runtime.fieldwork import consent
from appraisal.runtime.reviews.access import viewer_for
from tests.e2e.conftest import signed_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 800}
EMPLOYEE = "employee@demo.example"  # 陈晨, a field sales rep in the demo


@pytest.fixture
def visit_form(db, live_server):
    """The demo organization, whose pack gives it a customer visit form (with photos and a
    location for the visit purpose) and customers with sites; its rep 陈晨 agreed to
    location in the demo, each test sets the answer it needs."""
    org = db.scalar(select(Organization).where(Organization.slug == "demo"))
    assert db.scalar(
        select(ActivityType).where(
            ActivityType.organization_id == org.id, ActivityType.key == "customer_visit"
        )
    )
    return org


def _site(db, org) -> Customer:
    return db.scalar(
        select(Customer).where(Customer.organization_id == org.id, Customer.code == "C001")
    )


def _records(db) -> int:
    """Records made in this test (the demo has a few days of its own)."""
    db.expire_all()
    return db.scalar(
        select(func.count()).select_from(ActivityRecord).where(ActivityRecord.id > _BEFORE[0])
    )


_BEFORE = [0]


@pytest.fixture(autouse=True)
def _count_from_here(db, live_server):
    _BEFORE[0] = db.scalar(select(func.max(ActivityRecord.id))) or 0


def _newest(db) -> ActivityRecord:
    db.expire_all()
    return db.scalar(select(ActivityRecord).order_by(ActivityRecord.id.desc()).limit(1))


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
    # A function, not an expression: Playwright evals an expression again at every poll,
    # which the page's CSP (no 'unsafe-eval') refuses once the first check has failed.
    page.wait_for_function("() => !!navigator.serviceWorker.controller")


def _fill_visit(page, site: Customer) -> None:
    page.locator("#field-customer").select_option(value=str(site.id))
    page.locator("#field-purpose").select_option("demo")  # six options: a list
    page.locator("#field-outcome").fill("演示了新机床，客户要求报价")


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
    page.context.set_geolocation({"latitude": 31.1102, "longitude": 121.3803, "accuracy": 15})
    page.goto("/field")
    expect(page.get_by_role("heading", level=1)).to_contain_text("今天")
    _worker_ready(page)
    page.get_by_role("link", name="客户拜访").first.click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("客户拜访")
    _fill_visit(page, _site(db, visit_form))
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#field-where-shown")).to_have_text("已获取位置，精度约 15 米。")
    # a paste can bring a control character; the server would refuse it, nobody meant it
    page.locator("#field-outcome").fill("演示完成\u0007，客户要求报价")

    page.context.set_offline(True)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#outbox-count")).to_have_text("待发送：1")
    expect(page.locator("[data-outbox-item]")).to_have_count(1)
    time.sleep(1)
    assert _records(db) == 0

    page.context.set_offline(False)
    assert _until(lambda: _records(db) == 1)
    record = _newest(db)
    assert str(record.latitude) == "31.110200" and record.accuracy_m == 15
    assert record.outside_geofence is False  # within the site's 300 m
    assert record.values["outcome"] == "演示完成，客户要求报价"
    page.goto("/field")
    expect(page.locator("#today-visit")).to_contain_text("明辉机械有限公司")
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
    _fill_visit(page, _site(db, visit_form))
    page.get_by_role("button", name="保存").click()
    assert _until(lambda: _records(db) == 1)
    record = _newest(db)
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
    _fill_visit(page, _site(db, visit_form))
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


def _camera_photo() -> bytes:
    """A 3000×2000 JPEG as a phone camera makes it, with the position in its EXIF."""
    from PIL import Image

    image = Image.new("RGB", (3000, 2000), (180, 120, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 6.0, 36.7), 3: "E", 4: (121.0, 22.0, 49.1)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=80)
    return out.getvalue()


def test_the_whole_field_day_from_consent_to_the_managers_approval(
    browser, live_server, db, visit_form
):
    employee, _viewer = _chen(db, visit_form)
    site = _site(db, visit_form)
    page = signed_in(browser, live_server, EMPLOYEE, PHONE, locale="zh-CN")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 31.1102, "longitude": 121.3803, "accuracy": 12})

    # consent, on the consent page, for both purposes (the demo's answers start as "no")
    for purpose in ("check_in", "visit"):
        consent.decide(db, _viewer, employee, purpose, "refused")
    db.commit()
    page.goto("/field/consent")
    for purpose in ("check_in", "visit"):
        page.locator(f"#consent-{purpose}").get_by_role("button", name="我同意").click()
        page.wait_for_load_state("load")
        expect(page.locator(f"#consent-{purpose} [data-current]")).to_have_attribute(
            "data-current", "granted"
        )
    db.expire_all()
    assert consent.current_choice(db, employee, "check_in") == "granted"
    assert consent.current_choice(db, employee, "visit") == "granted"

    # check in at the customer, online
    page.goto("/field")
    _worker_ready(page)
    page.get_by_role("link", name="签到").first.click()
    page.wait_for_load_state("load")  # the location button works once its script ran
    page.locator("#field-customer").select_option(value=str(site.id))
    page.locator("[data-locate]").click()
    expect(page.locator("[data-field=where]")).to_contain_text("12")
    page.get_by_role("button", name="保存").click()
    assert _until(lambda: _records(db) == 1)
    page.wait_for_url("**/field")  # the saved form goes back to the day on its own
    page.wait_for_load_state("load")
    check_in = _newest(db)
    assert check_in.activity_type.key == "check_in" and check_in.outside_geofence is False

    # a visit with a photo from the camera, with no signal
    page.goto("/field/new/customer_visit")
    _fill_visit(page, site)
    page.locator("[data-locate]").click()
    expect(page.locator("#field-where-shown")).to_be_visible()
    page.set_input_files(
        "#field-photos",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": _camera_photo()}],
    )
    page.context.set_offline(True)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#outbox-count")).to_have_text("待发送：1")
    time.sleep(1)
    assert _records(db) == 1

    # back online: sent once, with its photo, made small and without its EXIF
    page.context.set_offline(False)
    assert _until(lambda: _records(db) == 2)
    visit = _newest(db)
    assert visit.activity_type.key == "customer_visit" and visit.status == "pending"
    assert len(visit.photos) == 1
    photo = visit.photos[0]
    assert max(photo.width, photo.height) <= 1600 and not photo.kept_location
    page.reload()
    page.wait_for_load_state("load")
    time.sleep(1)
    assert _records(db) == 2
    page.context.close()

    # the manager sees it on the team's day and approves it
    boss = signed_in(browser, live_server, "manager@demo.example", PHONE, locale="zh-CN")
    boss.goto("/field/team")
    person = boss.locator(f"form[action$='/field/records/{visit.uuid}/review']")
    expect(person).to_be_visible()
    expect(boss.get_by_text("明辉机械有限公司").first).to_be_visible()
    person.get_by_role("button", name="通过").click()
    boss.wait_for_load_state("load")
    db.expire_all()
    assert _newest(db).status == "approved"
    # the photo is the manager's to see, from the record's page
    boss.goto(f"/field/records/{visit.uuid}")
    thumb = boss.locator("img[src*='/field/photos/']").first
    expect(thumb).to_be_visible()
    assert boss.evaluate("(img) => img.naturalWidth > 0", thumb.element_handle())
    boss.context.close()
