"""Photos as the service receives them: decoded for real, turned upright, resized, drawn again
without metadata (the GPS block kept only where the field asks and consent is in force),
refused with nothing stored when they are not what they claim, stored once per uuid, and
pruned when no record took them."""

from __future__ import annotations

import io
import uuid as uuids
from datetime import timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from appraisal.models import ActivityTypeVersion, AuditEvent, Photo
from appraisal.runtime.fieldwork import consent
from appraisal.runtime.fieldwork.photos import (
    Limits,
    PhotoRefused,
    Upload,
    delete_files,
    location_purpose,
    photo_bytes,
    prune_unattached,
    receive_photo,
    thumb_key,
)
from appraisal.runtime.fieldwork.records import compiled_version, record_activity
from appraisal.storage import LocalStorage
from tests import photo_images as images
from tests.photo_images import APP1, APP2, COM

from .conftest import VISIT

LIMITS = Limits(max_bytes=8 * 1024 * 1024, max_pixels=50_000_000)


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "files")


def keeping_location(db, field):
    """Version 2 of the visit form: its photos field keeps the location."""
    definition = {
        **VISIT,
        "fields": [
            {**f, "keep_location": True} if f["type"] == "photos" else f for f in VISIT["fields"]
        ],
    }
    db.add(
        ActivityTypeVersion(
            organization_id=field["org"].id,
            activity_type_id=field["visit"].id,
            version=2,
            definition=definition,
        )
    )
    db.commit()
    db.refresh(field["visit"])


def upload(db, field, storage, data, number="F1", uuid=None, limits=LIMITS, **kwargs):
    return receive_photo(
        db,
        field["viewer"](number),
        Upload(uuid=uuid or str(uuids.uuid4()), file=io.BytesIO(data), **kwargs),
        storage,
        limits,
    )


def stored_files(storage) -> list:
    return sorted(p for p in storage.root.rglob("*") if p.is_file())


def gps_of(data: bytes) -> dict:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


def test_a_camera_jpeg_is_stored_upright_resized_and_without_metadata(db, field, storage):
    received = upload(db, field, storage, images.camera_jpeg(), type_key="customer_visit")
    db.commit()
    photo = received.photo
    assert received.created
    stored = photo_bytes(storage, photo)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    # 2400×1200 sensor turned by orientation 6: portrait, long edge 1600
    assert (photo.width, photo.height) == image.size == (800, 1600)
    assert image.getpixel((400, 100))[0] > 200  # the red half is on top once upright
    assert image.getpixel((400, 1500))[2] > 200
    segments = images.jpeg_segments(stored)
    assert APP1 not in segments and APP2 not in segments and COM not in segments
    assert b"PhoneCo" not in stored and b"SN-123456" not in stored and b"secret" not in stored
    assert dict(image.getexif()) == {} and not photo.kept_location
    thumb = Image.open(io.BytesIO(photo_bytes(storage, photo, thumb=True)))
    assert max(thumb.size) == 320 and APP1 not in images.jpeg_segments(
        photo_bytes(storage, photo, thumb=True)
    )
    assert photo.size_bytes == len(stored) and len(photo.sha256) == 64
    assert photo.storage_key.startswith(f"photos/{field['org'].id}/")
    assert photo.uuid not in photo.storage_key  # the key is not derived from what the phone sent
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "photo.uploaded"))
    assert event.entity_id == photo.id and event.detail["employee"] == "F1"


@pytest.mark.parametrize("image", [images.png, images.webp], ids=["png", "webp"])
def test_png_and_webp_become_clean_jpegs(db, field, storage, image):
    photo = upload(db, field, storage, image()).photo
    stored = photo_bytes(storage, photo)
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert APP1 not in images.jpeg_segments(stored)  # the WebP's GPS is gone too
    assert photo.content_type == "image/jpeg"


def test_the_location_is_kept_only_where_the_field_asks_and_consent_is_in_force(db, field, storage):
    fay, viewer = field["people"]["F1"], field["viewer"]("F1")
    at = {"type_key": "customer_visit", "field_key": "photos"}
    # the field does not ask: stripped even with consent
    consent.decide(db, viewer, fay, "visit", "granted")
    assert (
        gps_of(photo_bytes(storage, upload(db, field, storage, images.camera_jpeg(), **at).photo))
        == {}
    )
    keeping_location(db, field)
    kept = upload(db, field, storage, images.camera_jpeg(), **at).photo
    assert kept.kept_location
    gps = gps_of(photo_bytes(storage, kept))
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N" and gps[ExifTags.GPS.GPSLongitude][0] == 121
    stored = photo_bytes(storage, kept)
    assert b"PhoneCo" not in stored and b"SN-123456" not in stored  # only the GPS block
    assert APP1 not in images.jpeg_segments(photo_bytes(storage, kept, thumb=True))
    # another field, or no form named: stripped
    for other in ({"type_key": "customer_visit", "field_key": "purpose"}, {}):
        assert not upload(db, field, storage, images.camera_jpeg(), **other).photo.kept_location
    # consent withdrawn: stripped
    consent.decide(db, viewer, fay, "visit", "withdrawn")
    withdrawn = upload(db, field, storage, images.camera_jpeg(), **at).photo
    assert not withdrawn.kept_location and gps_of(photo_bytes(storage, withdrawn)) == {}


def test_the_consent_asked_is_the_forms_own_location_purpose(field):
    visit = compiled_version(field["visit"])
    assert location_purpose(visit) == "visit"
    check_in = {
        **VISIT,
        "kind": "check_in",
        "fields": [f for f in VISIT["fields"] if f["type"] != "location"],
    }
    from appraisal.rules import compile_activity

    assert location_purpose(compile_activity(check_in)) == "check_in"
    assert location_purpose(compile_activity({**check_in, "kind": "report"})) == "visit"


REFUSED = [
    ("text named .jpg", b"name,amount\nFay,12\n" * 50, "not a photo that can be read"),
    ("gif", images.gif(), "not a photo that can be read"),
    ("heic", images.heic_header(), "HEIC"),
    ("truncated jpeg", images.truncated_jpeg(), "damaged or cut off"),
    ("decompression bomb", images.png_bomb(), "too many pixels"),
    ("empty", b"", "No photo was sent"),
]


@pytest.mark.parametrize(("data", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_what_is_not_a_readable_photo_is_refused_and_nothing_is_stored(
    db, field, storage, data, message
):
    with pytest.raises(PhotoRefused) as refused:
        upload(db, field, storage, data)
    assert message in str(refused.value.errors["photo"]) and refused.value.status == 422
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Photo)) == 0
    assert stored_files(storage) == []


def test_a_bomb_under_pillows_own_limit_is_refused_by_ours(db, field, storage):
    small = Limits(max_bytes=LIMITS.max_bytes, max_pixels=1_000_000)
    with pytest.raises(PhotoRefused, match="too many pixels"):
        upload(db, field, storage, images.png_bomb(side=2000), limits=small)
    assert stored_files(storage) == []


def test_an_oversized_upload_is_refused_after_reading_just_past_the_limit(db, field, storage):
    data = images.camera_jpeg()
    limits = Limits(max_bytes=len(data) - 1, max_pixels=LIMITS.max_pixels)

    read_sizes = []

    class Counting(io.BytesIO):
        def read(self, size=-1):
            read_sizes.append(size)
            return super().read(size)

    sent = Counting(data + b"\0" * 10_000_000)
    with pytest.raises(PhotoRefused) as refused:
        receive_photo(db, field["viewer"]("F1"), Upload(str(uuids.uuid4()), sent), storage, limits)
    assert refused.value.status == 413 and "at most" in str(refused.value.message)
    assert read_sizes == [len(data)] and sent.tell() == len(data)
    assert stored_files(storage) == []


def test_a_photo_sent_twice_is_stored_once_and_another_employees_uuid_is_refused(
    db, field, storage
):
    uuid = str(uuids.uuid4())
    first = upload(db, field, storage, images.camera_jpeg(), uuid=uuid)
    db.commit()
    again = upload(db, field, storage, images.png(), uuid=uuid.upper())
    assert not again.created and again.photo.id == first.photo.id
    assert len(stored_files(storage)) == 2  # the photo and its thumbnail, once
    with pytest.raises(PhotoRefused) as refused:
        upload(db, field, storage, images.camera_jpeg(), number="E1", uuid=uuid)
    assert "already used" in str(refused.value.errors["uuid"])
    with pytest.raises(PhotoRefused, match="photo id"):
        upload(db, field, storage, images.camera_jpeg(), uuid="../../etc/passwd")


def test_someone_who_is_not_an_employee_uploads_nothing(db, field, storage):
    hr = field["viewer"](user_id=field["hr"].user_id, roles=("admin",))
    with pytest.raises(PhotoRefused, match="employee"):
        receive_photo(db, hr, Upload(str(uuids.uuid4()), io.BytesIO(images.png())), storage, LIMITS)


def test_photos_no_record_took_are_pruned_after_a_day(db, field, storage):
    attached = upload(db, field, storage, images.png()).photo
    record_activity(
        db,
        field["viewer"]("F1"),
        field["people"]["F1"],
        uuid=str(uuids.uuid4()),
        type_key="customer_visit",
        values={"customer": field["shop"].id, "purpose": "demo", "photos": [attached.uuid]},
    )
    stale = upload(db, field, storage, images.png()).photo
    fresh = upload(db, field, storage, images.png()).photo
    for photo in (attached, stale):
        photo.created_at -= timedelta(days=2)
    db.commit()
    keys = prune_unattached(db)
    db.commit()
    delete_files(storage, keys)
    assert keys == [stale.storage_key]
    assert set(db.scalars(select(Photo.uuid))) == {attached.uuid, fresh.uuid}
    assert not storage.exists(stale.storage_key) and not storage.exists(
        thumb_key(stale.storage_key)
    )
    assert storage.exists(attached.storage_key) and storage.exists(fresh.storage_key)


def test_the_prune_command(app, db, field, runner):
    storage = app.extensions["appraisal.storage"]
    stale = upload(db, field, storage, images.png()).photo
    stale.created_at -= timedelta(days=2)
    db.commit()
    result = runner.invoke(args=["photos", "prune"])
    assert result.exit_code == 0 and "1 unattached photos removed" in result.output
    assert db.scalar(select(func.count()).select_from(Photo)) == 0
    assert not storage.exists(stale.storage_key)


def test_a_kept_location_is_dropped_when_the_consent_is_gone_by_the_time_the_record_arrives(
    app, db, field
):
    """A photo may wait in the outbox: its GPS block joins the record only if the record's
    form keeps it and the consent is still in force when the record arrives."""
    from appraisal.storage import get_storage

    fay, viewer = field["people"]["F1"], field["viewer"]("F1")
    at = {"type_key": "customer_visit", "field_key": "photos"}
    consent.decide(db, viewer, fay, "visit", "granted")
    keeping_location(db, field)
    with app.app_context():
        storage = get_storage()
        still, gone = (upload(db, field, storage, images.camera_jpeg(), **at).photo for _ in "ab")
        assert still.kept_location and gone.kept_location

        def visit(photo):
            return record_activity(
                db,
                viewer,
                fay,
                uuid=str(uuids.uuid4()),
                type_key="customer_visit",
                values={"customer": field["shop"].id, "purpose": "demo", "photos": [photo.uuid]},
            )

        visit(still)
        assert still.kept_location and gps_of(photo_bytes(storage, still)) != {}
        consent.decide(db, viewer, fay, "visit", "withdrawn")
        visit(gone)
        assert not gone.kept_location and gps_of(photo_bytes(storage, gone)) == {}
        stored = photo_bytes(storage, gone)
        assert gone.size_bytes == len(stored) and Image.open(io.BytesIO(stored)).width > 0
