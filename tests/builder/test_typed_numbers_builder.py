"""Numbers no figure can be ("nan", "inf", "1e400", "1e999999999", 10,000 digits) typed into
the builder's tables and number fields: refused at the field with what was typed kept,
never a 500 (before, `int(nan)` and `int(inf)` raised in the grades, scales and scoring
tables, and a finite "1e400" passed the number fields and overflowed on the way to JSON)."""

from __future__ import annotations

import pytest

from appraisal.models import ActivityType
from tests.builder.test_activity_types import _build_visit, _field, _type, hr  # noqa: F401
from tests.builder.test_designer import (  # noqa: F401
    add_item,
    add_section,
    definition,
    save_item,
    template_id,
)
from tests.conftest import field_errors

# 400 digits: beyond a float, within the 4,000 characters a table may hold (10,000 digits
# are refused for their length).
BEYOND = ["nan", "NaN", "inf", "-Infinity", "infinity", "1e400", "sNaN", "9" * 400]
BEYOND += ["1e999999999", "-1e999999999"]


@pytest.mark.parametrize("text", BEYOND)
def test_grades_and_scales_refuse_it_by_line(client, template_id, text):  # noqa: F811
    before = definition(client, template_id)
    response = client.post(
        f"/builder/templates/{template_id}/grades", data={"grades-text": f"A 90\nB {text}"}
    )
    assert response.status_code == 422
    assert f"Line 2: {text} is not a number." in response.text
    response = client.post(
        f"/builder/templates/{template_id}/scales",
        data={"name": "five", "text": f"{text} 100 好 / Good"},
        follow_redirects=True,
    )
    assert response.status_code == 200  # the scales' refusals are flashed above the list
    assert f"Line 1: {text} is not a number." in response.text
    assert definition(client, template_id) == before


@pytest.mark.parametrize("text", BEYOND)
def test_an_items_table_and_numbers_refuse_it(client, template_id, text):  # noqa: F811
    add_section(client, template_id, "results", "业绩", 100)
    add_item(client, template_id, "results", "sales", "销售额", "number")
    before = definition(client, template_id)
    item = {"key": "sales", "name_zh": "销售额", "type": "number", "weight": "100"}
    response = save_item(
        client, template_id, "sales", **item, method="bands", table=f"95 100\n{text} 80"
    )
    assert response.status_code == 422
    assert "Line 2: write two numbers, e.g. “95 100”." in field_errors(response.text)
    for name in ("cap", "weight", "target"):
        fields = {**item, "method": "ratio", name: text}
        response = save_item(client, template_id, "sales", **fields)
        assert response.status_code == 422, name
        assert field_errors(response.text), name
        assert f'value="{text}"' in response.text, name
    assert definition(client, template_id) == before


@pytest.mark.parametrize("text", BEYOND)
def test_an_indicator_table_refuses_it(client, template_id, text):  # noqa: F811
    response = client.post(
        "/builder/indicators/new",
        data={
            "key": "rate",
            "name_zh": "回款率",
            "name_en": "Collection rate",
            "category": "result",
            "direction": "higher",
            "item_type": "number",
            "method": "bands",
            "on": "actual",
            "table": f"{text} 100",
            "staff_kind": "any",
        },
    )
    assert response.status_code == 422
    assert field_errors(response.text) == ["Line 1: write two numbers, e.g. “95 100”."]


@pytest.mark.parametrize("text", BEYOND)
def test_an_activity_fields_bounds_refuse_it(client, db, hr, text):  # noqa: F811
    visit = _build_visit(client, db)
    fields = dict(visit.draft["fields"]) if isinstance(visit.draft.get("fields"), dict) else None
    response = _field(
        client, visit.id, visit.version, key="n", label_zh="数", type="number", min=text
    )
    assert response.status_code == 422
    assert field_errors(response.text)
    after = _type(db)
    assert isinstance(after, ActivityType) and after.version == visit.version
    if fields is not None:
        assert dict(after.draft["fields"]) == fields
