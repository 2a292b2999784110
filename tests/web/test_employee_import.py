"""Employee import from files: the bad inputs Chinese SMEs' exports bring, a dry run with
every row's outcome, all-or-nothing apply, and the remembered mapping."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from appraisal.models import Department, Employee
from tests.conftest import field_errors

HEADER_ZH = "工号,姓名,部门,岗位,上级工号,入职日期,状态\n"


def upload(client, content: bytes, name: str = "people.csv", encoding: str = "auto"):
    return client.post(
        "/people/employees/import",
        data={"file": (io.BytesIO(content), name), "encoding": encoding},
        content_type="multipart/form-data",
    )


def mapping_url(response) -> str:
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def dry_run(client, url: str, **mapping):
    form = {"action": "check", **{f"map_{k}": v for k, v in mapping.items()}}
    return client.post(url, data=form)


def zh_mapping(**override):
    return {
        "number": "工号",
        "name": "姓名",
        "department": "部门",
        "position": "岗位",
        "manager_number": "上级工号",
        "hire_date": "入职日期",
        "status": "状态",
    } | override


def login_hr(auth, make):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    return org


def test_a_gbk_file_with_semicolons_and_three_date_formats_imports(client, auth, db, make):
    login_hr(auth, make)
    text = (
        "工号;姓名;部门;岗位;上级工号;入职日期;状态\n"
        "E2;李静;人力资源部;人事专员;E1;2019/07/15;在职\n"
        ";;;;;;\n"
        "E1;王建国;总经办;总经理;;2015-03-01;在职\n"
        "E3;张伟;财务部;会计;E1;2018年5月20日;离职\n"
    )
    url = mapping_url(upload(client, text.encode("gbk")))
    page = client.get(url).text
    assert "read as GBK" in page and "<code>;</code>" in page
    assert '<option selected value="工号">' in page  # guessed from the header

    response = client.post(
        url, data={"action": "check", **{f"map_{k}": v for k, v in zh_mapping().items()}}
    )
    assert 'data-count="create">3<' in response.text
    assert db.scalar(select(func.count(Employee.id))) == 0  # a dry run saves nothing

    response = client.post(
        url, data={"action": "apply", **{f"map_{k}": v for k, v in zh_mapping().items()}}
    )
    assert response.status_code == 302
    jing = db.scalar(select(Employee).where(Employee.number == "E2"))
    assert jing.manager.number == "E1" and str(jing.hire_date) == "2019-07-15"
    assert db.scalar(select(Employee.status).where(Employee.number == "E3")) == "left"
    assert db.scalar(select(func.count(Department.id))) == 3


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_applied(client, auth, db, make):
    login_hr(auth, make)
    text = HEADER_ZH + (
        "E1,王建国,总经办,总经理,,2015-03-01,在职\n"
        "E1,重复,总经办,总经理,,2015-03-01,在职\n"
        "E4,无上级,总经办,总经理,E99,2015-03-01,在职\n"
        "E5,坏日期,总经办,总经理,,01/03/2015,在职\n"
        "E6,甲,总经办,总经理,E7,,在职\n"
        "E7,乙,总经办,总经理,E6,,在职\n"
    )
    url = mapping_url(upload(client, ("\ufeff" + text).encode("utf-8")))
    response = dry_run(client, url, **zh_mapping())
    assert response.status_code == 422
    errors = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", response.text)
    assert [(row, column) for row, column, _ in errors] == [  # named as the mapping names them
        ("3", "Employee number"),
        ("4", "Manager's employee number"),
        ("5", "Hire date"),
        ("6", "Manager's employee number"),
    ]
    assert "E1 is also on row 2" in errors[0][2]
    assert "reporting loop: E6 → E7 → E6" in errors[3][2]
    assert 'id="apply"' not in response.text
    response = client.post(
        url, data={"action": "apply", **{f"map_{k}": v for k, v in zh_mapping().items()}}
    )
    assert response.status_code == 422
    assert db.scalar(select(func.count(Employee.id))) == 0


def test_a_column_mapped_twice_is_refused_at_the_field(client, auth, make):
    login_hr(auth, make)
    url = mapping_url(upload(client, (HEADER_ZH + "E1,王,总经办,总经理,,,在职\n").encode()))
    response = dry_run(client, url, **zh_mapping(department="姓名"))
    assert response.status_code == 422
    assert "column 姓名 is already mapped to name" in field_errors(response.text)


def test_file_problems_are_shown_at_the_file_field(client, auth, make):
    login_hr(auth, make)
    response = upload(client, b"", "empty.csv")
    assert field_errors(response.text) == ["The file is empty."]
    response = upload(client, b"PK\x03\x04 not really excel", "x.xlsx")
    assert "This is not an Excel (.xlsx) file we can read." in field_errors(response.text)
    response = upload(client, "工号,姓名\n".encode("gbk"), encoding="utf-8")
    assert "The file cannot be read as UTF-8; try another encoding." in field_errors(response.text)
    response = upload(client, b"number,number\nE1,E2\n")
    assert "Two columns are both called number." in field_errors(response.text)
    response = upload(client, b"a,b\n", "x.pdf")
    assert "Use a .csv or .xlsx file." in field_errors(response.text)


def test_xlsx_with_real_dates_and_the_mapping_is_remembered(client, auth, db, make):
    from datetime import datetime

    login_hr(auth, make)
    book = Workbook()
    sheet = book.active
    sheet.append(["Employee number", "Name", "Hire date", "Manager"])
    sheet.append(["E1", "Ann", datetime(2024, 3, 1), None])
    sheet.append([1002, "Bob", "2024.03.02", "E1"])
    buffer = io.BytesIO()
    book.save(buffer)
    url = mapping_url(upload(client, buffer.getvalue(), "people.xlsx"))
    mapping = {
        "number": "Employee number",
        "name": "Name",
        "hire_date": "Hire date",
        "manager_number": "Manager",
    }
    response = client.post(
        url, data={"action": "apply", **{f"map_{k}": v for k, v in mapping.items()}}
    )
    assert response.status_code == 302
    bob = db.scalar(select(Employee).where(Employee.number == "1002"))
    assert bob.manager.number == "E1" and str(bob.hire_date) == "2024-03-02"

    book = Workbook()
    book.active.append(["Employee number", "Name", "Hire date", "Manager"])
    book.active.append(["E1", "Ann Lee", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    page = client.get(mapping_url(upload(client, buffer.getvalue(), "again.xlsx"))).text
    assert '<option selected value="Manager">' in page  # remembered, not guessable


def test_a_thousand_rows_with_a_few_bad_ones_import_after_fixing(client, auth, db, make):
    login_hr(auth, make)
    lines = ["工号,姓名,部门,岗位,上级工号,入职日期"]
    for n in range(1, 1001):
        boss = "" if n == 1 else f"P{(n - 1) // 10 + 1:04d}"
        day = "2024-13-01" if n in (10, 500, 999) else "2024-01-15"
        lines.append(f"P{n:04d},员工{n},部门{n % 7},岗位{n % 5},{boss},{day}")
    url = mapping_url(upload(client, "\n".join(lines).encode()))
    mapping = zh_mapping(status="")
    response = dry_run(client, url, **mapping)
    assert 'data-count="error">3<' in response.text and 'data-count="create">997<' in response.text
    assert db.scalar(select(func.count(Employee.id))) == 0

    fixed = [line.replace("2024-13-01", "2024-12-01") for line in lines]
    url = mapping_url(upload(client, "\n".join(fixed).encode()))
    response = client.post(
        url, data={"action": "apply", **{f"map_{k}": v for k, v in mapping.items()}}
    )
    assert response.status_code == 302
    assert db.scalar(select(func.count(Employee.id))) == 1000
    assert db.scalar(select(Employee).where(Employee.number == "P0500")).manager.number == "P0050"


def test_sample_file_and_someone_elses_upload(client, auth, db, make):
    org = login_hr(auth, make)
    sample = client.get("/people/employees/import/sample.csv").data.decode("utf-8-sig")
    assert sample.startswith(
        "number,name,email,department,position,manager_number,hire_date,status"
    )
    url = mapping_url(upload(client, sample.encode()))
    response = client.post(
        url,
        data={
            "action": "apply",
            **{
                f"map_{k}": k
                for k in (
                    "number",
                    "name",
                    "email",
                    "department",
                    "position",
                    "manager_number",
                    "hire_date",
                    "status",
                )
            },
        },
    )
    assert response.status_code == 302
    assert db.scalar(select(func.count(Employee.id))) == 3
    assert client.get(url).status_code == 404  # applied uploads are discarded

    waiting = mapping_url(upload(client, sample.encode()))
    make.member(org, "hr2@acme.example")
    auth.logout()
    auth.login("hr2@acme.example")
    assert client.get(waiting).status_code == 404  # another person's upload


def test_the_command_line_import_with_its_progress_bar(runner, db, make, tmp_path):
    make.org("acme")
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER_ZH + "E1,王建国,总经办,总经理,,2015-03-01,在职\nE2,李静,人力资源部,人事专员,E1,,\n",
        encoding="utf-8",
    )
    checked = runner.invoke(args=["employees", "import", str(path), "--org", "acme", "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert "Dry run: 2 to create" in checked.output
    assert db.scalar(select(func.count(Employee.id))) == 0
    done = runner.invoke(args=["employees", "import", str(path), "--org", "acme"])
    assert "Imported: 2 to create" in done.output
    assert db.scalar(select(func.count(Employee.id))) == 2
    path.write_text(HEADER_ZH + "E3,错,总经办,总经理,E9,,\n", encoding="utf-8")
    refused = runner.invoke(args=["employees", "import", str(path), "--org", "acme"])
    assert refused.exit_code == 1 and "row 2, manager_number" in refused.output


def test_fifty_thousand_rows_are_read_and_one_more_is_refused():
    from appraisal.errors import ServiceError
    from appraisal.uploads import MAX_ROWS, read_table

    lines = ["number,name"] + [f"E{n},N{n}" for n in range(MAX_ROWS)]
    assert len(read_table("\n".join(lines).encode(), "big.csv").rows) == 50_000
    with pytest.raises(ServiceError) as refused:
        read_table("\n".join([*lines, "X,Y"]).encode(), "big.csv")
    assert "at most 50000" in str(refused.value.message)


def test_control_characters_in_a_file_are_refused_by_row_and_column(client, auth, db, make):
    """A file is a boundary too: what the request hook refuses in a form, a row refuses."""
    login_hr(auth, make)
    text = (
        HEADER_ZH
        + "E1,王\x01建国,总经办,总经理,,2015-03-01,在职\nE2,李雷,总经办\x1b,总经理,,,在职\n"
    )
    url = mapping_url(upload(client, text.encode("utf-8")))
    response = dry_run(client, url, **zh_mapping())
    assert response.status_code == 422
    errors = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", response.text)
    assert [(row, column) for row, column, _ in errors] == [("2", "Full name"), ("3", "Department")]
    assert "control character (U+0001)" in errors[0][2]
    assert db.scalar(select(func.count(Employee.id))) == 0


def check(db, org, rows):
    """A dry run of the service; its report, refused or not."""
    from appraisal.people import imports

    try:
        return imports.upsert_employees(db, org.id, rows, None, dry_run=True, first_row=2)
    except imports.RowsRefused as refused:
        return refused.report


def person(number: str, boss: str = "", **fields) -> dict[str, str]:
    return {"number": number, "name": number, "manager_number": boss, **fields}


def test_every_reporting_loop_is_reported_once_on_its_first_row_with_its_chain(db, make):
    org = make.org("acme")
    make.employee(org, "X1")  # already here, outside any loop
    rows = [
        person("A", "C"),  # leads into the loop C → B → C without being part of it
        person("B", "C"),
        person("C", "B"),
        person("D", "D"),  # reports to oneself
        person("E", "F"),
        person("F", "G"),
        person("G", "E"),
        person("H", "X1"),
        person("K", "A"),
    ]
    report = check(db, org, rows)
    loops = [(e.row, str(e.message)) for e in report.errors if "loop" in str(e.message)]
    assert loops == [
        (3, "reporting loop: B → C → B"),
        (5, "reporting loop: D → D"),
        (6, "reporting loop: E → F → G → E"),
    ]
    assert any(e.row == 5 and "oneself" in str(e.message) for e in report.errors)
    assert [o.outcome for o in report.outcomes] == [
        "create", "error", "create", "error", "error", "create", "create", "create", "create"
    ]  # fmt: skip


def test_a_long_chain_closing_into_a_loop_at_its_end_is_one_loop(db, make):
    """4,000 people in one reporting line (the shape that took 138 s), the top one reporting
    to the fourth from the bottom."""
    from bench.__main__ import chain_rows

    org = make.org("acme")
    rows = chain_rows(4_000)
    assert check(db, org, rows).errors == []
    rows[0]["manager_number"] = "C03997"
    errors = check(db, org, rows).errors
    assert len(errors) == 1 and errors[0].row == 2
    chain = str(errors[0].message).removeprefix("reporting loop: ").split(" → ")
    assert chain[0] == chain[-1] == "C00001" and len(chain) == 3_998


def test_fifty_thousand_rows_each_with_an_error_are_all_reported(db, make):
    from bench.__main__ import error_rows

    org = make.org("acme")
    report = check(db, org, error_rows(50_000))
    assert len(report.errors) == 50_000 and report.count("error") == 50_000
    assert report.errors[-1].row == 50_001 and report.errors[-1].column == "hire_date"
