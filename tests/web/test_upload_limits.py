"""Hostile and broken uploads: zip and XML bombs, forged sizes, broken XML, files too wide or
too long, and a Western CSV that GB18030 would silently turn into Chinese. Each ends with a
message at the file field (or a 413 page), never a 500, with memory bounded."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from sqlalchemy import select

from appraisal.errors import ServiceError
from appraisal.models import Employee
from appraisal.uploads import MAX_CELL_CHARS, MAX_COLUMNS, read_table
from tests.conftest import field_errors
from tests.web import xlsx_files
from tests.web.test_employee_import import login_hr, mapping_url, upload


def read(raw: bytes, name: str = "people.xlsx", encoding: str = "auto"):
    return read_table(raw, name, encoding)


def refusal(raw: bytes, name: str = "people.xlsx") -> str:
    with pytest.raises(ServiceError) as refused:
        read(raw, name)
    assert refused.value.field == "file"
    return str(refused.value.message)


HOSTILE = {
    "zip bomb": (lambda: xlsx_files.zip_bomb(130), "unpacks to more than 256 MB"),
    "thousands of parts": (xlsx_files.many_parts, "parts inside"),
    "billion laughs in a sheet": (xlsx_files.billion_laughs, "declares a DTD or entities"),
    "billion laughs in the shared strings": (
        lambda: xlsx_files.billion_laughs(xlsx_files.STRINGS),
        "xl/sharedStrings.xml declares a DTD",
    ),
    "an external entity": (xlsx_files.external_entity, "declares a DTD or entities"),
    "broken XML": (xlsx_files.broken_xml, "is not valid XML (line 1)"),
    "a row wider than Excel": (xlsx_files.wide_row, "more than 16384 cells"),
    "a huge shared string": (
        xlsx_files.huge_shared_string,
        f"Row 1, column 2 has 3000000 characters; at most {MAX_CELL_CHARS}.",
    ),
    "millions of shared strings": (
        lambda: xlsx_files.many_shared_strings(1_010_000),
        "more than 1000000 different texts",
    ),
    "half a million styles": (xlsx_files.many_styles, "formats, styles and other settings"),
    "not a zip": (lambda: b"PK\x03\x04 not really excel", "not an Excel (.xlsx) file"),
    "a zip without a workbook": (
        lambda: xlsx_files.replaced(b"PK\x05\x06" + b"\0" * 18, {"a.txt": b"hello"}),
        "not an Excel (.xlsx) file",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_or_broken_workbook_is_refused_with_a_message(name):
    build, message = HOSTILE[name]
    assert message in refusal(build())


def test_the_web_upload_shows_the_refusal_at_the_file_field_in_both_languages(client, auth, make):
    login_hr(auth, make)
    response = upload(client, xlsx_files.billion_laughs(), "people.xlsx")
    assert response.status_code == 422
    assert any("declares a DTD or entities" in e for e in field_errors(response.text))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    client.post("/language", data={"language": "zh"})
    response = upload(client, xlsx_files.broken_xml(), "people.xlsx")
    assert response.status_code == 422
    assert any("不是有效的 XML" in e for e in field_errors(response.text)), response.text


def test_a_forged_dimension_is_ignored_and_memory_stays_small():
    """The file claims A1:XFD1048576; openpyxl used to pad each row to 16,384 cells (2,000
    rows: 260 MB of pointers alone). Read now as the two columns it really has."""
    raw = xlsx_files.forged_dimension(2_000)
    tracemalloc.start()
    try:
        table = read(raw)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table.header == ["number", "name"]
    assert len(table.rows) == 1_998 and table.rows[-1] == ["E1999", "N1999"]
    assert peak < 40 * 1024 * 1024


def test_a_value_in_the_last_cell_excel_has_does_not_widen_the_table():
    table = read(xlsx_files.far_cell())
    assert table.header == ["number", "name"] and table.rows == [["E1", "Ann"], ["E2", "Bob"]]


def test_too_many_columns_or_too_long_a_cell_is_refused_in_csv_too():
    wide = ",".join(f"c{n}" for n in range(MAX_COLUMNS + 1)) + "\n" + "1\n"
    assert f"at most {MAX_COLUMNS}" in refusal(wide.encode(), "wide.csv")
    long = "number,name\nE1," + "x" * (MAX_CELL_CHARS + 1) + "\n"
    assert "Row 2, column 2 has 32768 characters" in refusal(long.encode(), "long.csv")
    assert "not a text (CSV) file" in refusal(b"number,name\nE1,\x00\x01\x02\n", "bin.csv")


def test_a_latin1_csv_is_detected_and_imports_with_the_right_names(client, auth, db, make):
    login_hr(auth, make)
    text = "Employee number,Name\nE1,José Müller\nE2,Françoise Gärtner\nE3,Zoë Ångström\n"
    url = mapping_url(upload(client, text.encode("cp1252")))
    page = client.get(url).text
    assert "read as LATIN-1" in page and "José Müller" in page
    assert '<option selected value="latin-1">' in page  # the encoding offered on the page
    response = client.post(
        url, data={"action": "apply", "map_number": "Employee number", "map_name": "Name"}
    )
    assert response.status_code == 302, response.text
    names = db.scalars(select(Employee.name).order_by(Employee.number)).all()
    assert names == ["José Müller", "Françoise Gärtner", "Zoë Ångström"]


def test_western_text_that_gb18030_would_accept_is_not_taken_for_chinese():
    raw = "number,name\nE1,Müller\nE2,Françoise\n".encode("cp1252")
    raw.decode("gb18030")  # decodes without an error: the silent garbling of the issue
    table = read(raw, "people.csv")
    assert table.encoding == "latin-1" and table.rows[0] == ["E1", "Müller"]
    chinese = "工号,姓名\nE1,王堃\nE2,李喆\n".encode("gbk")  # rare characters outside GB2312
    assert read(chinese, "people.csv").rows[0] == ["E1", "王堃"]


def test_the_encoding_can_be_changed_on_the_mapping_step_and_the_preview_follows(
    client, auth, make
):
    login_hr(auth, make)
    url = mapping_url(upload(client, "number,name\nE1,Müller\n".encode("cp1252")))
    response = client.post(url, data={"enc-encoding": "gbk", "enc-read_again": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = client.get(url).text
    assert "read as GBK" in page and "Müller" not in page
    assert '<option selected value="gbk">' in page

    response = client.post(url, data={"enc-encoding": "utf-8", "enc-read_again": "y"})
    assert response.status_code == 422
    assert "The file cannot be read as UTF-8; try another encoding." in field_errors(response.text)
    assert "read as GBK" in response.text  # the file as it was read stays

    client.post(url, data={"enc-encoding": "latin-1", "enc-read_again": "y"})
    page = client.get(url).text
    assert "read as LATIN-1" in page and "<td>Müller</td>" in page


def test_an_xlsx_upload_offers_no_encoding(client, auth, make):
    login_hr(auth, make)
    url = mapping_url(
        upload(client, xlsx_files.genuine([["number", "name"], ["E1", "Ann"]]), "p.xlsx")
    )
    assert 'id="encoding-form"' not in client.get(url).text
    response = client.post(url, data={"enc-encoding": "gbk", "enc-read_again": "y"})
    assert response.status_code == 422
    assert "Only a CSV file can be read in another encoding." in field_errors(response.text)


def test_an_upload_beyond_the_request_limit_gets_a_friendly_413(client, auth, make, app):
    login_hr(auth, make)
    big = b"number,name\n" + b"E1,N\n" * (app.config["MAX_CONTENT_LENGTH"] // 5 + 10)
    # a body built here (the test client would spool a large file to a temporary file that
    # stays open when the app refuses to read it)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        + big
        + b"\r\n--b--\r\n"
    )
    response = client.post(
        "/people/employees/import", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 413
    assert "at most 10 MB can be sent at once" in response.text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested at most 64 levels deep"),
        (b'{"key": ' + b"1" * 5_000 + b"}", "a number too long"),
    ],
    ids=["nested", "long number"],
)
def test_a_template_file_nesting_too_deep_or_with_a_huge_number_gets_a_message(
    client, make, auth, raw, message
):
    login_hr(auth, make)
    response = client.post(
        "/builder/templates/import",
        data={"file": (io.BytesIO(raw), "template.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in " ".join(field_errors(response.get_data(as_text=True)))
