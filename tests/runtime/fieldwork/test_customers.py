"""The customer/site master's pages: create and edit with every check next to its field (in
English and Chinese), optimistic locking, deactivation, search and filters, permissions,
export; and the services the phone and the metrics read (`customers_for`, `assigned_count`)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from appraisal.models import AuditEvent, Customer, Employee
from appraisal.runtime.fieldwork.customers import assigned_count, customers_for
from tests.conftest import PASSWORD, field_errors


def _browser(app, email: str, language: str = "en"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def hr(app, field):
    return _browser(app, "hr@acme.example")


def _form(**values):
    return {
        "code": "C100",
        "name": "静安门店",
        "address": "上海市静安区南京西路 1 号",
        "kind": "门店",
        "latitude": "",
        "longitude": "",
        "radius_m": "",
    } | values


def _customer(db, code):
    db.expire_all()
    return db.scalar(select(Customer).where(Customer.code == code))


def _error_under(html: str, name: str) -> str:
    html = unescape(html)
    """The message shown under the input `name` (Bootstrap's invalid-feedback after it)."""
    after = html.split(f'name="{name}"', 1)[1]
    return (
        after.split("invalid-feedback", 1)[1].split("</div>", 1)[0]
        if "is-invalid"
        in html.split(f'name="{name}"', 1)[0].rsplit("<", 1)[1] + after.split(">", 1)[0]
        else ""
    )


def _actions(db):
    return [
        e.action
        for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))
        if "customer" in e.action
    ]


def test_hr_creates_a_customer_with_reps_and_a_site(hr, db, field):
    fay, max_ = field["people"]["F1"], field["people"]["M1"]
    response = hr.post(
        "/customers/new",
        data=_form(
            latitude="31.2304", longitude="121.4737", radius_m="150", rep_ids=[fay.id, max_.id]
        ),
    )
    assert response.status_code == 302, field_errors(response.text)
    shop = _customer(db, "C100")
    assert shop.name == "静安门店" and shop.kind == "门店"
    assert (shop.latitude, shop.longitude, shop.radius_m) == (
        Decimal("31.230400"),
        Decimal("121.473700"),
        150,
    )
    assert {e.number for e in shop.reps} == {"F1", "M1"}
    assert _actions(db) == ["customer.created"]
    page = hr.get("/customers").text
    assert "静安门店" in page and "徐汇旗舰店" in page


@pytest.mark.parametrize(
    ("values", "where", "english", "chinese"),
    [
        (
            {"latitude": "31.2"},
            "longitude",
            "Give both coordinates, or neither.",
            "两个坐标都填，或都不填。",
        ),
        (
            {"latitude": "95", "longitude": "121"},
            "latitude",
            "must be between -90 and 90",
            "必须在 -90 到 90 之间",
        ),
        ({"latitude": "31", "longitude": "东经121"}, "longitude", "is not a number", "不是数字"),
        (
            {"radius_m": "0", "latitude": "31", "longitude": "121"},
            "radius_m",
            "more than 0",
            "大于 0",
        ),
        (
            {"radius_m": "12.5", "latitude": "31", "longitude": "121"},
            "radius_m",
            "whole metres",
            "整数米",
        ),
        ({"radius_m": "200"}, "radius_m", "needs the site's coordinates", "需要先填写地点坐标"),
        ({"code": "C 1"}, "code", "has no spaces", "不能有空格"),
        ({"code": "C001"}, "code", "already taken", "已被使用"),
        ({"code": ""}, "code", "code is missing", "缺少客户编码"),
        ({"name": " "}, "name", "name is missing", "缺少名称"),
    ],
)
def test_bad_values_are_refused_next_to_their_field_in_each_language(
    app, db, field, values, where, english, chinese
):
    for language, words in (("en", english), ("zh", chinese)):
        client = _browser(app, "hr@acme.example", language)
        response = client.post("/customers/new", data=_form(**values))
        assert response.status_code == 422
        assert words in _error_under(response.text, where), (language, field_errors(response.text))
        for typed in values.values():  # what was typed is kept
            assert f'value="{typed}"' in response.text
    assert db.scalar(select(func.count(Customer.id))) == 1  # only the fixture's shop


def test_a_stale_form_is_refused_with_409_and_keeps_what_was_typed(app, db, field):
    shop = field["shop"]
    first, second = _browser(app, "hr@acme.example"), _browser(app, "hr@acme.example")
    assert 'name="version" type="hidden" value="1"' in first.get(f"/customers/{shop.id}").text
    assert (
        second.post(
            f"/customers/{shop.id}", data=_form(code="C001", name="新名字", version="1")
        ).status_code
        == 302
    )
    response = first.post(
        f"/customers/{shop.id}", data=_form(code="C001", name="旧页面", version="1")
    )
    assert response.status_code == 409
    assert (
        'value="旧页面"' in response.text and "新名字" in response.text
    )  # typed kept, saved shown
    assert _customer(db, "C001").name == "新名字"


def test_changing_only_the_reps_moves_the_version(hr, db, field):
    shop, fay = field["shop"], field["people"]["F1"]
    response = hr.post(
        f"/customers/{shop.id}",
        data=_form(code="C001", name=shop.name, version="1", rep_ids=[fay.id]),
    )
    assert response.status_code == 302
    saved = _customer(db, "C001")
    assert saved.version == 2 and [e.number for e in saved.reps] == ["F1"]
    # a page opened before the reps changed is refused
    assert (
        hr.post(
            f"/customers/{shop.id}", data=_form(code="C001", name=shop.name, version="1")
        ).status_code
        == 409
    )


def test_reps_are_employees_here_who_have_not_left(hr, db, field, make):
    left = field["people"]["E1"]
    left.status = "left"
    db.commit()
    response = hr.post("/customers/new", data=_form(rep_ids=[left.id]))
    assert response.status_code == 422  # not offered, so not a valid choice
    assert _customer(db, "C100") is None


def test_deactivating_keeps_the_customer_and_hides_it_from_the_phone(hr, db, field):
    shop, fay = field["shop"], field["people"]["F1"]
    shop.reps = [fay]
    db.commit()
    assert [c.code for c in customers_for(db, fay).items] == ["C001"]
    response = hr.post(f"/customers/{shop.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert (
        hr.post(f"/customers/{shop.id}/active", data={"active": "0"}).status_code == 302
    )  # a second click
    assert _customer(db, "C001").active is False
    assert customers_for(db, fay).items == [] and assigned_count(db, fay) == 0
    assert 'data-code="C001"' not in hr.get("/customers").text
    assert 'data-code="C001"' in hr.get("/customers?status=inactive").text
    hr.post(f"/customers/{shop.id}/active", data={"active": "1"})
    assert _customer(db, "C001").active is True
    assert _actions(db) == ["customer.deactivated", "customer.reactivated"]


def test_the_list_searches_name_code_and_address_and_filters_type_and_rep(hr, db, field):
    org, fay = field["org"], field["people"]["F1"]
    db.add_all(
        [
            Customer(
                organization_id=org.id,
                code="S-7",
                name="华联超市",
                address="浦东新区",
                kind="商超",
                reps=[fay],
            ),
            Customer(
                organization_id=org.id,
                code="D-1",
                name="经销商 100%",
                address="杭州",
                kind="经销商",
            ),
        ]
    )
    db.commit()

    def codes(query):
        return {
            row.split('"')[0] for row in hr.get(f"/customers?{query}").text.split('data-code="')[1:]
        }

    assert codes("q=浦东") == {"S-7"}
    assert codes("q=d-1") == {"D-1"}
    assert codes("q=100%25") == {"D-1"}  # % is a character, not a wildcard
    assert codes("q=徐汇") == {"C001"}
    assert codes("kind=商超") == {"S-7"}
    assert codes(f"rep={fay.id}") == {"S-7"}
    assert codes("") == {"S-7", "D-1", "C001"}


def test_the_list_pages(hr, db, field):
    org = field["org"]
    db.add_all(
        Customer(organization_id=org.id, code=f"P{i:03}", name=f"店 {i:03}") for i in range(45)
    )
    db.commit()
    first = hr.get("/customers").text
    assert "1 / 3" in first and first.count('data-code="') == 20
    assert hr.get("/customers?page=3").text.count('data-code="') == 6


@pytest.mark.parametrize("email", ["fay@acme.example", "max@acme.example"])
def test_managers_and_employees_do_not_manage_customers(app, field, email):
    client = _browser(app, email)
    shop = field["shop"]
    for url in (
        "/customers",
        "/customers/new",
        f"/customers/{shop.id}",
        "/customers/export.csv",
        "/customers/import",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/customers/{shop.id}/active", data={"active": "0"}).status_code == 403
    assert client.post("/customers/new", data=_form()).status_code == 403


def test_implementers_manage_customers(app, field, make):
    make.member(field["org"], "imp@acme.example", roles=("implementer",))
    client = _browser(app, "imp@acme.example")
    assert client.get("/customers").status_code == 200
    assert client.post("/customers/new", data=_form()).status_code == 302


def test_another_organizations_customer_is_a_404(app, db, field, make):
    other = make.org("other")
    make.member(other, "hr@other.example")
    client = _browser(app, "hr@other.example")
    shop = field["shop"]
    assert client.get(f"/customers/{shop.id}").status_code == 404
    assert client.post(f"/customers/{shop.id}", data=_form(code="X")).status_code == 404
    assert client.post(f"/customers/{shop.id}/active", data={"active": "0"}).status_code == 404
    assert "徐汇旗舰店" not in client.get("/customers?status=all").text
    assert "徐汇旗舰店" not in client.get("/customers/export.csv").text
    assert _customer(db, "C001").active is True


def test_the_export_escapes_formulas_and_imports_back(hr, db, field):
    org, fay = field["org"], field["people"]["F1"]
    db.add(
        Customer(
            organization_id=org.id,
            code="Z9",
            name='=HYPERLINK("http://x","点我")',
            address="-2+3",
            reps=[fay],
        )
    )
    db.commit()
    text = hr.get("/customers/export.csv?status=all").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "code",
        "name",
        "address",
        "kind",
        "reps",
        "latitude",
        "longitude",
        "radius_m",
        "active",
    ]
    z9 = next(r for r in rows if r[0] == "Z9")
    assert z9[1].startswith("'=HYPERLINK") and z9[2] == "'-2+3" and z9[4] == "F1"
    assert next(r for r in rows if r[0] == "C001")[5:] == ["31.188", "121.437", "200", "yes"]
    book = load_workbook(io.BytesIO(hr.get("/customers/export.xlsx").data))
    cells = {row[0].value: row for row in book.active.iter_rows(min_row=2)}
    assert cells["Z9"][1].data_type == "s" and cells["Z9"][1].quotePrefix


def test_a_chinese_export_has_headers_the_import_reads(app, field):
    client = _browser(app, "hr@acme.example", "zh")
    text = client.get("/customers/export.csv").data.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header == [
        "客户编码",
        "客户名称",
        "地址",
        "客户类型",
        "负责人工号",
        "纬度",
        "经度",
        "围栏半径（米）",
        "启用（是/否）",
    ]
    assert "是" in text.splitlines()[1]


# -- services for the phone and the metrics ---------------------------------------------------


def test_the_picker_offers_the_reps_own_customers_first(db, field):
    org, fay, max_ = field["org"], field["people"]["F1"], field["people"]["M1"]
    mine = Customer(organization_id=org.id, code="M2", name="z 我的店", reps=[fay])
    theirs = Customer(organization_id=org.id, code="T1", name="a 别人的店", reps=[max_])
    closed = Customer(organization_id=org.id, code="X1", name="店 已停用", reps=[fay], active=False)
    db.add_all([mine, theirs, closed])
    db.commit()

    def codes(*args, **kwargs):
        return [c.code for c in customers_for(db, *args, **kwargs).items]

    assert codes(fay)[0] == "M2" and set(codes(fay)) == {"M2", "T1", "C001"}  # not X1
    assert codes(fay, "店")[0] == "M2" and set(codes(fay, "店")) == {"M2", "T1", "C001"}
    assert codes(fay, "店", per_page=1) == ["M2"]
    assert codes(fay, "徐汇") == ["C001"]
    assert assigned_count(db, fay) == 1 and assigned_count(db, max_) == 1
    other = Employee(organization_id=org.id, number="N1", name="新人")
    db.add(other)
    db.commit()
    assert set(codes(other)) == {"M2", "T1", "C001"} and assigned_count(db, other) == 0


# sign-in and membership, the page of rows, its count, the reps of the page, the filters' lists
STATEMENTS_PER_LIST_PAGE = 12


def test_the_list_loads_one_page_at_twenty_thousand_customers(app, hr, db, field):
    """Only one page is loaded (and its reps), in a fixed number of statements: a request's
    cost depends on the page, not on the 20,000 customers (timings are `make bench`'s)."""
    from sqlalchemy import insert

    from appraisal.models.fieldwork import customer_reps

    org, fay = field["org"], field["people"]["F1"]
    db.execute(
        insert(Customer),
        [
            {
                "organization_id": org.id,
                "code": f"K{i:05}",
                "name": f"客户 {i:05}",
                "address": f"上海市 {i % 16} 区",
                "kind": ("门店", "商超", "经销商")[i % 3],
            }
            for i in range(20_000)
        ],
    )
    ids = db.scalars(select(Customer.id).where(Customer.code.like("K%")).limit(300)).all()
    db.execute(insert(customer_reps), [{"customer_id": i, "employee_id": fay.id} for i in ids])
    db.commit()
    statements = []

    def count(*_args):
        statements.append(1)

    engine = app.extensions["appraisal.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        for query in (
            "",
            "q=客户 199",
            f"rep={fay.id}",
            "kind=商超&page=300",
            "status=all&page=1000",
        ):
            statements.clear()
            response = hr.get(f"/customers?{query}")
            assert response.status_code == 200
            # one page of rows and their reps, whatever the number of customers
            assert response.text.count('data-code="') <= 20, query
            assert len(statements) <= STATEMENTS_PER_LIST_PAGE, (query, len(statements))
        statements.clear()
        picked = customers_for(db, fay, "客户 1")
        assert len(statements) <= 2  # the page and its count
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(picked.items) == 30 and assigned_count(db, fay) == 300
