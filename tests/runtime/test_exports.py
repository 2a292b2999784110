"""The payroll export: every figure in it is the engine's."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from appraisal.rules import score
from appraisal.runtime import figures, reviews
from appraisal.runtime.reviews import official_inputs
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
        ("manager", {"customer_care": 3, "teamwork": 4}),
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
