"""Indicator library, drafts, versioned publishing, import, export and clone."""

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from appraisal.builder import services
from appraisal.errors import ServiceError
from appraisal.models import AuditEvent, Template, TemplateVersion

EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "rules" / "data" / "design_example.json").read_text()
)


@pytest.fixture
def org(make):
    return make.org("acme")


def test_import_then_export_round_trips_to_the_same_definition(db, org):
    template = services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE))
    db.commit()
    assert services.export_definition(template) == EXAMPLE
    version = services.publish(db, template, None)
    db.commit()
    assert version.version == 1 and version.summary == ["first version"]
    assert services.export_definition(template, 1) == EXAMPLE
    again = services.import_template(
        db, org.id, None, services.export_definition(template), as_copy=True
    )
    db.commit()
    assert again.key == "retail-field-sales-copy"
    assert services.export_definition(again) == EXAMPLE | {"key": "retail-field-sales-copy"}


def test_import_refuses_with_every_problem_and_saves_nothing(db, org):
    bad = copy.deepcopy(EXAMPLE)
    bad["sections"][0]["items"][0]["colour"] = "red"
    bad["sections"][1]["weight"] = "thirty"
    with pytest.raises(services.DefinitionRefused) as caught:
        services.import_template(db, org.id, None, bad)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"sections[0].items[0].colour", "sections[1].weight"}
    meaning = copy.deepcopy(EXAMPLE)
    meaning["sections"][1]["weight"] = 29.99
    meaning["outputs"][0]["formula"] = "grade * 2"
    with pytest.raises(services.DefinitionRefused) as caught:
        services.import_template(db, org.id, None, meaning)
    assert {p.path for p in caught.value.problems} == {"sections", "outputs[0].formula"}
    db.rollback()
    assert db.scalar(select(Template.id)) is None


def test_an_existing_key_is_refused_unless_imported_as_a_copy(db, org):
    services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE))
    with pytest.raises(services.DefinitionRefused) as caught:
        services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE))
    assert caught.value.problems[0].path == "key"
    first = services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE), as_copy=True)
    second = services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE), as_copy=True)
    assert (first.key, second.key) == ("retail-field-sales-copy", "retail-field-sales-copy-2")


def test_upload_parsing_explains_what_is_wrong():
    with pytest.raises(ServiceError, match="not valid JSON"):
        services.parse_upload(b"{nope")
    with pytest.raises(ServiceError, match="not UTF-8"):
        services.parse_upload("{}".encode("utf-16"))
    with pytest.raises(ServiceError, match="larger than 1 MB"):
        services.parse_upload(b" " * (services.MAX_IMPORT_BYTES + 1))
    assert services.parse_upload(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_published_versions_are_immutable_and_editing_starts_a_new_draft(db, org):
    template = services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE))
    services.publish(db, template, None)
    db.commit()
    assert template.draft is None
    draft = services.start_draft(template)
    draft["sections"][0]["items"][0]["weight"] = 50
    draft["sections"][0]["items"][1]["weight"] = 50
    services.save_draft(db, template, draft, None)
    version = services.publish(db, template, None)
    db.commit()
    assert version.version == 2
    assert "item sales weight 60 → 50" in version.summary
    first = db.scalar(select(TemplateVersion).where(TemplateVersion.version == 1))
    assert first.definition["sections"][0]["items"][0]["weight"] == 60


def test_publishing_an_invalid_draft_is_refused_with_every_problem(db, org):
    template = services.create_template(db, org.id, None, key="office", name="Office")
    with pytest.raises(services.DefinitionRefused) as caught:
        services.publish(db, template, None)
    assert [p.path for p in caught.value.problems] == ["sections"]
    assert template.versions == []


def test_clone_takes_the_current_definition_under_a_new_key(db, org):
    template = services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE))
    clone = services.clone_template(db, template, None)
    assert clone.key == "retail-field-sales-copy" and clone.draft["key"] == clone.key
    assert clone.draft["sections"] == EXAMPLE["sections"]


def test_indicator_library_checks_and_archiving(db, org):
    indicator = services.save_indicator(
        db,
        org.id,
        None,
        key="sales_amount",
        name_zh="销售额",
        name_en="Sales amount",
        category="result",
        unit="CNY",
        scoring={"method": "ratio", "cap": 120},
        raters=["data"],
        staff_kind="field",
    )
    with pytest.raises(ServiceError) as caught:
        services.save_indicator(db, org.id, None, key="sales_amount", name_zh="x", name_en="x")
    assert caught.value.field == "key"
    with pytest.raises(ServiceError) as caught:
        services.save_indicator(
            db,
            org.id,
            None,
            key="bad",
            name_zh="x",
            name_en="x",
            scoring={"method": "bands", "bands": []},
        )
    assert caught.value.field == "scoring" and "needs at least one band" in str(caught.value)
    page = services.list_indicators(db, org.id, q="销售", staff_kind="field")
    assert [i.key for i in page.items] == ["sales_amount"]
    item = services.item_from_indicator(indicator, weight=60)
    assert item["indicator"] == "sales_amount" and item["scoring"]["cap"] == 120


def test_an_indicator_used_by_a_published_template_can_only_be_archived(db, org):
    indicator = services.save_indicator(
        db,
        org.id,
        None,
        key="sales_amount",
        name_zh="销售额",
        name_en="Sales",
        scoring={"method": "ratio"},
    )
    template = services.import_template(db, org.id, None, copy.deepcopy(EXAMPLE))
    services.publish(db, template, None)
    with pytest.raises(ServiceError, match="retail-field-sales v1"):
        services.delete_indicator(db, indicator, None)
    services.set_indicator_archived(db, indicator, True, None)
    db.commit()
    assert indicator.archived
    assert services.list_indicators(db, org.id).items == []
    assert services.list_indicators(db, org.id, archived=True).items == [indicator]
    unused = services.save_indicator(
        db, org.id, None, key="visits", name_zh="拜访", name_en="Visits"
    )
    services.delete_indicator(db, unused, None)
    db.commit()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "indicator"))
    assert "indicator.deleted" in list(actions)
