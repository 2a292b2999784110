"""Customers from a CSV/XLSX file, like employees: mapped (remembered per organization), a
dry run with every row's outcome, all or nothing, errors per row in the user's language,
reps as employee numbers in the separators Chinese spreadsheets use."""

from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import func, select

from appraisal.models import AuditEvent, Customer, ImportMapping
from tests.conftest import PASSWORD

HEADER = "客户编码,客户名称,地址,客户类型,负责人工号,纬度,经度,围栏半径（米）,启用（是/否）\n"


def _browser(app, language="en"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    client.post("/login", data={"email": "hr@acme.example", "password": PASSWORD})
    return client


def _upload(client, content: bytes, name="customers.csv"):
    response = client.post(
        "/customers/import",
        data={"file": (io.BytesIO(content), name), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def _guessed(client, url) -> dict[str, str]:
    page = client.get(url).text
    mapping = {}
    for part in page.split('name="map_')[1:]:
        name = part.split('"', 1)[0]
        if '<option selected value="' in part.split("</select>", 1)[0]:
            mapping[name] = part.split('<option selected value="', 1)[1].split('"', 1)[0]
    return mapping


def _post(client, url, action, mapping):
    return client.post(url, data={"action": action, **{f"map_{k}": v for k, v in mapping.items()}})


def _count(db):
    return db.scalar(select(func.count(Customer.id)))


def test_a_file_is_checked_then_applied_all_at_once(app, db, field):
    client = _browser(app)
    text = HEADER + (
        "C001,徐汇旗舰店（新）,上海市徐汇区,门店,F1、M1,31.188,121.437,300,是\n"
        ",,,,,,,,\n"
        "C002,华联超市,浦东新区,商超,F1；M1,,,,是\n"
        "C003,老经销商,,经销商,,,,,否\n"
    )
    url = _upload(client, text.encode("gbk"))
    mapping = _guessed(client, url)
    assert mapping == {
        "code": "客户编码",
        "name": "客户名称",
        "address": "地址",
        "kind": "客户类型",
        "reps": "负责人工号",
        "latitude": "纬度",
        "longitude": "经度",
        "radius_m": "围栏半径（米）",
        "active": "启用（是/否）",
    }
    dry = _post(client, url, "check", mapping)
    assert dry.status_code == 200
    assert 'data-count="create">2<' in dry.text and 'data-count="update">1<' in dry.text
    assert _count(db) == 1  # a dry run saves nothing

    done = _post(client, url, "apply", mapping)
    assert done.status_code == 302
    db.expire_all()
    shop = db.scalar(select(Customer).where(Customer.code == "C001"))
    assert shop.name == "徐汇旗舰店（新）" and shop.radius_m == 300
    assert sorted(e.number for e in shop.reps) == ["F1", "M1"]
    market = db.scalar(select(Customer).where(Customer.code == "C002"))
    assert sorted(e.number for e in market.reps) == ["F1", "M1"] and market.latitude is None
    assert db.scalar(select(Customer.active).where(Customer.code == "C003")) is False
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "customer.imported"))
    assert (event.detail["created"], event.detail["updated"]) == (2, 1)
    remembered = db.scalar(select(ImportMapping).where(ImportMapping.kind == "customers"))
    assert remembered.columns == mapping


def test_one_bad_row_saves_nothing_and_each_problem_is_shown_at_its_row(app, db, field):
    text = HEADER + ("C100,新店,,,F1,,,,是\nC101,,,,F1，X9,31.2,,,也许\nC100,重复,,,,95,121,0,是\n")
    for language, words in (
        (
            "en",
            [
                "no employee X9 here",
                "Give both coordinates",
                "use yes or no",
                "C100 is also on row 2",
            ],
        ),
        ("zh", ["没有员工 X9", "两个坐标都填", "填 是 或 否", "客户编码 C100 与第 2 行重复"]),
    ):
        client = _browser(app, language)
        url = _upload(client, text.encode("utf-8"))
        response = _post(client, url, "apply", _guessed(client, url))
        assert response.status_code == 422
        assert 'data-count="error">2<' in response.text
        for word in words:
            assert word in response.text, (language, word)
        assert 'id="apply"' not in response.text
    assert _count(db) == 1


def test_a_file_without_reps_keeps_the_reps(app, db, field):
    shop, fay = field["shop"], field["people"]["F1"]
    shop.reps = [fay]
    db.commit()
    client = _browser(app)
    url = _upload(client, "code,name\nC001,徐汇旗舰店\n".encode())
    response = _post(client, url, "apply", {"code": "code", "name": "name"})
    assert response.status_code == 302
    db.expire_all()
    assert [e.number for e in db.get(Customer, shop.id).reps] == ["F1"]
    assert db.get(Customer, shop.id).version == 1  # unchanged: not even touched


def test_an_xlsx_export_imports_back_unchanged(app, db, field):
    shop, fay = field["shop"], field["people"]["F1"]
    shop.reps, shop.name = [fay], "=1+2 旗舰店"
    db.commit()
    client = _browser(app, "zh")
    exported = client.get("/customers/export.xlsx").data
    url = _upload(client, exported, "customers.xlsx")
    response = _post(client, url, "check", _guessed(client, url))
    assert 'data-count="unchanged">1<' in response.text, response.text
    db.expire_all()
    assert db.get(Customer, shop.id).latitude == Decimal("31.188000")


def test_the_sample_files_import(app, db, field, make):
    make.employee(field["org"], "E002", "样例二")
    make.employee(field["org"], "E003", "样例三")
    client = _browser(app, "zh")
    for fmt in ("csv", "xlsx"):
        url = _upload(client, client.get(f"/customers/import/sample.{fmt}").data, f"s.{fmt}")
        response = _post(client, url, "check", _guessed(client, url))
        assert 'data-count="create">2<' in response.text, response.text  # C001 is there


def test_only_people_admins_import(app, field):
    client = app.test_client()
    client.post("/login", data={"email": "fay@acme.example", "password": PASSWORD})
    assert client.get("/customers/import").status_code == 403
    assert client.get("/customers/import/sample.csv").status_code == 403
    assert client.get("/customers/import/abc").status_code == 403
    hr = _browser(app)
    assert hr.get("/customers/import/not-an-upload").status_code == 404
