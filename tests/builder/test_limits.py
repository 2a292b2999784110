"""Template limits (issue 12, item 8): declared once (`LIMITS`), enforced by the template
schema, so every door refuses an oversized template with the path: the API and the upload
(both through `import_template`), the command line, and the designer's draft."""

from __future__ import annotations

import copy
import io
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal.builder import services
from appraisal.builder.schemas import LIMITS, check_structure, limit_problems
from appraisal.models import Template
from tests.builder.largest import largest_template, try_values
from tests.conftest import alerts, field_errors

EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "rules" / "data" / "design_example.json").read_text()
)


def _grow(part: str):
    """Functions making EXAMPLE exceed one limit by one."""

    def sections(d):
        d["sections"] = [
            {"key": f"s{n}", "name": "S", "weight": 5, "items": []}
            for n in range(LIMITS.sections + 1)
        ]

    def items(d):
        item = d["sections"][0]["items"][0]
        d["sections"][0]["items"] = [{**item, "key": f"i{n}"} for n in range(LIMITS.items // 2 + 1)]
        d["sections"][1]["items"] = [{**item, "key": f"j{n}"} for n in range(LIMITS.items // 2 + 1)]

    def outputs(d):
        d["outputs"] = [{"key": f"o{n}", "formula": "total"} for n in range(LIMITS.outputs + 1)]

    def adjustments(d):
        d["adjustments"] = [
            {"key": f"a{n}", "kind": "bonus", "name": "A", "raters": ["hr"], "max": 1}
            for n in range(LIMITS.adjustments + 1)
        ]

    def scales(d):
        d["scales"] = {f"s{n}": d["scales"]["five"] for n in range(LIMITS.scales + 1)}

    def levels(d):
        d["scales"]["five"] = [
            {"value": n, "label": str(n), "score": n} for n in range(LIMITS.levels + 1)
        ]

    def bands(d):
        d["sections"][0]["items"][1]["scoring"]["bands"] = [
            {"min": n, "score": n} for n in range(LIMITS.bands + 1)
        ]

    def grades(d):
        d["grades"] = [{"grade": f"G{n}", "min": n} for n in range(LIMITS.grades + 1)]

    def label(d):
        d["sections"][0]["items"][0]["name"] = {"en": "x" * (LIMITS.label + 1), "zh": "销售"}

    def description(d):
        d["description"] = "x" * (LIMITS.text + 1)

    def raters(d):
        d["sections"][0]["items"][0]["raters"] = ["data"] * 7

    def size(d):
        d["sections"][0]["items"][0]["description"] = "x" * 1000
        d["sections"][0]["items"] = [
            {**d["sections"][0]["items"][0], "key": f"i{n}", "description": "说明" * 2000}
            for n in range(90)
        ]

    return locals()[part]


@pytest.mark.parametrize(
    ("part", "path"),
    [
        ("sections", "sections"),
        ("items", "sections"),
        ("outputs", "outputs"),
        ("adjustments", "adjustments"),
        ("scales", "scales"),
        ("levels", "scales.five.value"),
        ("bands", "sections[0].items[1].scoring.bands"),
        ("grades", "grades"),
        ("label", "sections[0].items[0].name"),
        ("description", "description"),
        ("raters", "sections[0].items[0].raters"),
        ("size", ""),
    ],
)
def test_each_limit_is_refused_with_its_path(part, path):
    definition = copy.deepcopy(EXAMPLE)
    _grow(part)(definition)
    problems = limit_problems(definition)
    assert problems, part
    where, message = problems[0]
    assert where == path or (part == "levels" and where.startswith("scales.five"))
    assert message.startswith(("at most", "the definition is"))
    assert "最多" in message.zh


def test_the_largest_allowed_template_is_valid_and_quick(client, db, make, auth):
    definition = largest_template()
    assert len(json.dumps(definition).encode()) < LIMITS.json_bytes
    assert check_structure(definition) == []
    started = time.perf_counter()
    assert services.definition_problems(definition) == []
    assert time.perf_counter() - started < 10  # ~1 s here; generous for a shared CI machine
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    template = services.import_template(db, org.id, None, definition)
    db.commit()
    started = time.perf_counter()
    page = client.post(f"/builder/templates/{template.id}/try", data=try_values(definition))
    assert page.status_code == 200
    assert time.perf_counter() - started < 15


def test_the_designer_refuses_an_edit_beyond_a_limit(client, db, make, auth):
    definition = copy.deepcopy(EXAMPLE)
    definition["outputs"] = [{"key": f"o{n}", "formula": "total"} for n in range(LIMITS.outputs)]
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    template = services.import_template(db, org.id, None, definition)
    db.commit()
    response = client.post(
        f"/builder/templates/{template.id}/outputs/new",
        data={"key": "one_more", "formula": "total * 2", "name_zh": "", "name_en": ""},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert any("at most 30 outputs" in m for m in alerts(html) + field_errors(html))
    db.expire_all()
    assert len(db.get(Template, template.id).definition["outputs"]) == LIMITS.outputs
    removed = client.post(f"/builder/templates/{template.id}/outputs/o0/remove")
    assert removed.status_code == 302


def test_an_upload_nested_too_deep_is_explained_at_the_file_field(client, make, auth, db):
    org = make.org("acme")
    make.member(org, "hr@acme.example")
    auth.login("hr@acme.example")
    for raw, message in (
        (b"[" * 5000 + b"]" * 5000, "nested at most 64 levels"),
        (b'{"key": "a\\u0000"}', "control characters"),
    ):
        response = client.post(
            "/builder/templates/import",
            data={"file": (io.BytesIO(raw), "t.json")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        assert any(message in e for e in field_errors(response.get_data(as_text=True)))
    assert db.scalar(select(Template.id)) is None


def test_the_command_line_refuses_an_oversized_or_deep_file(runner, tmp_path):
    definition = copy.deepcopy(EXAMPLE)
    definition["outputs"] = [{"key": f"o{n}", "formula": "total"} for n in range(1000)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps(definition))
    result = runner.invoke(args=["templates", "validate", str(big)])
    assert result.exit_code == 1
    assert "outputs: at most 30 outputs (found 1000)" in result.output
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    for command in (["validate", str(deep)], ["score", str(big), "--input", str(deep)]):
        result = runner.invoke(args=["templates", *command])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "nested at most 64 levels" in result.output or "outputs" in result.output
