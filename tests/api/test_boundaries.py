"""Hostile bodies at the API boundary (issue 12, items 8 and 11): control characters and lone
surrogates in strings, JSON nested thousands deep, oversized bodies and templates, and keys
with a trailing newline are refused in the API's error envelope, never a 500."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from appraisal.models import Employee, Template
from tests.runtime.conftest import runtime_definition


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize(
    "name", ["Ann\u0000", "Ann\u0001", "A\u001bnn", "broken \ud800 surrogate", "Ann\u000b"]
)
def test_control_characters_in_api_strings_are_refused(client, company, token_for, db, name):
    body = json.dumps({"employees": [{"number": "N001", "name": name}]})
    response = client.put(
        "/api/v1/employees",
        data=body,
        headers={**token_for("hr@acme.example"), "Content-Type": "application/json"},
    )
    error = _error(response, 400, "invalid")
    assert error["details"] == [
        {"path": "employees[0].name", "message": error["details"][0]["message"]}
    ]
    assert "control character" in error["details"][0]["message"]
    assert db.scalar(select(Employee).where(Employee.number == "N001")) is None


def test_line_breaks_in_api_strings_are_text(client, company, token_for):
    definition = runtime_definition()
    definition["key"] = "multi-line"
    definition["description"] = "Line one\nline two\tand a tab"
    response = client.post(
        "/api/v1/templates", json=definition, headers=token_for("hr@acme.example")
    )
    assert response.status_code == 201


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_json_nested_thousands_deep_is_refused_before_parsing(client, company, token_for, opener):
    closer = "]" if opener == "[" else "}"
    body = opener * 5000 + "1" + closer * 5000
    response = client.put(
        "/api/v1/employees",
        data=body,
        headers={**token_for("hr@acme.example"), "Content-Type": "application/json"},
    )
    error = _error(response, 400, "bad_request")
    assert "nested" in error["message"]


def test_json_within_the_depth_limit_reaches_the_schema(client, company, token_for):
    body = {"employees": [{"number": "N1", "name": [[[["deep"]]]]}]}
    response = client.put("/api/v1/employees", json=body, headers=token_for("hr@acme.example"))
    _error(response, 400, "invalid")


def test_a_body_over_the_api_limit_is_413_in_the_envelope(app, client, company, token_for):
    app.config["API_MAX_JSON_BYTES"] = 1000
    body = {"employees": [{"number": f"N{n}", "name": "x" * 50} for n in range(100)]}
    response = client.put("/api/v1/employees", json=body, headers=token_for("hr@acme.example"))
    error = _error(response, 413, "too_large")
    assert "1000" in error["message"] or "bytes" in error["message"]


def test_a_template_body_over_the_template_limit_is_413(client, company, token_for):
    definition = runtime_definition()
    definition["key"] = "padded"
    definition["description"] = "x" * 1_100_000
    response = client.post(
        "/api/v1/templates", json=definition, headers=token_for("hr@acme.example")
    )
    _error(response, 413, "too_large")


def test_a_template_with_ten_thousand_outputs_is_refused_quickly(client, company, token_for, db):
    """The issue's 9.7 MB template: 10,000 outputs took 51 s to import. Now the body limit
    (1 MB for templates) refuses it before parsing; a smaller one that still has too many
    outputs is refused by the schema with the path."""
    definition = runtime_definition()
    definition["key"] = "huge"
    definition["outputs"] = [
        {"key": f"o{n}", "formula": "total * 2 + " * 60 + "1"} for n in range(10_000)
    ]
    headers = token_for("hr@acme.example")
    _error(client.post("/api/v1/templates", json=definition, headers=headers), 413, "too_large")
    definition["outputs"] = [{"key": f"o{n}", "formula": "total * 2"} for n in range(1000)]
    error = _error(
        client.post("/api/v1/templates", json=definition, headers=headers), 422, "refused"
    )
    assert {d["path"] for d in error["details"]} == {"outputs"}
    assert "at most" in error["details"][0]["message"]
    assert db.scalar(select(Template).where(Template.key == "huge")) is None


@pytest.mark.parametrize(
    ("where", "value"),
    [("key", "sales-2026\n"), ("sections.0.key", "results\n"), ("key", "a\x00")],
)
def test_keys_with_a_trailing_newline_are_refused(client, company, token_for, db, where, value):
    definition = copy.deepcopy(runtime_definition())
    definition["key"] = "newline"
    if where == "key":
        definition["key"] = value
    else:
        definition["sections"][0]["key"] = value
    response = client.post(
        "/api/v1/templates", json=definition, headers=token_for("hr@acme.example")
    )
    assert response.status_code in (400, 422)
    assert db.scalar(select(Template).where(Template.key.like("%newline%"))) is None
    assert db.scalar(select(Template).where(Template.key.like("sales-2026%"))) is None
