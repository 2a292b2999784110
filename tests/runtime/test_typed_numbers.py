"""Numbers no figure can be ("nan", "inf", "1e400", 10,000 digits) typed into every door that
reads a typed figure: refused beside the field with what was typed kept, nothing saved,
never a 500 (before, `parse_value` raised on `int(nan)` and `int(inf)`)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from appraisal.models import Review
from appraisal.rules import typed_number
from appraisal.runtime.render import parse_value
from tests.conftest import alerts, field_errors
from tests.runtime.conftest import appraisal_of

NOT_FINITE = ["nan", "NaN", "inf", "-Infinity", "infinity", "1e400", "sNaN", "9" * 10_000]


def as_user(auth, email: str) -> None:
    auth.logout()
    assert auth.login(email).status_code == 302


def shown(text: str) -> str:
    return text[:40]


@pytest.mark.parametrize("text", NOT_FINITE)
def test_the_figures_grid_refuses_it_beside_the_cell(client, auth, db, company, launched, text):
    as_user(auth, "hr@acme.example")
    response = client.post(
        f"/cycles/{launched.id}/figures",
        data={"fig|A001|sales": "12000", "fig|P001|sales": text},
    )
    assert response.status_code == 422
    assert any("is not a number" in e for e in field_errors(response.text))
    assert f'value="{text}"' in response.text  # what was typed is kept
    assert db.scalar(select(Review).where(Review.slot == "data")) is None


@pytest.mark.parametrize("text", NOT_FINITE)
def test_the_figures_file_refuses_it_at_its_row(client, auth, db, company, launched, text):
    as_user(auth, "hr@acme.example")
    response = client.post(
        f"/cycles/{launched.id}/figures/import",
        data={
            "file": (io.BytesIO(f"工号,销售额\nA001,5\nP001,{text}\n".encode()), "f.csv"),
            "encoding": "auto",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    response = client.post(
        response.headers["Location"],
        data={"action": "apply", "map_employee_number": "工号", "map_data:sales": "销售额"},
    )
    assert response.status_code == 422
    assert "<td>3</td><td>P001</td><td>sales</td>" in response.text
    assert db.scalar(select(Review).where(Review.slot == "data")) is None


@pytest.mark.parametrize("text", NOT_FINITE)
def test_a_target_refuses_it_beside_the_field(client, auth, db, company, launched, text):
    ann = appraisal_of(db, company, "ann")
    as_user(auth, "boss@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/targets", data={"targets.sales": text, "version": ann.version}
    )
    assert response.status_code == 422
    assert any("is not a number" in e for e in field_errors(response.text)), response.text
    db.refresh(ann)
    assert ann.targets == {}


@pytest.mark.parametrize("text", NOT_FINITE)
def test_the_team_targets_grid_refuses_it(client, auth, db, company, launched, text):
    as_user(auth, "boss@acme.example")
    url = f"/cycles/{launched.id}/targets"
    response = client.post(
        url,
        data={"action": "save", "split_key": "sales", "team_total": "", "tgt|A001|sales": text},
    )
    assert response.status_code == 422
    assert any("is not a number" in e for e in field_errors(response.text))
    assert appraisal_of(db, company, "ann").targets == {}


@pytest.mark.parametrize("text", NOT_FINITE)
def test_a_team_total_or_basis_that_is_no_number_is_refused(
    client, auth, db, company, launched, text
):
    as_user(auth, "boss@acme.example")
    url = f"/cycles/{launched.id}/targets"
    split = {"action": "split", "split_key": "sales", "split_method": "equal"}
    for data in (
        {**split, "team_total": text},
        {**split, "team_total": "100", "split_method": "proportional", "basis|A001": text},
        {"action": "save", "split_key": "sales", "team_total": text, "tgt|A001|sales": "5"},
        {"action": "save", "split_key": "sales", "team_total": "5", "tgt|A001|sales": text},
    ):
        response = client.post(url, data=data)
        assert response.status_code in (200, 422), data
        assert alerts(response.text) or field_errors(response.text), data
    assert appraisal_of(db, company, "ann").targets == {}


@pytest.mark.parametrize("text", NOT_FINITE)
def test_a_review_form_refuses_it_beside_the_field(client, auth, db, company, launched, text):
    ann = appraisal_of(db, company, "ann")
    ann.state, ann.targets = "self_review", {"sales": 100000}
    db.commit()
    as_user(auth, "ann@acme.example")
    response = client.post(
        f"/appraisals/{ann.id}/review/self",
        data={"self.customer_care": text, "action": "draft"},
    )
    assert response.status_code == 422
    assert field_errors(response.text)
    assert db.scalar(select(Review).where(Review.appraisal_id == ann.id)) is None


NASTY = [
    *NOT_FINITE,
    "-inf",
    "+nan",
    "NaN123",
    "sNaN42",
    "1e-400",
    "-1e400",
    "1e999999999",
    "-1e999999999",
    "1e-999999999",
    "1e99999999999999999999",
    "1e-99999999999999999999",
    "1" + "0" * 400,
    "0x10",
    "1_000",
    "١٢",
    "",
    " ",
    "1e",
    "--1",
    "\u00a0",
]


@pytest.mark.parametrize("text", NASTY)
@pytest.mark.parametrize("kind", ["number", "rating", "choice", "bool", "text"])
def test_parse_value_never_raises_and_gives_only_finite_numbers(kind, text):
    options = [(1, "one"), (2.5, "two and a half")]
    value = parse_value(kind, text, options)
    if isinstance(value, float):
        assert value == value and abs(value) != float("inf")
    number = typed_number(text)
    assert number is None or number.is_finite()


def test_a_team_total_or_target_as_large_as_a_float_holds_is_split_and_summed(
    client, auth, db, company, launched
):
    as_user(auth, "boss@acme.example")
    url = f"/cycles/{launched.id}/targets"
    response = client.post(
        url,
        data={"action": "split", "split_key": "sales", "team_total": "3e300"},
    )
    assert response.status_code == 200
    assert not alerts(response.text)
    response = client.post(
        url,
        data={"action": "save", "split_key": "sales", "team_total": "5", "tgt|A001|sales": "1e300"},
    )
    assert response.status_code == 422
    assert "not the team target 5" in " ".join(alerts(response.text))
    assert appraisal_of(db, company, "ann").targets == {}
