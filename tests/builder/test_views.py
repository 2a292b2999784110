"""Builder screens through HTTP: library, import/export, publish, history, live checking."""

import copy
import gc
import io
import json
import warnings
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal.models import Indicator, Template
from tests.conftest import alerts, field_errors

EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "rules" / "data" / "design_example.json").read_text()
)


@pytest.fixture
def acme(make, auth):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    return org


def upload(client, data, as_copy=False, raw=None):
    content = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    form = {"file": (io.BytesIO(content), "template.json")}
    if as_copy:
        form["as_copy"] = "y"
    return client.post("/builder/templates/import", data=form, content_type="multipart/form-data")


def test_upload_publish_export_and_import_a_copy(client, db, acme):
    response = upload(client, EXAMPLE)
    assert response.status_code == 302
    template = db.scalar(select(Template))
    page = client.get(f"/builder/templates/{template.id}").get_data(as_text=True)
    assert "Draft in progress" in page and 'id="problems"' not in page
    assert client.post(f"/builder/templates/{template.id}/publish").status_code == 302
    exported = client.get(f"/builder/templates/{template.id}/export?version=1")
    assert exported.headers["Content-Disposition"].endswith('retail-field-sales-v1.json"')
    assert json.loads(exported.data) == EXAMPLE
    assert upload(client, json.loads(exported.data), as_copy=True).status_code == 302
    copy_ = db.scalar(select(Template).where(Template.key == "retail-field-sales-copy"))
    again = json.loads(client.get(f"/builder/templates/{copy_.id}/export").data)
    assert again == EXAMPLE | {"key": "retail-field-sales-copy"}
    history = client.get(f"/builder/templates/{template.id}/history").get_data(as_text=True)
    assert "v1" in history and "first version" in history


def test_a_bad_upload_lists_every_problem_with_its_path_and_saves_nothing(client, db, acme):
    bad = copy.deepcopy(EXAMPLE)
    bad["sections"][0]["items"][0]["weight"] = 59.99
    bad["grades"][-1]["min"] = 10
    response = upload(client, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "sections[0].items" in html and "weights of scored items add up to 99.99" in html
    assert "<code>sections[0].items</code> (Results results):" in html  # names it (issue 14.8)
    assert "the lowest grade must start at 0" in html
    assert db.scalar(select(Template.id)) is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json at all", "not valid JSON"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b" " * (1024 * 1024 + 10), "larger than 1 MB"),
    ],
)
def test_unreadable_uploads_are_explained(client, acme, raw, message):
    with warnings.catch_warnings():
        # Werkzeug's test client spools a large body to a temporary file it leaves open.
        warnings.simplefilter("ignore", ResourceWarning)
        response = upload(client, None, raw=raw)
        status, html = response.status_code, response.get_data(as_text=True)
        del response
        gc.collect()
    assert status == 422
    assert any(message in e for e in field_errors(html))


def test_publishing_an_incomplete_draft_is_refused_with_the_problems_listed(client, db, acme):
    response = client.post(
        "/builder/templates/new",
        data={
            "key": "office",
            "name_zh": "内勤",
            "name_en": "Office",
            "staff": "office",
            "period": "quarter",
        },
    )
    template = db.scalar(select(Template))
    assert response.headers["Location"].endswith(f"/builder/templates/{template.id}")
    response = client.post(f"/builder/templates/{template.id}/publish", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert alerts(html) == ["Not published: 1 problem(s) to fix first."]
    assert f'href="/builder/templates/{template.id}#sections"' in html
    db.expire_all()
    assert db.get(Template, template.id).versions == []


def test_duplicate_template_key_is_refused_at_the_field(client, acme):
    data = {
        "key": "office",
        "name_zh": "内勤",
        "name_en": "Office",
        "staff": "any",
        "period": "month",
    }
    client.post("/builder/templates/new", data=data)
    response = client.post("/builder/templates/new", data=data)
    assert field_errors(response.get_data(as_text=True)) == [
        "A template with this key already exists."
    ]


def test_editing_a_published_template_starts_a_new_draft(client, db, acme):
    upload(client, EXAMPLE)
    template = db.scalar(select(Template))
    client.post(f"/builder/templates/{template.id}/publish")
    page = client.get(f"/builder/templates/{template.id}").get_data(as_text=True)
    assert "Start a new draft" in page
    client.post(f"/builder/templates/{template.id}/edit")
    db.expire_all()
    assert db.get(Template, template.id).draft == EXAMPLE


def test_indicator_library_through_the_screens(client, db, acme):
    response = client.post(
        "/builder/indicators/new",
        data={
            "key": "collection_rate",
            "name_zh": "回款率",
            "name_en": "Collection rate",
            "category": "result",
            "unit": "%",
            "direction": "higher",
            "item_type": "number",
            "method": "bands",
            "on": "actual",
            "table": "95 100\n85 80\n0 40",
            "raters": ["data"],
            "staff_kind": "field",
        },
    )
    assert response.status_code == 302
    indicator = db.scalar(select(Indicator))
    assert indicator.scoring == {
        "method": "bands",
        "on": "actual",
        "bands": [
            {"min": 95.0, "score": 100.0},
            {"min": 85.0, "score": 80.0},
            {"min": 0.0, "score": 40.0},
        ],
    }
    edit = client.get(f"/builder/indicators/{indicator.id}").get_data(as_text=True)
    assert "95 100" in edit
    listing = client.get("/builder/indicators?q=回款&staff=field").get_data(as_text=True)
    assert "collection_rate" in listing
    response = client.post(
        "/builder/indicators/new",
        data={
            "key": "bad",
            "name_zh": "x",
            "name_en": "x",
            "category": "result",
            "direction": "higher",
            "item_type": "number",
            "method": "bands",
            "on": "actual",
            "table": "95 100\nninety 80",
            "staff_kind": "any",
        },
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == [
        "Line 2: write two numbers, e.g. “95 100”."
    ]
    assert 'value="bad"' in response.get_data(as_text=True)


def test_live_formula_check_names_the_problem_column_and_suggestion(client, db, acme):
    upload(client, EXAMPLE)
    template = db.scalar(select(Template))
    response = client.post(
        "/builder/formula/check",
        json={
            "template_id": template.id,
            "context": "output",
            "key": "commission",
            "formula": "PROGRESSIVE(salse, [0], [0.05])",
        },
    )
    body = response.get_json()
    assert body["ok"] is False
    assert body["error"]["column"] == 13 and body["error"]["suggestion"] == "sales"
    assert "sales" in body["names"] and "grade" in body["names"]
    ok = client.post(
        "/builder/formula/check",
        json={"template_id": template.id, "context": "output", "formula": "total * 2"},
    ).get_json()
    assert ok["ok"] is True and ok["result_type"] == "number"
    client.post("/language", data={"language": "zh"})
    zh = client.post(
        "/builder/formula/check", json={"template_id": template.id, "formula": "salse"}
    ).get_json()
    assert "是否想输入 `sales`" in zh["error"]["message"]
    catalogue = client.get("/builder/formula/catalogue").get_json()["functions"]
    assert {f["name"] for f in catalogue} >= {"IF", "ROUND", "PROGRESSIVE", "LOOKUP"}


def test_builder_is_for_admins_and_implementers_and_scoped_to_the_organization(
    client, auth, db, make, acme
):
    upload(client, EXAMPLE)
    template = db.scalar(select(Template))
    other = make.org("globex")
    make.member(other, "hr@globex.example")
    make.member(acme, "boss@acme.example", roles=("manager",))
    auth.logout()
    auth.login("hr@globex.example")
    for url in [
        f"/builder/templates/{template.id}",
        f"/builder/templates/{template.id}/export",
        f"/builder/templates/{template.id}/history",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/builder/templates/{template.id}/publish").status_code == 404
    assert (
        client.post(
            "/builder/formula/check", json={"template_id": template.id, "formula": "1"}
        ).status_code
        == 404
    )
    auth.logout()
    auth.login("boss@acme.example")
    assert client.get("/builder/templates").status_code == 403
    assert client.get("/builder/indicators").status_code == 403
