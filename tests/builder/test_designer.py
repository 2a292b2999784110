"""Building a template through the designer's plain form posts, as a browser without
JavaScript would."""

import json

import pytest
from sqlalchemy import select

from appraisal.models import Template
from tests.conftest import field_errors


@pytest.fixture
def template_id(client, db, make, auth):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    client.post(
        "/builder/templates/new",
        data={
            "key": "sales-rep",
            "name_zh": "销售代表",
            "name_en": "Sales rep",
            "staff": "field",
            "period": "month",
        },
    )
    return db.scalar(select(Template.id))


def definition(client, template_id):
    return json.loads(client.get(f"/builder/templates/{template_id}/export").data)


def add_section(client, tid, key, name, weight):
    return client.post(
        f"/builder/templates/{tid}/sections",
        data={"section-key": key, "section-name_zh": name, "section-weight": weight},
    )


def add_item(client, tid, section, key, name, kind):
    return client.post(
        f"/builder/templates/{tid}/sections/{section}/items",
        data={
            f"add-{section}-indicator_id": 0,
            f"add-{section}-key": key,
            f"add-{section}-name_zh": name,
            f"add-{section}-type": kind,
        },
    )


ITEM_DEFAULTS = {
    "name_en": "",
    "description": "",
    "indicator": "",
    "unit": "",
    "on": "actual",
    "table": "",
    "score_formula": "",
    "scale": "",
    "choices": "",
    "formula": "",
    "visible_if": "",
    "required": "y",
}


def save_item(client, tid, item_key, **fields):
    return client.post(f"/builder/templates/{tid}/items/{item_key}", data=ITEM_DEFAULTS | fields)


def test_build_publish_and_score_a_two_section_template(client, db, template_id):
    tid = template_id
    assert add_section(client, tid, "results", "业绩", 70).status_code == 302
    assert add_section(client, tid, "behaviour", "行为", 30).status_code == 302
    add_item(client, tid, "results", "sales", "销售额", "number")
    add_item(client, tid, "results", "margin", "毛利率", "number")
    add_item(client, tid, "behaviour", "care", "客户关怀", "rating")
    response = save_item(
        client,
        tid,
        "sales",
        key="sales",
        name_zh="销售额",
        type="number",
        raters=["data"],
        weight="60",
        method="ratio",
        cap="120",
    )
    assert response.status_code == 302
    save_item(
        client,
        tid,
        "margin",
        key="margin",
        name_zh="毛利率",
        type="number",
        weight="40",
        method="bands",
        table="30 100\n20 80\n0 40",
        formula="sales * 0.25 / sales * 100",
    )
    save_item(
        client,
        tid,
        "care",
        key="care",
        name_zh="客户关怀",
        type="rating",
        raters=["self", "manager"],
        weight="100",
        method="rating",
        scale="five",
    )
    client.post(
        f"/builder/templates/{tid}/adjustments/new",
        data={
            "key": "fraud",
            "kind": "veto",
            "name_zh": "弄虚作假",
            "raters": ["hr"],
            "condition": "fraud > 0",
            "grade": "D",
        },
    )
    client.post(
        f"/builder/templates/{tid}/outputs/new",
        data={
            "key": "coefficient",
            "formula": "LOOKUP(grade, ['S','A','B','C','D'], [1.5, 1.2, 1, 0.8, 0])",
        },
    )
    built = definition(client, tid)
    assert built["sections"][0]["items"][0] == {
        "key": "sales",
        "name": {"zh": "销售额"},  # typed in Chinese only: not copied into English
        "type": "number",
        "raters": ["data"],
        "weight": 60,
        "scoring": {"method": "ratio", "cap": 120},
    }
    assert built["sections"][0]["items"][1]["formula"] == "sales * 0.25 / sales * 100"
    assert built["sections"][0]["items"][1]["raters"] == []
    assert built["adjustments"] == [
        {
            "key": "fraud",
            "kind": "veto",
            "name": {"zh": "弄虚作假"},
            "raters": ["hr"],
            "condition": "fraud > 0",
            "grade": "D",
        }
    ]
    page = client.get(f"/builder/templates/{tid}").get_data(as_text=True)
    assert 'id="problems"' not in page, page[page.find('id="problems"') :][:500]
    assert client.post(f"/builder/templates/{tid}/publish").status_code == 302
    tried = client.post(
        f"/builder/templates/{tid}/try",
        data={
            "targets.sales": "1000",
            "data.sales": "1300",
            "self.care": "4",
            "manager.care": "5",
            "hr.fraud": "0",
        },
    ).get_data(as_text=True)
    # sales 130 % → cap 120; margin 25 → band 20 → 80; results 0.6×120 + 0.4×80 = 104
    # care (20×85 + 80×100)/100 = 97; total 0.7×104 + 0.3×97 = 72.8 + 29.1 = 101.9 → S
    assert 'id="result-total">101.9<' in tried and 'id="result-grade">S<' in tried
    assert "coefficient</code> = <strong>1.5" in tried
    assert "(60 × 120 + 40 × 80) ÷ 100" in tried  # the section's working, bracketed


def test_item_editor_keeps_input_and_explains_errors(client, template_id):
    tid = template_id
    add_section(client, tid, "results", "业绩", 100)
    add_item(client, tid, "results", "sales", "销售额", "number")
    response = save_item(
        client,
        tid,
        "sales",
        key="Sales!",
        name_zh="销售额",
        type="number",
        weight="abc",
        method="bands",
        table="95 100\nlots 80",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not a valid decimal value." in field_errors(html)
    assert 'value="Sales!"' in html and "lots 80" in html


def test_duplicate_keys_and_reordering(client, template_id):
    tid = template_id
    add_section(client, tid, "a", "A", 50)
    response = add_section(client, tid, "a", "A again", 50)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == [
        "The key a is already used in this template."
    ]
    add_section(client, tid, "b", "B", 50)
    client.post(f"/builder/templates/{tid}/sections/b/up")
    assert [s["key"] for s in definition(client, tid)["sections"]] == ["b", "a"]
    client.post(f"/builder/templates/{tid}/sections/b/remove")
    assert [s["key"] for s in definition(client, tid)["sections"]] == ["a"]


def test_grades_and_scales_are_edited_as_small_tables(client, template_id):
    tid = template_id
    response = client.post(
        f"/builder/templates/{tid}/grades", data={"grades-text": "A 80\nB 50\nC 0"}
    )
    assert response.status_code == 302
    assert definition(client, tid)["grades"] == [
        {"grade": "A", "min": 80},
        {"grade": "B", "min": 50},
        {"grade": "C", "min": 0},
    ]
    client.post(
        f"/builder/templates/{tid}/scales",
        data={"name": "five", "text": "3 100 好 / Good\n2 60 中 / Fair\n1 20 差 / Poor"},
    )
    assert definition(client, tid)["scales"]["five"][0] == {
        "value": 3,
        "score": 100,
        "label": {"zh": "好", "en": "Good"},
    }
    bad = client.post(f"/builder/templates/{tid}/grades", data={"grades-text": "A lots"})
    assert bad.status_code == 422 and "Line 1: lots is not a number." in bad.get_data(as_text=True)


def test_preview_shows_each_role_only_its_items(client, template_id):
    tid = template_id
    add_section(client, tid, "s", "S", 100)
    add_item(client, tid, "s", "care", "客户关怀", "rating")
    add_item(client, tid, "s", "sales", "销售额", "number")
    self_page = client.get(f"/builder/templates/{tid}/preview?role=manager").get_data(as_text=True)
    assert "客户关怀" in self_page and "销售额" not in self_page
    data_page = client.get(f"/builder/templates/{tid}/preview?role=data").get_data(as_text=True)
    assert "销售额" in data_page and "客户关怀" not in data_page
    assert client.get(f"/builder/templates/{tid}/preview?role=boss").status_code == 404


def test_problems_link_to_where_they_are_fixed_and_changes_are_audited(client, template_id):
    tid = template_id
    add_section(client, tid, "s", "S", 100)
    add_item(client, tid, "s", "sales", "销售额", "number")
    save_item(
        client,
        tid,
        "sales",
        key="sales",
        name_zh="销售额",
        type="number",
        raters=["data"],
        weight="90",
        method="ratio",
    )
    client.post(
        f"/builder/templates/{tid}/outputs/new", data={"key": "bonus_pay", "formula": "total * 10"}
    )
    page = client.get(f"/builder/templates/{tid}").get_data(as_text=True)
    assert f'href="/builder/templates/{tid}#sections[0]"' in page  # item weights 90, not 100
    save_item(
        client,
        tid,
        "sales",
        key="sales",
        name_zh="销售额",
        type="number",
        raters=["data"],
        weight="100",
        method="ratio",
        visible_if="salse > 0",
    )
    page = client.get(f"/builder/templates/{tid}").get_data(as_text=True)
    assert f'href="/builder/templates/{tid}/items/sales"' in page
    # An item's condition cannot name the item itself (it would depend on itself), so the
    # nearest name it may use is the constant `false`, and that is the one suggested.
    assert "Unknown name `salse` — did you mean `false`?" in page
    assert "did you mean `sales`" not in page
    history = client.get(f"/builder/templates/{tid}/history").get_data(as_text=True)
    assert 'id="audit"' in history and "Draft saved" in history and "hr" in history


def test_a_new_rating_scale(client, template_id):
    tid = template_id
    client.post(
        f"/builder/templates/{tid}/scales",
        data={"name": "three", "text": "3 100 好 / Good\n2 70 中\n1 30 差"},
    )
    scales = definition(client, tid)["scales"]
    assert [level["score"] for level in scales["three"]] == [100, 70, 30]
    assert scales["three"][1]["label"] == "中"


def test_settings_save_rater_weights_and_the_highest_total_as_json_numbers(client, template_id):
    response = client.post(
        f"/builder/templates/{template_id}/settings",
        data={
            "settings-name_zh": "销售代表",
            "settings-name_en": "Sales rep",
            "settings-staff": "field",
            "settings-period": "quarter",
            "settings-w_self": "20",
            "settings-w_manager": "67.5",
            "settings-w_peer": "12.5",
            "settings-max_total": "110",
        },
    )
    assert response.status_code == 302
    saved = definition(client, template_id)
    assert saved["rater_weights"] == {"self": 20, "manager": 67.5, "peer": 12.5}
    assert saved["max_total"] == 110
    assert saved["period"] == "quarter"


def test_a_sections_name_and_weight_are_changed_in_place_keeping_its_items(client, template_id):
    tid = template_id
    add_section(client, tid, "results", "业绩", 60)
    add_item(client, tid, "results", "sales", "销售额", "number")
    page = client.get(f"/builder/templates/{tid}").get_data(as_text=True)
    assert 'name="section-results-weight"' in page

    response = client.post(
        f"/builder/templates/{tid}/sections/results",
        data={
            "section-results-key": "results",
            "section-results-name_zh": "业绩结果",
            "section-results-name_en": "Results",
            "section-results-weight": "70",
        },
    )
    assert response.status_code == 302
    (section,) = definition(client, tid)["sections"]
    assert section["name"] == {"zh": "业绩结果", "en": "Results"}
    assert section["weight"] == 70
    assert [item["key"] for item in section["items"]] == ["sales"]

    refused = client.post(
        f"/builder/templates/{tid}/sections/results",
        data={
            "section-results-key": "results",
            "section-results-name_zh": "改名",
            "section-results-weight": "150",
        },
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert field_errors(html) == ["Number must be between 0 and 100."]
    assert 'value="改名"' in html and 'value="150"' in html
    assert definition(client, tid)["sections"][0]["weight"] == 70


def test_items_added_from_the_library_or_by_hand_are_ready_to_score(client, db, template_id):
    from appraisal.models import Indicator

    tid = template_id
    org_id = db.scalar(select(Template.organization_id))
    care = Indicator(
        organization_id=org_id,
        key="customer_care",
        name_zh="客户关怀",
        name_en="Customer care",
        item_type="rating",
        scoring={"method": "rating"},
        raters=["self", "manager"],
    )
    db.add(care)
    db.commit()
    add_section(client, tid, "behaviour", "行为", 100)
    add_item(client, tid, "behaviour", "teamwork", "团队协作", "rating")
    client.post(
        f"/builder/templates/{tid}/sections/behaviour/items",
        data={"add-behaviour-indicator_id": care.id, "add-behaviour-type": "rating"},
    )

    teamwork, from_library = definition(client, tid)["sections"][0]["items"]
    assert teamwork["name"] == {"zh": "团队协作"}
    assert (teamwork["scale"], teamwork["weight"]) == ("five", 100)
    assert (from_library["scale"], from_library["weight"]) == ("five", 0)
    page = client.get(f"/builder/templates/{tid}").get_data(as_text=True)
    assert "unknown rating scale" not in page
