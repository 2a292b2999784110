"""The live formula check names its template by `template_id` in a JSON body: anything but
an id the database can hold (one beyond 32 bits, text, a fraction, a list, NaN) is no
template, a 404, never a 500 (before, it went to the lookup as it came: PostgreSQL refused
2**31 with "integer out of range" and "abc" as an invalid integer)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appraisal.db import MAX_ID
from appraisal.models import Template
from tests.builder.test_views import EXAMPLE, acme, upload  # noqa: F401 - shared fixture

NOT_IDS = [
    MAX_ID + 1,
    2**63,
    10**30,
    -(2**31) - 1,
    "abc",
    str(MAX_ID + 1),
    1.5,
    float("nan"),
    float("inf"),
    [1],
    {"id": 1},
    True,
]


@pytest.mark.parametrize("template_id", NOT_IDS, ids=repr)
def test_a_template_id_that_is_no_id_is_not_found(client, acme, template_id):  # noqa: F811
    response = client.post(
        "/builder/formula/check", json={"template_id": template_id, "formula": "1 + 1"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("key", [5, 1e300, float("nan"), [1], {"k": 1}, True], ids=repr)
@pytest.mark.parametrize("context", ["item", "scoring", "adjustment", "output"])
def test_a_key_that_is_no_text_checks_against_no_item(client, db, acme, key, context):  # noqa: F811
    upload(client, EXAMPLE)
    template = db.scalar(select(Template))
    response = client.post(
        "/builder/formula/check",
        json={"template_id": template.id, "context": context, "key": key, "formula": "1 + 1"},
    )
    assert response.status_code == 200
    assert response.get_json()["ok"] is True
