"""Recording a field record: values checked by the form, stored once per uuid, location
kept only with consent, a site far away flagged with its distance."""

from __future__ import annotations

import uuid as uuids
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from appraisal.models import ActivityRecord, RecordStatus
from appraisal.runtime.fieldwork import consent
from appraisal.runtime.fieldwork.records import RecordRefused, distance_m, record_activity

AT_SHOP = {"latitude": 31.1881, "longitude": 121.4371, "accuracy": 12, "source": "gps"}
FAR = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 30, "source": "device"}


def _record(db, field, values, number="F1", uuid=None, **kwargs):
    fay = field["people"][number]
    return record_activity(
        db,
        field["viewer"](number),
        fay,
        uuid=uuid or str(uuids.uuid4()),
        type_key="customer_visit",
        values=values,
        **kwargs,
    )


def test_a_record_sent_twice_is_stored_once(db, field):
    uuid = str(uuids.uuid4())
    values = {"customer": field["shop"].id, "purpose": "demo"}
    first = _record(db, field, values, uuid=uuid)
    db.commit()
    again = _record(db, field, {"customer": field["shop"].id, "purpose": "collect"}, uuid=uuid)
    db.commit()
    assert first.created and not again.created
    assert again.record.id == first.record.id
    assert again.record.values == {"customer": field["shop"].id, "purpose": "demo"}
    assert db.scalar(select(func.count()).select_from(ActivityRecord)) == 1
    assert first.record.status == RecordStatus.PENDING  # the form asks for a review


def test_hidden_fields_are_dropped_and_visible_required_ones_demanded(db, field):
    with pytest.raises(RecordRefused) as refused:
        _record(db, field, {"customer": field["shop"].id, "purpose": "collect"})
    assert set(refused.value.errors) == {"amount"}
    db.rollback()
    stored = _record(db, field, {"customer": field["shop"].id, "purpose": "demo", "amount": "12"})
    assert "amount" not in stored.record.values


def test_location_is_kept_only_with_consent_and_far_sites_are_flagged(db, field):
    fay = field["people"]["F1"]
    values = {"customer": field["shop"].id, "purpose": "demo", "where": AT_SHOP}
    without = _record(db, field, values).record
    assert without.latitude is None and without.outside_geofence is None
    consent.decide(db, field["viewer"]("F1"), fay, "visit", "granted")
    near = _record(db, field, values).record
    assert near.location_source == "gps" and near.outside_geofence is False
    assert (
        near.distance_m
        == distance_m(
            near.latitude, near.longitude, field["shop"].latitude, field["shop"].longitude
        )
        < 20
    )
    far = _record(db, field, {**values, "where": FAR}).record
    assert far.outside_geofence is True and 5000 < far.distance_m < 6000
    consent.decide(db, field["viewer"]("F1"), fay, "visit", "withdrawn")
    after = _record(db, field, values).record
    assert after.latitude is None


def test_the_day_is_the_organizations_local_day(db, field):
    late = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 April in Shanghai
    record = _record(
        db, field, {"customer": field["shop"].id, "purpose": "demo"}, occurred_at=late
    ).record
    assert record.occurred_on.isoformat() == "2026-04-01"


def test_a_form_for_field_staff_refuses_an_office_clerk(db, field):
    with pytest.raises(RecordRefused) as refused:
        _record(db, field, {"customer": field["shop"].id, "purpose": "demo"}, number="E1")
    assert "type" in refused.value.errors


def test_nobody_records_for_someone_else(db, field):
    fay = field["people"]["F1"]
    with pytest.raises(RecordRefused):
        record_activity(
            db,
            field["viewer"]("M1"),
            fay,
            uuid=str(uuids.uuid4()),
            type_key="customer_visit",
            values={"customer": field["shop"].id, "purpose": "demo"},
        )


def test_a_field_cannot_take_a_key_the_form_page_posts_itself():
    from appraisal.rules import validate_activity
    from tests.runtime.fieldwork.conftest import VISIT

    clash = {**VISIT, "fields": [{"key": "csrf_token", "label": "x", "type": "text"}]}
    assert [e.code for e in validate_activity(clash)] == ["reserved"]
