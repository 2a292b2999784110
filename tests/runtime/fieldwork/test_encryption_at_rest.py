"""Issue 22: where a person was (a field visit's coordinates) is encrypted at rest. The raw
table holds Fernet tokens, the code reads the decimals, the geofence still flags, `secrets
rotate` moves every encrypted column to the new key, and migration 0024 encrypts rows that
were stored before it (and 0021 gets them back)."""

from __future__ import annotations

import uuid as uuids
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from appraisal import encryption
from appraisal.at_rest import encrypted_columns
from appraisal.db import make_engine
from appraisal.migrate import downgrade, upgrade
from appraisal.models import ActivityRecord
from appraisal.runtime.fieldwork import consent
from appraisal.runtime.fieldwork.records import record_activity

AT_SHOP = {"latitude": 31.1881, "longitude": 121.4371, "accuracy": 12, "source": "gps"}
FAR = {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 30, "source": "device"}


def _located(db, field, where):
    fay = field["people"]["F1"]
    consent.decide(db, field["viewer"]("F1"), fay, "visit", "granted")
    stored = record_activity(
        db,
        field["viewer"]("F1"),
        fay,
        uuid=str(uuids.uuid4()),
        type_key="customer_visit",
        values={"customer": field["shop"].id, "purpose": "demo", "where": where},
    ).record
    db.commit()
    return stored


def _raw(db, record_id):
    return db.execute(
        text("SELECT latitude, longitude FROM activity_records WHERE id = :id"), {"id": record_id}
    ).one()


def test_coordinates_are_tokens_in_the_table_and_decimals_in_the_code(app, db, field):
    near = _located(db, field, AT_SHOP)
    far = _located(db, field, FAR)
    keys = encryption.keys_from_config(app.config)
    for record, where in ((near, AT_SHOP), (far, FAR)):
        latitude, longitude = _raw(db, record.id)
        assert str(where["latitude"]) not in latitude  # "31.1881", in whatever precision
        assert str(where["longitude"]) not in longitude
        assert encryption.decrypt(latitude, keys) == f"{where['latitude']:.6f}"
    db.expire_all()
    again = db.get(ActivityRecord, near.id)
    assert again.latitude == Decimal("31.188100") and again.longitude == Decimal("121.437100")
    # the geofence, computed from the decrypted figures, still tells near from far
    assert again.outside_geofence is False and again.distance_m < 20
    assert db.get(ActivityRecord, far.id).outside_geofence is True
    # "has a location" is still a question the database answers (NULL stays NULL)
    located = db.scalars(select(ActivityRecord.id).where(ActivityRecord.latitude.is_not(None)))
    assert set(located) == {near.id, far.id}


def test_every_encrypted_column_is_rotated_by_the_secrets_command(app, db, field, runner):
    record = _located(db, field, AT_SHOP)
    old = encryption.keys_from_config(app.config)
    new = encryption.new_key()
    app.config["ENCRYPTION_KEYS"] = f"{new},{old[0].decode()}"
    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "activity_records.latitude in 1 row(s)" in result.output
    latitude, longitude = _raw(db, record.id)
    assert encryption.decrypt(latitude, (new.encode(),)) == "31.188100"
    with pytest.raises(encryption.DecryptionFailed):
        encryption.decrypt(longitude, old)
    app.config["ENCRYPTION_KEYS"] = new  # the old key dropped: the app still reads it
    db.expire_all()
    assert db.get(ActivityRecord, record.id).longitude == Decimal("121.437100")


def test_a_rotation_without_the_old_key_changes_no_column(app, db, field, runner):
    record = _located(db, field, AT_SHOP)
    before = _raw(db, record.id)
    app.config["ENCRYPTION_KEYS"] = encryption.new_key()
    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert tuple(_raw(db, record.id)) == tuple(before)


def test_the_coordinates_are_the_encrypted_columns():
    found = {f"{table.name}.{column.name}" for table, column in encrypted_columns()}
    assert found == {"activity_records.latitude", "activity_records.longitude"}


def test_migration_0024_encrypts_rows_stored_before_it_and_downgrading_decrypts_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    keys = (encryption.new_key().encode(),)
    engine = make_engine(url, keys)
    upgrade(engine, "0023")
    with engine.begin() as connection:
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        connection.execute(
            text(
                "INSERT INTO activity_records (id, organization_id, uuid, activity_type_id, "
                'type_version_id, employee_id, occurred_at, occurred_on, "values", status, '
                "latitude, longitude, review_comment, created_at, updated_at, version) VALUES "
                "(1, 1, 'u1', 1, 1, 1, '2026-01-01', '2026-01-01', '{}', 'recorded', "
                "31.188, 121.4371, '', '2026-01-01', '2026-01-01', 1), "
                "(2, 1, 'u2', 1, 1, 1, '2026-01-01', '2026-01-01', '{}', 'recorded', "
                "NULL, NULL, '', '2026-01-01', '2026-01-01', 1)"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT latitude, longitude FROM activity_records")).all()
        assert rows[1] == (None, None)
        assert encryption.decrypt(rows[0][0], keys) == "31.188000"
        assert encryption.decrypt(rows[0][1], keys) == "121.437100"
    downgrade(engine, "0023")
    with engine.connect() as connection:
        back = connection.execute(text("SELECT latitude, longitude FROM activity_records")).all()
    assert [tuple(map(lambda v: None if v is None else Decimal(str(v)), row)) for row in back] == [
        (Decimal("31.188"), Decimal("121.4371")),
        (None, None),
    ]
    engine.dispose()
