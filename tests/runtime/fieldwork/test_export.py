"""Export of a period's records: one row per record, values under the form's labels,
formula-safe cells; HR gets everyone's, a manager their team's, never another team's."""

from __future__ import annotations

import csv
import io
import uuid as uuids
from datetime import UTC, datetime

from appraisal.runtime.fieldwork.records import record_activity

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _visit(db, field, number, **values):
    record_activity(
        db,
        field["viewer"](number),
        field["people"][number],
        uuid=str(uuids.uuid4()),
        type_key="customer_visit",
        values={"customer": field["shop"].id, **values},
        occurred_at=AT,
    )
    db.commit()


def _rows(response):
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_manager_exports_the_teams_records_by_the_forms_labels(client, auth, db, field):
    _visit(db, field, "F1", purpose="collect", amount="1200")
    _visit(db, field, "O1", purpose="demo")  # Olga's own: not Max's team
    auth.login("max@acme.example")
    url = "/field/records.csv?from=2026-03-01&to=2026-03-31"
    response = client.get(url, headers={"Accept-Language": "zh"})
    assert response.status_code == 200
    rows = _rows(response)
    assert len(rows) == 2  # header + Fay's record
    header, row = rows
    assert "客户拜访 · 目的" in header and "客户拜访 · 收款金额" in header
    assert row[header.index("客户拜访 · 收款金额")] == "1200.00"
    assert row[header.index("客户拜访 · 目的")] == "收款"  # the option's label
    assert row[1] == "F1" and "徐汇旗舰店" in row
    english = _rows(client.get(url, headers={"Accept-Language": "en"}))[0]
    assert "customer_visit.amount" in english and "employee_number" in english


def test_formula_like_values_are_text(client, auth, db, field):
    from appraisal.models import ActivityRecord

    _visit(db, field, "F1", purpose="demo")
    record = db.query(ActivityRecord).one()
    record.review_comment = '=HYPERLINK("http://x")'
    db.commit()
    auth.login("hr@acme.example")
    rows = _rows(client.get("/field/records.csv?from=2026-03-10&to=2026-03-10"))
    assert '\'=HYPERLINK("http://x")' in rows[1]
    xlsx = client.get("/field/records.xlsx?from=2026-03-10&to=2026-03-10")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_hr_exports_everyone_and_a_bad_period_is_422(client, auth, db, field):
    _visit(db, field, "F1", purpose="demo")
    _visit(db, field, "O1", purpose="demo")
    auth.login("hr@acme.example")
    rows = _rows(client.get("/field/records.csv?from=2026-03-01&to=2026-03-31"))
    assert sorted(r[1] for r in rows[1:]) == ["F1", "O1"]
    backwards = client.get("/field/records.csv?from=2026-03-31&to=2026-03-01")
    assert backwards.status_code == 422 and 'data-error-for="to"' in backwards.text
    too_long = client.get("/field/records.csv?from=2024-01-01&to=2026-03-01")
    assert too_long.status_code == 422
    assert client.get("/field/records.csv").status_code == 422


def test_an_employee_exports_only_their_own(client, auth, db, field):
    _visit(db, field, "F1", purpose="demo")
    auth.login("ed@acme.example")
    rows = _rows(client.get("/field/records.csv?from=2026-03-01&to=2026-03-31"))
    assert len(rows) == 1
