"""Activity forms in the builder, over HTTP: an HR admin builds a customer visit without
code, a bad condition is refused next to its input, publishing makes immutable versions,
and a record keeps the version it was made with."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from appraisal.models import (
    ActivityType,
    AuditEvent,
    Department,
    Employee,
    Position,
)
from appraisal.runtime.fieldwork.records import record_activity
from appraisal.runtime.reviews.access import viewer_for
from tests.conftest import field_errors


@pytest.fixture
def hr(make, auth, db):
    org = make.org("acme")
    make.member(org, "hr@acme.example", roles=("admin",))
    db.add_all(
        [
            Position(organization_id=org.id, name="销售代表", staff_kind="field"),
            Department(organization_id=org.id, name="华东区"),
        ]
    )
    db.commit()
    auth.login("hr@acme.example")
    return org


def _type(db, key="visit") -> ActivityType:
    db.expire_all()
    return db.scalar(select(ActivityType).where(ActivityType.key == key))


def _field(client, type_id, version, editing=None, **inputs):
    """Post the field editor: a new field, or the field `editing`."""
    data = {
        "version": version,
        "key": "",
        "label_zh": "",
        "label_en": "",
        "type": "text",
        "required": "never",
    } | inputs
    url = f"/builder/activities/{type_id}/fields/" + (editing or "new")
    return client.post(url, data=data)


def _build_visit(client, db):
    response = client.post(
        "/builder/activities/new",
        data={"key": "visit", "name_zh": "客户拜访", "name_en": "Customer visit", "kind": "visit"},
    )
    assert response.status_code == 302
    visit = _type(db)
    assert response.headers["Location"].endswith(f"/builder/activities/{visit.id}/fields/new")
    added = _field(
        client,
        visit.id,
        visit.version,
        key="purpose",
        label_zh="目的",
        label_en="Purpose",
        type="choice",
        required="always",
        options="demo 产品演示 / Demo\ncollect 收款 / Collection",
    )
    assert added.status_code == 302, field_errors(added.text)
    visit = _type(db)
    added = _field(
        client,
        visit.id,
        visit.version,
        key="amount",
        label_zh="收款金额",
        label_en="Amount",
        type="money",
        required="always",
        visible_if="purpose == 'collect'",
        min="0",
    )
    assert added.status_code == 302, field_errors(added.text)
    return _type(db)


def test_hr_builds_a_form_without_code_and_publishes_it(client, db, hr):
    visit = _build_visit(client, db)
    assert visit.draft["fields"] == [
        {
            "key": "purpose",
            "label": {"zh": "目的", "en": "Purpose"},
            "type": "choice",
            "required": True,
            "options": [
                {"key": "demo", "label": {"zh": "产品演示", "en": "Demo"}},
                {"key": "collect", "label": {"zh": "收款", "en": "Collection"}},
            ],
        },
        {
            "key": "amount",
            "label": {"zh": "收款金额", "en": "Amount"},
            "type": "money",
            "required": True,
            "visible_if": "purpose == 'collect'",
            "min": 0,
        },
    ]
    page = client.get(f"/builder/activities/{visit.id}")
    assert page.status_code == 200
    assert 'id="field-purpose"' in page.text and 'id="field-amount"' in page.text

    published = client.post(
        f"/builder/activities/{visit.id}/publish", data={"version": visit.version}
    )
    assert published.status_code == 302
    visit = _type(db)
    assert visit.draft is None
    assert [v.version for v in visit.versions] == [1]
    listing = client.get("/builder/activities")
    assert "Customer visit" in listing.text and "v1" in listing.text
    history = client.get(f"/builder/activities/{visit.id}/history")
    assert "v1" in history.text and "hr" in history.text
    shown = client.get(f"/builder/activities/{visit.id}/versions/1")
    assert shown.status_code == 200 and "purpose == &#39;collect&#39;" in shown.text
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "activity_type")
    ).all()
    assert {"activity_type.created", "activity_type.draft_saved", "activity_type.published"} <= set(
        actions
    )


def test_a_bad_condition_is_refused_next_to_its_input_with_what_was_typed_kept(client, db, hr):
    visit = _build_visit(client, db)
    before = visit.draft
    response = _field(
        client,
        visit.id,
        visit.version,
        key="note",
        label_zh="备注",
        type="text",
        visible_if="purpse == 'collect'",
    )
    assert response.status_code == 422
    errors = field_errors(response.text)
    assert any("purpse" in e and "purpose" in e for e in errors), errors
    assert 'value="purpse == &#39;collect&#39;"' in response.text  # kept as typed
    assert _type(db).draft == before  # nothing saved
    # a condition may read only the fields above it
    later = _field(
        client,
        visit.id,
        visit.version,
        "purpose",
        key="purpose",
        label_zh="目的",
        type="choice",
        required="when",
        required_if="amount > 0",
        options="demo 演示",
    )
    assert later.status_code == 422
    assert any("amount" in e for e in field_errors(later.text))


def test_a_bad_condition_reads_in_chinese_for_a_chinese_reader(client, db, hr):
    visit = _build_visit(client, db)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = _field(
        client, visit.id, visit.version, key="n", label_zh="数", type="number", min="5", max="1"
    )
    assert response.status_code == 422
    assert "不能小于 min" in field_errors(response.text)


def test_the_live_check_answers_as_the_condition_is_typed(client, db, hr):
    visit = _build_visit(client, db)
    url = f"/builder/activities/{visit.id}/formula/check"
    good = client.post(url, json={"formula": "purpose == 'demo'", "context": "visible_if"})
    assert good.get_json()["ok"] is True
    assert good.get_json()["names"] == ["purpose", "amount"]
    bad = client.post(url, json={"formula": "purpse == 1", "key": "amount", "context": "required"})
    body = bad.get_json()
    assert body["ok"] is False and "purpose" in body["error"]["message"]
    assert body["names"] == ["purpose"]


def test_a_stale_save_is_a_conflict_and_changes_nothing(client, db, hr):
    visit = _build_visit(client, db)
    stale = visit.version
    assert _field(client, visit.id, stale, key="note", label_zh="备注").status_code == 302
    after = _type(db).draft
    again = _field(client, visit.id, stale, key="other", label_zh="其他")
    assert again.status_code == 409
    assert _type(db).draft == after
    moved = client.post(f"/builder/activities/{visit.id}/fields/note/up", data={"version": stale})
    assert moved.status_code == 409
    assert _type(db).draft == after


def test_fields_move_and_are_removed_and_a_broken_condition_blocks_publishing(client, db, hr):
    visit = _build_visit(client, db)
    down = client.post(
        f"/builder/activities/{visit.id}/fields/purpose/down", data={"version": visit.version}
    )
    assert down.status_code == 302
    visit = _type(db)
    assert [f["key"] for f in visit.draft["fields"]] == ["amount", "purpose"]
    # amount's condition now reads a field below it: listed, and publishing is refused
    page = client.get(f"/builder/activities/{visit.id}")
    assert 'id="problems"' in page.text and "fields[0].visible_if" in page.text
    refused = client.post(
        f"/builder/activities/{visit.id}/publish", data={"version": visit.version}
    )
    assert refused.status_code == 422
    assert _type(db).versions == []
    removed = client.post(
        f"/builder/activities/{visit.id}/fields/amount/remove", data={"version": visit.version}
    )
    assert removed.status_code == 302
    visit = _type(db)
    assert [f["key"] for f in visit.draft["fields"]] == ["purpose"]
    assert (
        client.post(
            f"/builder/activities/{visit.id}/publish", data={"version": visit.version}
        ).status_code
        == 302
    )


def test_settings_say_who_records_it_and_whether_a_manager_reviews(client, db, hr):
    visit = _build_visit(client, db)
    response = client.post(
        f"/builder/activities/{visit.id}/settings",
        data={
            "version": visit.version,
            "name_zh": "拜访",
            "name_en": "Visit",
            "kind": "visit",
            "review": "y",
            "staff": ["field"],
            "positions": ["销售代表"],
            "departments": ["华东区"],
        },
    )
    assert response.status_code == 302
    draft = _type(db).draft
    assert draft["review"] is True
    assert draft["who"] == {
        "staff": ["field"],
        "positions": ["销售代表"],
        "departments": ["华东区"],
    }
    page = client.get(f"/builder/activities/{visit.id}")
    assert re.search(r'<input checked[^>]*value="销售代表"', page.text)
    assert re.search(r'<input checked[^>]*value="华东区"', page.text)


def test_a_record_keeps_the_version_it_was_made_with(client, db, hr, make):
    visit = _build_visit(client, db)
    client.post(f"/builder/activities/{visit.id}/publish", data={"version": visit.version})
    org = hr
    member = make.member(org, "fay@acme.example", roles=("employee",))
    fay = make.employee(org, "F1", "Fay", user_id=member.user_id)
    viewer = viewer_for(db, org.id, member.user_id, frozenset({"employee"}))
    first = record_activity(
        db,
        viewer,
        fay,
        uuid="00000000-0000-4000-8000-000000000001",
        type_key="visit",
        values={"purpose": "collect", "amount": "120.50"},
        occurred_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    ).record
    db.commit()
    v1 = first.type_version_id

    visit = _type(db)
    edited = _field(
        client,
        visit.id,
        visit.version,
        "amount",
        key="amount",
        label_zh="收款金额",
        type="money",
        required="always",
        visible_if="purpose == 'collect'",
        max="100000",
    )
    assert edited.status_code == 302
    visit = _type(db)
    client.post(f"/builder/activities/{visit.id}/publish", data={"version": visit.version})
    visit = _type(db)
    assert [v.version for v in visit.versions] == [1, 2]
    assert "max" in visit.versions[1].definition["fields"][1]
    assert "max" not in visit.versions[0].definition["fields"][1]
    db.refresh(first)
    assert first.type_version_id == v1 == visit.versions[0].id
    second = record_activity(
        db,
        viewer,
        db.get(Employee, fay.id),
        uuid="00000000-0000-4000-8000-000000000002",
        type_key="visit",
        values={"purpose": "demo"},
    ).record
    assert second.type_version_id == visit.versions[1].id


def test_archived_forms_cannot_be_recorded_and_can_be_restored(client, db, hr, make):
    visit = _build_visit(client, db)
    client.post(f"/builder/activities/{visit.id}/publish", data={"version": visit.version})
    assert (
        client.post(f"/builder/activities/{visit.id}/archive", data={"archived": 1}).status_code
        == 302
    )
    assert _type(db).archived is True
    member = make.member(hr, "fay@acme.example", roles=("employee",))
    fay = make.employee(hr, "F1", "Fay", user_id=member.user_id)
    viewer = viewer_for(db, hr.id, member.user_id, frozenset({"employee"}))
    from appraisal.runtime.fieldwork.records import RecordRefused

    with pytest.raises(RecordRefused):
        record_activity(
            db,
            viewer,
            fay,
            uuid="00000000-0000-4000-8000-000000000003",
            type_key="visit",
            values={"purpose": "demo"},
        )
    db.rollback()
    client.post(f"/builder/activities/{visit.id}/archive", data={"archived": 0})
    assert _type(db).archived is False
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "activity_type"))
    assert {"activity_type.archived", "activity_type.restored"} <= set(actions)


def test_export_and_import_round_trip(client, db, hr):
    visit = _build_visit(client, db)
    client.post(f"/builder/activities/{visit.id}/publish", data={"version": visit.version})
    exported = client.get(f"/builder/activities/{visit.id}/export?version=1")
    assert exported.status_code == 200
    definition = json.loads(exported.data)
    assert client.get(f"/builder/activities/{visit.id}/export?version=9").status_code == 404

    taken = client.post(
        "/builder/activities/import",
        data={"file": (io.BytesIO(exported.data), "visit.json")},
        content_type="multipart/form-data",
    )
    assert taken.status_code == 422 and "import it as a copy" in taken.text
    copied = client.post(
        "/builder/activities/import",
        data={"file": (io.BytesIO(exported.data), "visit.json"), "as_copy": "y"},
        content_type="multipart/form-data",
    )
    assert copied.status_code == 302
    copy = _type(db, "visit-copy")
    again = client.get(f"/builder/activities/{copy.id}/export")
    assert json.loads(again.data) == definition | {"key": "visit-copy"}
    assert "activity_type.imported" in db.scalars(select(AuditEvent.action)).all()


def test_an_invalid_file_is_refused_with_every_problem_and_nothing_imported(client, db, hr):
    bad = {
        "format": "activity/1",
        "key": "bad",
        "name": "坏",
        "fields": [
            {"key": "a", "label": "A", "type": "choice"},
            {"key": "b", "label": "B", "type": "text", "visible_if": "zz > 1"},
        ],
    }
    response = client.post(
        "/builder/activities/import",
        data={"file": (io.BytesIO(json.dumps(bad).encode()), "bad.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "fields[0].options" in response.text and "fields[1].visible_if" in response.text
    not_json = client.post(
        "/builder/activities/import",
        data={"file": (io.BytesIO(b"{nope"), "bad.json")},
        content_type="multipart/form-data",
    )
    assert not_json.status_code == 422
    assert _type(db, "bad") is None


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_employees_and_managers_cannot_build_activity_forms(client, auth, make, db, role):
    org = make.org("acme")
    make.member(org, "someone@acme.example", roles=(role,))
    visit = ActivityType(organization_id=org.id, key="visit", draft={"key": "visit"})
    db.add(visit)
    db.commit()
    auth.login("someone@acme.example")
    for url in ("/builder/activities", f"/builder/activities/{visit.id}"):
        assert client.get(url).status_code == 403
    assert client.post(f"/builder/activities/{visit.id}/publish").status_code == 403


def test_another_organizations_form_is_not_found(client, db, hr, make):
    other = make.org("other")
    theirs = ActivityType(organization_id=other.id, key="visit", draft={"key": "visit"})
    db.add(theirs)
    db.commit()
    for url in (
        f"/builder/activities/{theirs.id}",
        f"/builder/activities/{theirs.id}/history",
        f"/builder/activities/{theirs.id}/export",
        f"/builder/activities/{theirs.id}/fields/new",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/builder/activities/{theirs.id}/publish",
        f"/builder/activities/{theirs.id}/archive",
        f"/builder/activities/{theirs.id}/settings",
        f"/builder/activities/{theirs.id}/fields/x/remove",
    ):
        assert client.post(url, data={"version": 1}).status_code == 404, url
    db.expire_all()
    assert db.get(ActivityType, theirs.id).archived is False
