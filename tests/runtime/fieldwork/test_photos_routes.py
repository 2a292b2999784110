"""The phone's photo routes: upload as the contract says (201, 200 again, 422, 413), download
for whoever sees the employee's records (another team or organization: 404), and the whole
path through an S3-compatible server (moto's, over HTTP)."""

from __future__ import annotations

import io
import uuid as uuids
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from appraisal.models import Photo
from appraisal.runtime.fieldwork.records import record_activity
from appraisal.storage import S3Storage, storage_from_config
from tests import photo_images as images
from tests.s3_server import CREDENTIALS, free_port, s3_server


def post_photo(client, data, uuid=None, filename="IMG_0001.jpg", **fields):
    form = {"uuid": uuid or str(uuids.uuid4()), "photo": (io.BytesIO(data), filename), **fields}
    return client.post("/field/photos", data=form, content_type="multipart/form-data")


def stored(app) -> list:
    root = app.extensions["appraisal.storage"].root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_answers_as_the_contract_says(client, auth, db, field, app):
    auth.login("fay@acme.example")
    uuid = str(uuids.uuid4())
    first = post_photo(client, images.camera_jpeg(), uuid, type="customer_visit", field="photos")
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json == {"uuid": uuid, "width": 800, "height": 1600}
    again = post_photo(client, images.png(), uuid)
    assert again.status_code == 200 and again.json == first.json
    assert db.scalar(select(func.count()).select_from(Photo)) == 1 and len(stored(app)) == 2


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"%PDF-1.7 not a photo" * 100, "receipt.jpg", "not a photo that can be read"),
        (images.heic_header(), "IMG_0002.HEIC", "HEIC"),
        (images.truncated_jpeg(), "IMG_0003.jpg", "damaged or cut off"),
        (images.png_bomb(), "bomb.png", "too many pixels"),
    ],
    ids=["pdf named .jpg", "heic", "truncated", "bomb"],
)
def test_a_refused_upload_is_a_422_naming_the_field_and_stores_nothing(
    client, auth, db, field, app, data, filename, message
):
    auth.login("fay@acme.example")
    response = post_photo(client, data, filename=filename)
    assert response.status_code == 422
    assert message in response.json["errors"]["photo"]
    assert db.scalar(select(func.count()).select_from(Photo)) == 0 and stored(app) == []


def test_refusals_are_in_the_users_language(client, auth, field):
    auth.login("fay@acme.example")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    response = post_photo(client, b"hello")
    assert response.status_code == 422
    assert "JPEG" in response.json["errors"]["photo"]
    assert "照片" in response.json["errors"]["photo"]
    bad_id = post_photo(client, images.png(), uuid="not-a-uuid")
    assert bad_id.status_code == 422 and "照片" in bad_id.json["errors"]["uuid"]


def test_an_oversized_photo_is_a_413_and_stores_nothing(client, auth, db, field, app):
    auth.login("fay@acme.example")
    app.config["PHOTO_MAX_BYTES"] = 100_000
    big = images.camera_jpeg(width=4000, height=3000, quality=100)
    assert len(big) > 100_000
    response = post_photo(client, big)
    assert response.status_code == 413 and "at most" in response.json["errors"]["photo"]
    # beyond the request limit: refused before the form is read (a body built here: the
    # test client's own spooled file would stay open when the app refuses to read it)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n\r\n'
        + b"\xff" * (app.config["MAX_CONTENT_LENGTH"] + 1)
        + b"\r\n--b--\r\n"
    )
    beyond = client.post("/field/photos", data=body, content_type="multipart/form-data; boundary=b")
    assert beyond.status_code == 413
    assert db.scalar(select(func.count()).select_from(Photo)) == 0 and stored(app) == []


def test_missing_parts_are_refused_next_to_their_field(client, auth, field):
    auth.login("fay@acme.example")
    no_file = client.post("/field/photos", data={"uuid": str(uuids.uuid4())})
    assert no_file.status_code == 422 and "photo" in no_file.json["errors"]
    no_uuid = client.post("/field/photos", data={"photo": (io.BytesIO(images.png()), "a.png")})
    assert no_uuid.status_code == 422 and no_uuid.json["errors"].keys() == {"uuid"}


def test_another_employee_cannot_take_a_photos_uuid(client, auth, field):
    uuid = str(uuids.uuid4())
    auth.login("fay@acme.example")
    assert post_photo(client, images.png(), uuid).status_code == 201
    auth.logout()
    auth.login("ed@acme.example")
    response = post_photo(client, images.png(), uuid)
    assert response.status_code == 422 and "already used" in response.json["errors"]["uuid"]


def fays_photo(client, auth) -> str:
    auth.login("fay@acme.example")
    uuid = str(uuids.uuid4())
    assert post_photo(client, images.camera_jpeg(), uuid).status_code == 201
    auth.logout()
    return uuid


def test_who_may_see_a_photo(client, auth, make, field):
    uuid = fays_photo(client, auth)
    beta = make.org("beta")
    make.member(beta, "hr@beta.example", roles=("admin",))
    allowed = {"fay@acme.example", "max@acme.example", "hr@acme.example"}
    for email in [*allowed, "olga@acme.example", "ed@acme.example", "hr@beta.example"]:
        auth.login(email)
        response = client.get(f"/field/photos/{uuid}")
        thumb = client.get(f"/field/photos/{uuid}?size=thumb")
        if email in allowed:
            assert response.status_code == 200, email
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Cache-Control"] == "private, no-store"
            assert Image.open(io.BytesIO(response.data)).size == (800, 1600)
            assert Image.open(io.BytesIO(thumb.data)).size == (160, 320)
        else:
            assert (response.status_code, thumb.status_code) == (404, 404), email
        auth.logout()
    assert client.get(f"/field/photos/{uuid}").status_code == 302  # sign in first


def test_a_guessed_id_or_storage_key_serves_nothing(client, auth, db, field):
    uuid = fays_photo(client, auth)
    key = db.scalar(select(Photo.storage_key))
    auth.login("hr@acme.example")
    for guess in (str(uuids.uuid4()), key, key.replace("/", "%2F"), "..%2F..%2Fsecret_key"):
        assert client.get(f"/field/photos/{guess}").status_code == 404, guess
    assert client.get(f"/field/photos/{uuid.upper()}").status_code == 200


def test_a_photo_whose_file_is_gone_is_a_404_not_a_500(client, auth, db, app, field):
    uuid = fays_photo(client, auth)
    app.extensions["appraisal.storage"].delete(db.scalar(select(Photo.storage_key)))
    auth.login("fay@acme.example")
    assert client.get(f"/field/photos/{uuid}").status_code == 404


def test_upload_record_download_through_a_real_s3_server(client, auth, db, app, field):
    with s3_server() as config:
        app.extensions["appraisal.storage"] = storage_from_config(config, app.instance_path)
        bucket = app.extensions["appraisal.storage"]
        assert isinstance(bucket, S3Storage)
        auth.login("fay@acme.example")
        uuid = str(uuids.uuid4())
        response = post_photo(client, images.camera_jpeg(), uuid, type="customer_visit")
        assert response.status_code == 201
        photo = db.scalar(select(Photo))
        listed = bucket.client.list_objects_v2(Bucket=config["S3_BUCKET"])["Contents"]
        assert sorted(o["Key"] for o in listed) == sorted(
            [photo.storage_key, photo.storage_key.removesuffix(".jpg") + "-thumb.jpg"]
        )
        recorded = record_activity(
            db,
            field["viewer"]("F1"),
            field["people"]["F1"],
            uuid=str(uuids.uuid4()),
            type_key="customer_visit",
            values={"customer": field["shop"].id, "purpose": "demo", "photos": [uuid]},
        )
        db.commit()
        assert [p.uuid for p in recorded.record.photos] == [uuid]
        auth.logout()
        auth.login("max@acme.example")
        download = client.get(f"/field/photos/{uuid}")
        assert download.status_code == 200
        assert download.data == bucket.get(photo.storage_key)
        assert Image.open(io.BytesIO(download.data)).size == (800, 1600)
    assert not list(Path(app.config["STORAGE_DIR"]).rglob("*"))  # nothing went to the disk


def test_a_store_out_of_reach_is_a_503_to_try_again_and_nothing_is_saved(
    client, auth, db, app, field
):
    uuid = fays_photo(client, auth)
    unreachable = {
        **CREDENTIALS,
        "S3_BUCKET": "b",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }
    app.extensions["appraisal.storage"] = storage_from_config(unreachable, app.instance_path)
    auth.login("fay@acme.example")
    response = post_photo(client, images.png())
    assert response.status_code == 503 and "Try again" in response.json["errors"]["photo"]
    assert db.scalar(select(func.count()).select_from(Photo)) == 1  # only the earlier one
    assert client.get(f"/field/photos/{uuid}").status_code == 503
