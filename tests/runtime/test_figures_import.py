"""A cycle's figures (and HR's targets) from a spreadsheet: mapped by name, dry run, all or
nothing, and the figures then count in the appraisals."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from appraisal.models import Review
from appraisal.runtime.cycles import figures
from tests.conftest import statements_sent
from tests.runtime.conftest import appraisal_of


def upload(client, cycle_id, text: str, name="figures.csv"):
    response = client.post(
        f"/cycles/{cycle_id}/figures/import",
        data={"file": (io.BytesIO(text.encode("gbk")), name), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def test_figures_and_targets_from_a_chinese_spreadsheet(client, auth, db, company, launched):
    auth.login("hr@acme.example")
    url = upload(
        client,
        launched.id,
        "工号,销售额,Collection rate,complaints,目标：销售额\n"
        "A001,112000,96,1,100000\nP001,,90,0,\n",
    )
    page = client.get(url).text
    assert ">Sales amount</label>" in page
    assert '<option selected value="销售额">' in page  # matched by the item's Chinese name
    assert '<option selected value="Collection rate">' in page  # by its English name
    assert '<option selected value="目标：销售额">' in page
    mapping = {
        "map_employee_number": "工号",
        "map_data:sales": "销售额",
        "map_data:collection": "Collection rate",
        "map_data:complaints": "complaints",
        "map_target:sales": "目标：销售额",
    }
    response = client.post(url, data={"action": "check", **mapping})
    assert "6 values, 6 would change" in response.text
    assert db.scalar(select(Review).where(Review.slot == "data")) is None  # a dry run

    response = client.post(url, data={"action": "apply", **mapping})
    assert response.status_code == 302
    ann = appraisal_of(db, company, "ann")
    assert ann.targets == {"sales": 100000}
    assert next(r for r in ann.reviews if r.slot == "data").values == {
        "sales": 112000,
        "collection": 96,
        "complaints": 1,
    }


def test_bad_cells_are_listed_by_row_and_nothing_is_saved(client, auth, db, company, launched):
    auth.login("imp@acme.example")
    url = upload(client, launched.id, "工号,销售额\nA001,12k\nZ999,5\nP001,7\n")
    page = client.get(url).text
    assert "目标" not in page  # implementers import figures, not targets
    response = client.post(
        url, data={"action": "apply", "map_employee_number": "工号", "map_data:sales": "销售额"}
    )
    assert response.status_code == 422
    assert "<td>2</td><td>A001</td><td>sales</td>" in response.text
    assert "<td>3</td><td>Z999</td><td>sales</td>" in response.text
    assert db.scalar(select(Review).where(Review.slot == "data")) is None


def test_employee_number_column_is_required(client, auth, company, launched):
    auth.login("hr@acme.example")
    url = upload(client, launched.id, "who,销售额\nA001,1\n")
    response = client.post(url, data={"action": "check", "map_data:sales": "销售额"})
    assert response.status_code == 422
    assert "choose the column that holds this" in response.text


def test_the_encoding_can_be_changed_on_the_mapping_step(client, auth, company, launched):
    auth.login("hr@acme.example")
    url = upload(client, launched.id, "工号,销售额\nA001,5\n")
    assert "read as GBK" in client.get(url).text
    response = client.post(url, data={"enc-encoding": "latin-1", "enc-read_again": "y"})
    assert response.status_code == 302
    page = client.get(url).text
    assert "read as LATIN-1" in page and "销售额" not in page


def _imports_everything(client, db, company, url, mapping) -> None:
    page = client.get(url).text
    for column in mapping.values():
        assert f'<option selected value="{column}">' in page, column  # recognised
    response = client.post(url, data={"action": "apply", **mapping})
    assert response.status_code == 302, response.text
    ann = appraisal_of(db, company, "ann")
    assert ann.targets == {"sales": 100000}
    assert next(r for r in ann.reviews if r.slot == "data").values == {
        "sales": 112000,
        "collection": 96,
        "complaints": 1,
    }


@pytest.mark.parametrize(
    "header",
    [
        [
            "Employee number",
            "Sales amount",
            "Collection rate",
            "Valid complaints",
            "Target: Sales amount",
        ],
        ["employee_number", "sales", "collection", "complaints", "target:sales"],
        ["工号", "销售额", "Collection rate", "Valid complaints", "目标：销售额"],
    ],
    ids=["english names", "keys", "chinese names"],
)
def test_figures_files_with_headers_in_either_language_import(
    client, auth, db, company, launched, header
):
    auth.login("hr@acme.example")
    url = upload(client, launched.id, ",".join(header) + "\nA001,112000,96,1,100000\n")
    names = ["employee_number", "data:sales", "data:collection", "data:complaints", "target:sales"]
    mapping = {f"map_{name}": column for name, column in zip(names, header, strict=True)}
    _imports_everything(client, db, company, url, mapping)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_figures_sheet_imports_back(client, auth, db, company, launched, language):
    """The sheet a cycle's figures page offers, in the user's language, is a file the import
    reads back as it is: export, fill in, import."""
    auth.login("hr@acme.example")
    client.post("/language", data={"language": language})
    sheet = client.get(f"/cycles/{launched.id}/figures/sheet.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.data))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    header = rows[0]
    if language == "zh":
        assert header[:2] == ["工号", "销售额"] and "目标：销售额" in header
    else:
        assert header[:2] == ["employee_number", "sales"] and "target:sales" in header
    filled = {"A001": {1: 112000, 2: 96, 3: 1, header.index(header[-1]): 100000}}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows[1:]:
        values = filled.get(row[0], {})
        writer.writerow([values.get(i, "" if v is None else v) for i, v in enumerate(row)])
    url = upload(client, launched.id, out.getvalue())
    names = [n for n, _label in figures.file_columns(launched, with_targets=True)]
    mapping = {f"map_{name}": column for name, column in zip(names, header, strict=True)}
    _imports_everything(client, db, company, url, mapping)


def test_an_employee_listed_twice_with_different_values_is_refused(
    client, auth, db, company, launched
):
    """A file with A001 on two rows (two months pasted together): which is meant cannot be
    guessed, so nothing is saved and both rows are named; the same value twice is fine."""
    auth.login("hr@acme.example")
    mapping = {"map_employee_number": "工号", "map_data:sales": "销售额"}
    url = upload(client, launched.id, "工号,销售额\nA001,112000\nP001,90000\nA001,98000\n")
    response = client.post(url, data={"action": "apply", **mapping})
    assert response.status_code == 422
    clash = "<td>sales</td><td>Given more than once with different values</td>"
    assert f"<td>2</td><td>A001</td>{clash}" in response.text
    assert f"<td>4</td><td>A001</td>{clash}" in response.text
    assert "<td>3</td><td>P001</td><td>sales</td>" not in response.text  # not in the errors
    assert db.scalar(select(Review).where(Review.slot == "data")) is None

    url = upload(client, launched.id, "工号,销售额\nA001,112000\nA001,112000.0\n")
    assert client.post(url, data={"action": "apply", **mapping}).status_code == 302
    ann = appraisal_of(db, company, "ann")
    assert next(r for r in ann.reviews if r.slot == "data").values == {"sales": 112000}


def test_a_cell_named_twice_in_one_save_is_refused_everywhere(db, company, launched):
    """The same rule for the grids and the API, which send entries too."""
    entries = [figures.Entry("A001", "sales", 1, row=0), figures.Entry("A001", "sales", 2, row=1)]
    with pytest.raises(figures.EntriesRefused) as refused:
        figures.set_figures(db, launched, entries, None)
    assert [(e.row, e.key) for e in refused.value.errors] == [(0, "sales"), (1, "sales")]
    hr = company.viewer(db, "hr@acme.example")
    targets = [figures.Entry("A001", "sales", 5, row=0), figures.Entry("A001", "sales", 6, row=1)]
    with pytest.raises(figures.EntriesRefused):
        figures.set_targets(db, launched, targets, hr)


def test_a_cycles_first_figures_make_their_reviews_in_one_statement(app, db, company, launched):
    """Setting everyone's figures for the first time makes each appraisal's figures review
    in one INSERT, not one per person (10,000 statements for a 10k cycle), each holding its
    values once; a save of them again writes no review."""
    appraisals = figures.cycle_appraisals(db, launched)
    assert not [r for a in appraisals for r in a.reviews if r.slot == "data"]
    entries = [
        figures.Entry(a.employee.number, "sales", str(1000 + n)) for n, a in enumerate(appraisals)
    ]
    with statements_sent(app) as seen:
        figures.set_figures(db, launched, entries, None)
        db.commit()
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO REVIEWS")]
    assert len(inserts) <= 1, inserts  # on PostgreSQL a COPY, which the driver sends itself
    db.expire_all()
    made = list(db.scalars(select(Review).where(Review.slot == "data")))
    assert sorted(r.appraisal_id for r in made) == sorted(a.id for a in appraisals)
    for n, appraisal in enumerate(appraisals):
        review = next(r for r in made if r.appraisal_id == appraisal.id)
        assert review.values["sales"] == 1000 + n and review.rater == "data"
    assert figures.set_figures(db, launched, entries, None) == 0
